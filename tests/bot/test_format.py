"""Messages: HTML-escaped, split under Telegram's 4096 UTF-16 units, tags balanced."""

from __future__ import annotations

import html
import re

from assistant.models import Answer, Citation
from bot.format import (
    MAX_MESSAGE,
    Part,
    answer_messages,
    render,
    text_messages,
    truncate_plain,
    units,
)

_TAG = re.compile(r"</?(b|blockquote)>")


def _visible(message: str) -> str:
    return html.unescape(_TAG.sub("", message))


def _balanced(message: str) -> bool:
    depth = {"b": 0, "blockquote": 0}
    for found in _TAG.finditer(message):
        depth[found[1]] += -1 if found[0].startswith("</") else 1
        if depth[found[1]] < 0:
            return False
    return not any(depth.values())


def test_text_is_escaped() -> None:
    [message] = text_messages("a < b && c > d <script>")
    assert message == "a &lt; b &amp;&amp; c &gt; d &lt;script&gt;"


def test_a_long_answer_is_split_under_the_limit_without_losing_text() -> None:
    sentence = "到2030年新增公用充电桩1107个<且>“双碳”&目标。"
    answer = Answer(
        answer="\n".join(sentence * 20 for _ in range(12)),
        citations=[
            Citation(document="方案", clause=f"二、（一）{n}.", text=sentence * 150)
            for n in range(1, 4)
        ],
        kind="policy",
    )
    messages = answer_messages(answer)
    assert len(messages) > 3
    assert all(units(m) <= MAX_MESSAGE for m in messages)
    assert all(_balanced(m) for m in messages)
    shown = "".join(_visible(m).replace("\n", "") for m in messages)
    expected = answer.answer.replace("\n", "") + "原文："
    expected += "".join(f"《方案》{c.clause}{c.text}" for c in answer.citations)
    assert shown == expected
    # cut at sentence ends where it can
    assert all(_visible(m).rstrip().endswith(("。", "：", ".")) for m in messages[:-1])


def test_a_sentence_longer_than_a_message_is_cut() -> None:
    text = "<&>" * 3000  # 9000 characters, escaped to 27000
    messages = render([Part(text, "blockquote")])
    assert all(units(m) <= MAX_MESSAGE and _balanced(m) for m in messages)
    assert "".join(_visible(m) for m in messages) == text


def test_utf16_counts_emoji_twice() -> None:
    messages = text_messages("😀" * 3000)
    assert [units(m) for m in messages] == [4096, 1904]


def test_plain_reminders_are_truncated_only_when_too_long() -> None:
    assert truncate_plain("短") == "短"
    cut = truncate_plain("长" * 5000)
    assert units(cut) == MAX_MESSAGE and cut.endswith("…")
