"""E-mail: one message per department, to all its addresses, through the county's SMTP server.

Each message carries a plain-text and an HTML part and a ``Message-ID`` made from its outbox
key: a resend of the same outbox message (a 250 lost on the way back) is the same mail, which a
mail system may drop.
``smtplib`` runs in a worker thread; the server's answers become ``Rejected`` (wrong password,
refused address or content, a certificate that fails verification), ``RateLimited`` (a 4xx
that says "too many") or ``Unavailable`` (other 4xx, timeouts, dropped connections). The
password is never put in a message, an error or a log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import html
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from assistant.settings import EmailSettings
from channels.base import Outgoing, RateLimited, Rejected, SendError, Unavailable
from registry.channels import Destination

_ENV = "POLICYQA_CHANNELS__EMAIL__"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_RATE = re.compile(r"too many|\brate\b|\blimit|exceed|频繁|过多|超限", re.IGNORECASE)


class EmailSender:
    kind = "email"

    def __init__(
        self,
        settings: EmailSettings,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._settings = settings
        self._clock = clock
        self.per_minute = settings.per_minute
        self.per_second = 0

    @property
    def _from(self) -> str:
        return self._settings.sender or self._settings.username or ""

    def parts(self, message: Outgoing, destination: Destination) -> list[EmailMessage]:
        """One mail to all of the department's addresses: plain text and HTML, in UTF-8."""
        mail = EmailMessage()
        if self._from:
            mail["From"] = self._from
        mail["To"] = ", ".join(destination.addresses)
        mail["Subject"] = _CONTROL.sub(" ", message.title)
        mail["Date"] = format_datetime(self._clock())
        domain = parseaddr(self._from)[1].rpartition("@")[2] or "policyqa.local"
        mail["Message-ID"] = (
            f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@{domain}>"
            if message.key
            else make_msgid(domain=domain)
        )
        link = f"\n\n查看详情：{message.link}" if message.link else ""
        mail.set_content(message.text + link, charset="utf-8")
        mail.add_alternative(_html(message), subtype="html", charset="utf-8")
        return [mail]

    async def post(self, destination: Destination, payload: EmailMessage) -> str:
        """Send one mail; returns the server's answer to it ("250 …")."""
        if not self._settings.host:
            raise Rejected(f"未配置发信服务器（{_ENV}HOST）")
        if not self._from:
            raise Rejected(f"未配置发件地址（{_ENV}SENDER 或 {_ENV}USERNAME）")
        if not destination.addresses:
            raise Rejected("该电子邮件渠道没有收件地址")
        context = self._context()
        recipients = list(destination.addresses)
        try:
            return await asyncio.to_thread(self._send, context, recipients, payload)
        except smtplib.SMTPAuthenticationError as exc:
            raise Rejected(
                f"发信服务器拒绝了登录（{exc.smtp_code}）：用户名或密码不正确，"
                f"请检查 {_ENV}USERNAME 与 {_ENV}PASSWORD"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _answer(exc.smtp_code, exc.smtp_error, _doing(exc)) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc.recipients) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise Unavailable(f"发信服务器断开了连接：{exc}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise Rejected(
                f"发信服务器不支持所需功能：{exc}；请检查 {_ENV}SECURITY 与端口"
            ) from exc
        except smtplib.SMTPException as exc:
            raise Rejected(f"发信失败：{exc}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise Rejected(
                f"发信服务器的证书未通过校验（{exc.verify_message}），重试无法解决；"
                f"如为本县自建 CA 签发的证书，请将 CA 证书路径填入 {_ENV}CA_FILE"
            ) from exc
        except ssl.SSLError as exc:
            raise Unavailable(
                f"与发信服务器的 TLS 握手失败（{exc.reason}）；如持续出现，请检查 {_ENV}SECURITY "
                "与端口是否匹配（ssl 通常为 465，starttls 为 587）"
            ) from exc
        except OSError as exc:  # refused, reset, timed out, name not found
            raise Unavailable(f"连不上发信服务器 {self._settings.host}：{exc}") from exc
        except UnicodeError:
            raise Rejected("用户名或密码含有发信服务器无法接受的字符（仅限 ASCII）") from None

    def _context(self) -> ssl.SSLContext:
        """Verifies the server's certificate and name, against the county's CA when given."""
        ca_file = self._settings.ca_file
        try:
            return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        except (OSError, ValueError) as exc:
            raise Rejected(f"读不出 CA 证书文件 {ca_file}（{_ENV}CA_FILE）：{exc}") from exc

    def _send(self, context: ssl.SSLContext, recipients: list[str], mail: EmailMessage) -> str:
        settings = self._settings
        assert settings.host
        if settings.security == "ssl":
            client: _Client = _SSLClient(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = _Client(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = client.send_message(mail, to_addrs=recipients)
        code, text = client.answer
        answer = f"{code} {text.decode('utf-8', 'replace')}".strip()
        if refused:
            masked = "、".join(_mask(a) for a in refused)
            answer += f"（{len(refused)} 个地址被拒收：{masked}）"
        return answer


class _Client(smtplib.SMTP):
    """Keeps the server's answer to the mail itself (``smtplib`` drops it)."""

    answer: tuple[int, bytes] = (250, b"")

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self.answer = super().data(msg)
        return self.answer


class _SSLClient(_Client, smtplib.SMTP_SSL):
    pass


def _answer(code: int, error: bytes | str, doing: str) -> SendError:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    said = f"{doing}的答复：{code} {text}"
    if 400 <= code < 500:
        if _RATE.search(text) or re.match(r"4\.7\.\d", text):
            return RateLimited(f"发信服务器要求稍后再发（{said}）")
        return Unavailable(f"发信服务器暂时无法接收（{said}）")
    return Rejected(f"发信服务器拒收（{said}）")


def _refused(recipients: dict[str, tuple[int, bytes]]) -> SendError:
    """Every address refused: for now if the server said 4xx to all, for good otherwise."""
    answers = list(recipients.values())
    if all(400 <= code < 500 for code, _ in answers):
        return _answer(*answers[0], "对收件地址")
    masked = "、".join(f"{_mask(a)}（{code}）" for a, (code, _) in recipients.items())
    return Rejected(f"收件地址全部被拒收：{masked}；请检查该部门的电子邮件地址")


def _doing(exc: smtplib.SMTPResponseException) -> str:
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "对发件地址"
    if isinstance(exc, smtplib.SMTPDataError):
        return "对邮件正文"
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return "对连接"
    return "回复"


def _html(message: Outgoing) -> str:
    blocks = [f"<h2>{html.escape(message.title)}</h2>"]
    items: list[str] = []
    for line in [*message.body, ""]:
        if line.startswith("- "):
            items.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if items:
            blocks.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if line.strip():
            blocks.append(f"<p>{html.escape(line)}</p>")
    if message.link:
        href = html.escape(message.link, quote=True)
        blocks.append(f'<p><a href="{href}">查看详情</a></p>')
    body = "\n".join(blocks)
    return f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'


def _mask(address: str) -> str:
    name, _, host = address.partition("@")
    return f"{name[:2]}…@{host}"
