"""The e-mail channel against a real SMTP server on 127.0.0.1 (aiosmtpd): plain SMTP, STARTTLS
with a self-signed certificate and a login, implicit TLS, and the server's refusals."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assistant.settings import EmailSettings
from channels.base import Outgoing, RateLimited, Rejected, Unavailable
from channels.email import EmailSender
from registry.channels import Destination
from tests.fakes.servers import free_port

USER = "shuangtan@xiangyin.gov.cn"
PASSWORD = "Tan-2030-x9"
ADDRESSES = ("fgj@xiangyin.gov.cn", "fgj-office@xiangyin.gov.cn")
SENT_AT = dt.datetime(2026, 9, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TEXT = (
    "【到期提醒】还有 7 天到期\n"
    "任务：二、（一）4. 推进工业领域节能降碳\n"
    "责任单位：县发改局\n"
    "待办：\n"
    "- 报送季度进展\n"
    "- 备注：<script>alert(1)</script> & 其他"
)
MESSAGE = Outgoing(TEXT, link="https://dc.xiangyin.gov.cn/tasks/12?a=1&b=2")


@dataclass
class Recorder:
    """Keeps each mail the server took; ``answers`` are replied to the first DATA commands."""

    answers: list[str] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        self.envelopes.append(envelope)
        self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        ok = isinstance(data, LoginPassword) and data == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)

    def mail(self) -> EmailMessage:
        (envelope,) = self.envelopes
        return email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[return-value]


@contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own CA; (cert, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """The CA file a client trusts, and the server's TLS context."""
    cert_path, key_path = self_signed(tmp_path_factory.mktemp("smtp-tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


def sender(port: int, **settings: Any) -> EmailSender:
    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": "none"}
    options.setdefault("sender", "双碳专班 <notify@xiangyin.gov.cn>")
    return EmailSender(EmailSettings(**{**options, **settings}), clock=lambda: SENT_AT)


def send(mailer: EmailSender, mail: EmailMessage | None = None) -> str:
    destination = Destination(channel_id=1, kind="email", label="电子邮件", addresses=ADDRESSES)
    if mail is None:
        (mail,) = mailer.parts(MESSAGE, destination)
    return asyncio.run(mailer.post(destination, mail))


def test_plain_smtp_delivers_one_mail_to_all_addresses() -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        answer = send(sender(port))

    assert answer == "250 Message accepted for delivery"
    (envelope,) = handler.envelopes
    assert envelope.rcpt_tos == list(ADDRESSES)
    assert envelope.mail_from == "notify@xiangyin.gov.cn"
    mail = handler.mail()
    assert mail["Subject"] == "【到期提醒】还有 7 天到期"
    assert [a.addr_spec for a in mail["To"].addresses] == list(ADDRESSES)
    assert mail["From"].addresses[0].display_name == "双碳专班"
    assert mail["Date"].datetime == SENT_AT
    assert mail["Message-ID"].endswith("@xiangyin.gov.cn>")

    plain = mail.get_body(("plain",))
    assert plain is not None and plain.get_content_charset() == "utf-8"
    text = plain.get_content().replace("\r\n", "\n")  # sent in the canonical CRLF form
    assert text.rstrip("\n") == f"{TEXT}\n\n查看详情：{MESSAGE.link}"

    page = mail.get_body(("html",))
    assert page is not None and page.get_content_charset() == "utf-8"
    body = page.get_content()
    assert "<h2>【到期提醒】还有 7 天到期</h2>" in body
    assert "<p>任务：二、（一）4. 推进工业领域节能降碳</p>" in body
    assert (
        "<ul><li>报送季度进展</li><li>备注：&lt;script&gt;alert(1)&lt;/script&gt; &amp; 其他</li></ul>"
        in body
    )
    assert "<script>" not in body
    assert '<a href="https://dc.xiangyin.gov.cn/tasks/12?a=1&amp;b=2">' in body
    assert not handler.encrypted[0]


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_starttls_with_the_countys_ca_and_a_login(
    certificate: tuple[Path, ssl.SSLContext], mechanism: str
) -> None:
    ca_file, server_tls = certificate
    handler = Recorder()
    other = {"LOGIN": "PLAIN", "PLAIN": "LOGIN"}[mechanism]
    with smtp_server(
        handler,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=handler.authenticate,
        auth_require_tls=True,
        auth_exclude_mechanism=[other],
    ) as port:
        settings = {"security": "starttls", "ca_file": ca_file, "sender": ""}
        answer = send(sender(port, username=USER, password=PASSWORD, **settings))

    assert answer.startswith("250 ")
    assert handler.mechanisms == [mechanism]
    assert handler.encrypted == [True]
    mail = handler.mail()
    assert mail["From"].addresses[0].addr_spec == USER  # no sender set: the login
    assert PASSWORD.encode() not in handler.envelopes[0].content


def test_a_wrong_password_is_rejected_without_showing_it(
    certificate: tuple[Path, ssl.SSLContext],
) -> None:
    ca_file, server_tls = certificate
    handler = Recorder()
    wrong = "Wrong-Pass-4417"
    with smtp_server(
        handler,
        tls_context=server_tls,
        authenticator=handler.authenticate,
        auth_require_tls=True,
    ) as port:
        mailer = sender(port, security="starttls", ca_file=ca_file, username=USER, password=wrong)
        with pytest.raises(Rejected) as raised:
            send(mailer)

    message = str(raised.value)
    assert "密码" in message and "535" in message
    assert wrong not in message and wrong not in repr(raised.value)
    assert raised.value.__cause__ is None
    assert not handler.envelopes


def test_a_certificate_that_fails_verification_is_rejected(
    certificate: tuple[Path, ssl.SSLContext],
) -> None:
    _, server_tls = certificate
    handler = Recorder()
    with smtp_server(handler, tls_context=server_tls) as port, pytest.raises(Rejected) as raised:
        send(sender(port, security="starttls"))  # the system's CAs only

    assert "证书未通过校验" in str(raised.value) and "CA_FILE" in str(raised.value)
    assert not handler.envelopes


def test_implicit_tls(certificate: tuple[Path, ssl.SSLContext]) -> None:
    ca_file, server_tls = certificate
    handler = Recorder()
    with smtp_server(handler, ssl_context=server_tls) as port:
        answer = send(sender(port, security="ssl", ca_file=ca_file))

    assert answer.startswith("250 ")
    assert handler.encrypted == [True]
    assert handler.mail()["Subject"] == "【到期提醒】还有 7 天到期"


def test_a_451_is_for_now_and_the_resend_is_the_same_mail() -> None:
    handler = Recorder(answers=["451 4.3.0 Temporary local problem"])
    with smtp_server(handler) as port:
        mailer = sender(port)
        (mail,) = mailer.parts(MESSAGE, Destination(1, "email", "电子邮件", addresses=ADDRESSES))
        with pytest.raises(Unavailable) as raised:
            send(mailer, mail)
        assert "451" in str(raised.value)
        assert not handler.envelopes

        assert send(mailer, mail).startswith("250 ")

    assert handler.mail()["Message-ID"] == mail["Message-ID"]


def test_a_rate_answer_asks_to_wait() -> None:
    handler = Recorder(answers=["421 4.7.0 Too many messages, slow down"])
    with smtp_server(handler) as port, pytest.raises(RateLimited):
        send(sender(port))


def test_refused_addresses_are_rejected() -> None:
    class Refusing(Recorder):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            return "550 5.1.1 User unknown"

    with smtp_server(Refusing()) as port, pytest.raises(Rejected) as raised:
        send(sender(port))

    assert "收件地址全部被拒收" in str(raised.value)
    assert "fgj@" not in str(raised.value)  # addresses are shown masked


def test_a_server_that_is_down_is_unavailable() -> None:
    with pytest.raises(Unavailable) as raised:
        send(sender(free_port()))
    assert "连不上发信服务器" in str(raised.value)


def test_no_server_configured() -> None:
    mailer = EmailSender(EmailSettings(sender="notify@xiangyin.gov.cn"))
    with pytest.raises(Rejected, match=r"^未配置发信服务器（POLICYQA_CHANNELS__EMAIL__HOST）$"):
        send(mailer)


def test_the_same_outbox_message_keeps_its_message_id() -> None:
    """A resend (the server's 250 lost on the way back) is recognisably the same mail."""
    mailer = sender(free_port())
    to = Destination(channel_id=1, kind="email", label="x", addresses=("a@xy.gov.cn",))

    def message_id(key: str) -> str:
        [mail] = mailer.parts(Outgoing("【到期提醒】\n正文", key=key), to)
        return str(mail["Message-ID"])

    assert message_id("milestone:1:channel:1:T-7") == message_id("milestone:1:channel:1:T-7")
    assert message_id("milestone:1:channel:1:T-7") != message_id("milestone:1:channel:1:T-1")
    assert message_id("") != message_id("")  # a test message is new every time
