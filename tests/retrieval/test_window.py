"""The answer window a hit shows, and which hits add nothing new."""

from __future__ import annotations

from retrieval.text import split_sentences
from retrieval.window import Seen, answer_window

# one clause cut into three chunks at sentence ends, as ``chunking.split_text`` cuts it
CLAUSE = [
    "1.推进充电设施建设。加快公共充电桩布局。",
    "到2030年新增公用充电桩1107个。优先布局在县城和乡镇。",
    "鼓励单位内部充电桩对外开放。（县发改局负责）",
]


def test_the_window_grows_into_the_next_sentence_first() -> None:
    after = "到2030年新增公用充电桩1107个。"
    shown = answer_window(CLAUSE, 0, max_chars=len(CLAUSE[0]) + 1 + len(after))
    assert shown == f"{CLAUSE[0]}\n{after}"
    shown = answer_window(CLAUSE, 1, max_chars=len(CLAUSE[1]) + 1 + len("加快公共充电桩布局。"))
    assert shown == f"加快公共充电桩布局。\n{CLAUSE[1]}"  # the next sentence did not fit


def test_the_window_takes_sentences_of_its_clause_only() -> None:
    """Whole sentences, but for the first and the last: the end and the beginning of one."""
    sentences = [s for chunk in CLAUSE for s in split_sentences(chunk)]
    for at in range(len(CLAUSE)):
        for limit in (10, 30, 45, 60, 200):
            shown = answer_window(CLAUSE, at, max_chars=limit)
            assert CLAUSE[at] in shown
            assert len(shown) <= max(limit, len(CLAUSE[at]))
            pieces = [s for line in shown.split("\n") for s in split_sentences(line)]
            assert all(piece in sentences for piece in pieces[1:-1]), (at, limit, shown)
            assert any(s.endswith(pieces[0]) for s in sentences), (at, limit, shown)
            assert any(s.startswith(pieces[-1]) for s in sentences), (at, limit, shown)


def test_a_sentence_too_long_for_the_room_left_is_cut_at_a_comma() -> None:
    """A notice written as run-on sentences still shows what follows the match."""
    clause = [
        "一、暂停招聘。",
        "疫情防控期间暂停事业单位公开招聘工作，开通紧急补充医疗卫生人员绿色通道，"
        "可采用电话、视频、互联网等非现场接触方式办理有关事项。",
    ]
    shown = answer_window(clause, 0, max_chars=len(clause[0]) + 1 + 25)
    assert shown == f"{clause[0]}\n疫情防控期间暂停事业单位公开招聘工作，"
    shown = answer_window(clause[::-1], 1, max_chars=len(clause[0]) + 1 + 30)
    assert shown == f"可采用电话、视频、互联网等非现场接触方式办理有关事项。\n{clause[0]}"


def test_a_large_window_is_the_whole_clause() -> None:
    assert answer_window(CLAUSE, 1, max_chars=1000) == "\n".join(CLAUSE)


def test_text_already_shown_or_nearly_the_same_adds_nothing() -> None:
    seen = Seen()
    national = "到2025年，单位国内生产总值能耗比2020年下降13.5%。"
    seen.add("各地区要严格落实。" + national)
    assert seen.adds_nothing(national)
    assert seen.adds_nothing("严格落实")  # inside what was shown
    quoted = "到2025年,单位国内生产总值能耗比2020年下降13.5%"  # half-width, no full stop
    assert seen.adds_nothing(quoted)
    assert seen.adds_nothing("1.能耗目标。" + national)  # the same sentence under another number
    # the quoted sentence and as much again that is new
    assert not seen.adds_nothing(national + "湖南省到2025年单位地区生产总值能耗下降14%。")
    assert not seen.adds_nothing("到2025年，全县新增屋顶光伏50兆瓦，建成公共充电桩300个。")
