"""企业微信, 钉钉 and 飞书 senders against fakes of the robots' webhooks (real HTTP on 127.0.0.1):
what arrives, how long messages are split, and how each refusal reaches the office."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from channels.base import Outgoing, RateLimited, Rejected, Sender, Unavailable
from channels.dingtalk import DingTalkSender, signed_url
from channels.feishu import FeishuSender
from channels.wecom import WeComSender
from registry.channels import Destination
from tests.conftest import NOW, FixedClock
from tests.fakes.robots import FakeRobots

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "b955f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"
DING_SECRET = "SEC0f094e0d33f2a1b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3"
FEISHU_TOKEN = "91d41f9a-f61d-4fd5-9c5a-016a9e0c61a4"
FEISHU_SECRET = "qB3vN7xK2mP9sT4wY8zC1d"
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, FEISHU_SECRET)

REMINDER = (
    "【到期提醒】还有 7 天到期\n"
    "任务 12｜二、（一）4. 加强林业碳汇\n"
    "里程碑：完成造林选址\n"
    "到期日：2026-10-12（周一）\n"
    "牵头：—；配合：县林业局、县自然资源局\n"
    "填报进展：/report 12 进行中 进展说明"
)
LINK = "https://dashboard.example.org/tasks/12"
MOBILE = "13800001111"


@dataclass(frozen=True)
class Platform:
    kind: str
    path: str  # the webhook path for a robot
    robot: str  # the registered robot
    secret: str
    make: Callable[[FixedClock, float], Sender]
    rate_code: int

    def destination(
        self, url: str, *, robot: str = "", secret: str | None = None, mentions: tuple = ()
    ) -> Destination:
        return Destination(
            channel_id=1,
            kind=self.kind,
            label=f"{self.kind} 127.0.0.1 …{(robot or self.robot)[:4]}",
            url=url + self.path.format(robot or self.robot),
            secret=self.secret if secret is None else secret,
            mentions=mentions,
        )


WECOM = Platform(
    "wecom",
    "/cgi-bin/webhook/send?key={}",
    WECOM_KEY,
    "",
    lambda clock, timeout: WeComSender(timeout=timeout),
    45009,
)
DINGTALK = Platform(
    "dingtalk",
    "/robot/send?access_token={}",
    DING_TOKEN,
    DING_SECRET,
    lambda clock, timeout: DingTalkSender(timeout=timeout, clock=clock),
    130101,
)
FEISHU = Platform(
    "feishu",
    "/open-apis/bot/v2/hook/{}",
    FEISHU_TOKEN,
    FEISHU_SECRET,
    lambda clock, timeout: FeishuSender(timeout=timeout, clock=clock),
    11232,
)
ALL = pytest.mark.parametrize("platform", [WECOM, DINGTALK, FEISHU], ids=lambda p: p.kind)
SIGNED = pytest.mark.parametrize("platform", [DINGTALK, FEISHU], ids=lambda p: p.kind)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def fake(clock: FixedClock) -> FakeRobots:
    return FakeRobots(
        clock=clock,
        wecom={WECOM_KEY},
        dingtalk={DING_TOKEN: DING_SECRET},
        feishu={FEISHU_TOKEN: FEISHU_SECRET},
    )


@pytest.fixture
def url(fake: FakeRobots) -> Iterator[str]:
    with fake.running() as base:
        yield base


def deliver(sender: Sender, message: Outgoing, destination: Destination) -> list[str]:
    """Every part of ``message``, posted in order; the answers."""

    async def run() -> list[str]:
        return [await sender.post(destination, p) for p in sender.parts(message, destination)]

    return asyncio.run(run())


def refusal(sender: Sender, destination: Destination, message: Outgoing) -> Exception:
    """What posting the first part of ``message`` raised."""

    async def run() -> None:
        await sender.post(destination, sender.parts(message, destination)[0])

    with pytest.raises((RateLimited, Rejected, Unavailable)) as raised:
        asyncio.run(run())
    for secret in SECRETS:
        assert secret not in str(raised.value)
    return raised.value


def heading(payload: dict[str, Any]) -> str:
    if "markdown" in payload and "title" in payload["markdown"]:
        return payload["markdown"]["title"]
    if "card" in payload:
        return payload["card"]["header"]["title"]["content"]
    return payload["markdown"]["content"].split("\n", 1)[0].strip("*")


def body(payload: dict[str, Any]) -> list[str]:
    """The body lines a part shows under its heading."""
    if "card" in payload:
        divs = [e for e in payload["card"]["elements"] if e["tag"] == "div"]
        return divs[0]["text"]["content"].split("\n") if divs else []
    if "title" in payload["markdown"]:  # 钉钉
        return payload["markdown"]["text"].split("\n\n", 1)[1].split("  \n")
    return payload["markdown"]["content"].split("\n")[1:]


def size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


# -- what arrives ------------------------------------------------------------------------------
@ALL
def test_a_reminder_arrives_with_its_title_and_clause_label(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)
    assert sender.kind == platform.kind
    assert sender.per_minute == (100 if platform is FEISHU else 20)

    answers = deliver(sender, Outgoing(REMINDER, link=LINK), platform.destination(url))

    assert answers == ["code 0 success" if platform is FEISHU else "errcode 0 ok"]
    [arrived] = fake.accepted[platform.robot]
    assert heading(arrived) == "【到期提醒】还有 7 天到期"
    lines = body(arrived)
    assert lines[:5] == REMINDER.split("\n")[1:]  # 任务 12｜二、（一）4. 加强林业碳汇 …
    if platform is FEISHU:
        assert arrived["card"]["header"]["template"] == "orange"
        [action] = [e for e in arrived["card"]["elements"] if e["tag"] == "action"]
        assert action["actions"][0]["text"]["content"] == "在任务台账中查看"
        assert action["actions"][0]["url"] == LINK
    else:
        assert lines[-1] == f"[在任务台账中查看]({LINK})"


@ALL
def test_a_long_message_is_split_within_the_limits_and_arrives_in_order(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)
    lines = ["附：" + "县域林业碳汇项目造林选址与监测" * 200]  # one line longer than a part
    n = 0
    while sum(map(len, lines)) < 12_000:
        n += 1
        lines.append(f"{n}. 推进第{n}项减排措施：完成年度林业碳汇计量监测并按月报送进展情况")
    message = Outgoing("【督办通报】2026 年 9 月\n" + "\n".join(lines), link=LINK)

    answers = deliver(sender, message, platform.destination(url))

    arrived = fake.accepted[platform.robot]
    assert len(arrived) == len(answers) > 1
    assert heading(arrived[0]) == f"【督办通报】2026 年 9 月（1/{len(arrived)}）"
    assert heading(arrived[-1]) == f"【督办通报】2026 年 9 月（{len(arrived)}/{len(arrived)}）"
    shown = [line for part in arrived for line in body(part)]
    if platform is not FEISHU:
        assert shown.pop() == f"[在任务台账中查看]({LINK})"
    assert "".join(shown) == "".join(lines)  # every character, in order
    for part in arrived:
        if platform is WECOM:
            assert len(part["markdown"]["content"].encode()) <= 4096
        else:
            assert size(part) <= 20_000


# -- refusals ----------------------------------------------------------------------------------
@ALL
def test_a_wrong_key_is_rejected_in_chinese(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)
    wrong = platform.destination(url, robot="0000" + platform.robot[4:], secret="")

    error = refusal(sender, wrong, Outgoing(REMINDER))

    assert isinstance(error, Rejected)
    assert {"wecom": "errcode 93000", "dingtalk": "errcode 300001", "feishu": "code 19001"}[
        platform.kind
    ] in str(error)
    assert "无效" in str(error) and "机器人" in str(error)
    assert not fake.accepted


@ALL
def test_the_twenty_first_message_in_a_minute_is_rate_limited(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)
    destination = platform.destination(url)
    payload = sender.parts(Outgoing(REMINDER), destination)[0]
    per_second = 4 if platform is FEISHU else 20  # 飞书 also allows only 5 a second
    limit = sender.per_minute

    async def run() -> RateLimited:
        for n in range(limit):
            if n and n % per_second == 0:
                clock.now += dt.timedelta(seconds=1)
            await sender.post(destination, payload)
        with pytest.raises(RateLimited) as raised:
            await sender.post(destination, payload)
        return raised.value

    error = asyncio.run(run())

    assert len(fake.accepted[platform.robot]) == limit
    assert fake.codes(platform.kind)[-1] == platform.rate_code
    assert "频繁" in str(error)
    assert error.retry_after == (600.0 if platform is DINGTALK else 60.0)


def test_feishu_also_limits_five_a_second(fake: FakeRobots, url: str, clock: FixedClock) -> None:
    sender = FEISHU.make(clock, 5.0)
    destination = FEISHU.destination(url)
    payload = sender.parts(Outgoing("【催办】请报送进展\n任务 12"), destination)[0]

    async def run() -> None:
        for _ in range(5):
            await sender.post(destination, payload)
        with pytest.raises(RateLimited):
            await sender.post(destination, payload)
        clock.now += dt.timedelta(seconds=1)
        await sender.post(destination, payload)

    asyncio.run(run())
    assert fake.codes("feishu") == [0] * 5 + [11232, 0]


@ALL
def test_a_bad_gateway_is_unavailable_and_the_retry_arrives(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)
    fake.fail_next(1, status=502)

    error = refusal(sender, platform.destination(url), Outgoing(REMINDER))

    assert isinstance(error, Unavailable)
    assert "HTTP 502" in str(error)
    deliver(sender, Outgoing(REMINDER), platform.destination(url))
    assert len(fake.accepted[platform.robot]) == 1


@ALL
def test_a_hanging_robot_is_unavailable(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 0.5)
    fake.hang_next(1, seconds=3.0)

    error = refusal(sender, platform.destination(url), Outgoing(REMINDER))

    assert isinstance(error, Unavailable)
    assert "0.5 秒内未应答" in str(error)
    assert not fake.accepted


@pytest.mark.parametrize(
    ("platform", "payload", "code"),
    [
        (WECOM, {"msgtype": "markdown", "markdown": {"content": "碳" * 1366}}, 40058),
        (WECOM, {"msgtype": "table", "table": {}}, 40008),
        (DINGTALK, {"msgtype": "markdown", "markdown": {"text": "无标题"}}, 40035),
        (
            DINGTALK,
            {"msgtype": "markdown", "markdown": {"title": "长", "text": "碳" * 6700}},
            460101,
        ),
        (FEISHU, {"msg_type": "text", "content": {"text": "碳" * 7000}}, 9499),
    ],
    ids=["wecom-too-long", "wecom-type", "dingtalk-no-title", "dingtalk-too-big", "feishu-too-big"],
)
def test_the_fakes_refuse_what_the_platforms_refuse(
    platform: Platform, payload: dict, code: int, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)

    async def run() -> None:
        await sender.post(platform.destination(url), payload)

    with pytest.raises(Rejected, match=f"{code}"):
        asyncio.run(run())
    assert fake.codes(platform.kind) == [code]


# -- signing -----------------------------------------------------------------------------------
@SIGNED
def test_the_signature_is_checked(
    platform: Platform, fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    sender = platform.make(clock, 5.0)
    two_hours_off = platform.make(FixedClock(NOW - dt.timedelta(hours=2)), 5.0)
    message = Outgoing(REMINDER)

    wrong = refusal(sender, platform.destination(url, secret="SECnot-the-right-one"), message)
    unsigned = refusal(sender, platform.destination(url, secret=""), message)
    stale = refusal(two_hours_off, platform.destination(url), message)
    deliver(sender, message, platform.destination(url))

    assert all(isinstance(e, Rejected) for e in (wrong, unsigned, stale))
    if platform is DINGTALK:
        assert "加签密钥不正确" in str(wrong) and "加签密钥不正确" in str(unsigned)
        assert "时钟" in str(stale)
        messages = [a.body["errmsg"] for a in fake.answers[:3]]
        assert messages == ["sign not match", "sign not match", "invalid timestamp"]
        assert fake.codes("dingtalk") == [310000, 310000, 310000, 0]
    else:
        assert all("签名校验未通过" in str(e) for e in (wrong, unsigned, stale))
        assert fake.codes("feishu") == [19021, 19021, 19021, 0]
    assert len(fake.accepted[platform.robot]) == 1


def test_dingtalk_signs_the_url_as_documented() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=old"

    query = parse_qs(urlsplit(signed_url(url, DING_SECRET, NOW)).query)

    timestamp = str(int(NOW.timestamp() * 1000))
    digest = hmac.new(
        DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256
    ).digest()
    assert query == {
        "access_token": ["abc"],
        "timestamp": [timestamp],
        "sign": [base64.b64encode(digest).decode()],
    }


# -- mentions and colours ----------------------------------------------------------------------
def test_wecom_mentions_by_mobile_in_a_text_message_after_the_markdown(
    fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    destination = WECOM.destination(url, mentions=(MOBILE,))

    deliver(WECOM.make(clock, 5.0), Outgoing(REMINDER), destination)

    markdown, notice = fake.accepted[WECOM_KEY]
    assert markdown["msgtype"] == "markdown" and MOBILE not in markdown["markdown"]["content"]
    assert notice["msgtype"] == "text"
    assert notice["text"]["mentioned_mobile_list"] == [MOBILE]
    assert "【到期提醒】还有 7 天到期" in notice["text"]["content"]


def test_dingtalk_mentions_in_at_and_in_the_text(
    fake: FakeRobots, url: str, clock: FixedClock
) -> None:
    destination = DINGTALK.destination(url, mentions=(MOBILE,))

    deliver(DINGTALK.make(clock, 5.0), Outgoing(REMINDER), destination)

    [arrived] = fake.accepted[DING_TOKEN]
    assert arrived["at"] == {"atMobiles": [MOBILE], "isAtAll": False}
    assert f"@{MOBILE}" in arrived["markdown"]["text"]


def test_feishu_mentions_with_at_tags(fake: FakeRobots, url: str, clock: FixedClock) -> None:
    person = "ou_7d8a6e6df7621556ce0d21922b676706"
    destination = FEISHU.destination(url, mentions=(person, "zhang.wei@example.org"))

    deliver(FEISHU.make(clock, 5.0), Outgoing(REMINDER), destination)

    [arrived] = fake.accepted[FEISHU_TOKEN]
    assert body(arrived)[-1] == f"<at id={person}></at> <at email=zhang.wei@example.org></at>"


@pytest.mark.parametrize(
    ("title", "template"),
    [
        ("【逾期提醒】已逾期 3 天", "red"),
        ("【催办】请尽快报送进展", "red"),
        ("【退回】进展说明需补充", "red"),
        ("【到期提醒】还有 7 天到期", "orange"),
        ("【周报】本周进展汇总", "blue"),
    ],
)
def test_feishu_cards_are_coloured_by_what_they_say(title: str, template: str) -> None:
    sender = FeishuSender(timeout=5.0, clock=FixedClock())
    destination = FEISHU.destination("https://open.feishu.cn")

    [card] = sender.parts(Outgoing(f"{title}\n任务 12｜二、（一）4. 加强林业碳汇"), destination)

    assert card["msg_type"] == "interactive"
    assert card["card"]["header"]["template"] == template
