"""Government units in a list as plans write them: split, recognised by their form, named as written.

A unit is recognised by how its name ends (局, 委, 厅, 办公室, 中心, 管委会, 人民政府, 公司, 银行 …),
not by a fixed list, so a plan of any county, city or province reads the same. "省发展改革、财政部门"
shares one suffix: it names 省发展改革部门 and 财政部门; "有关市、县（区）人民政府" names 有关市人民政府 and
县（区）人民政府. A name keeps its characters as written, without line breaks, a trailing 等 or a
trailing bracketed qualifier ("县林业局（含国有林场）" → 县林业局); a bracket inside a name stays
("各县（市、区）人民政府"). Text that does not end like a unit ("2027年底前完成", "加快推进") is no
unit: nothing is invented.

``fold`` matches on a Simplified, half-width copy of the same length, so a match there slices the
original. Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

import opencc

Resolver = Callable[[str], str | None]

# Brackets plans use around notes and qualifiers, each folded to ( or ).
_OPENERS, _CLOSERS = "(【〔[〈［｛{", ")】〕]〉］｝}"
_BRACKETS = (
    str.maketrans(_OPENERS, "(" * len(_OPENERS))
    | str.maketrans(_CLOSERS, ")" * len(_CLOSERS))
    | str.maketrans({"∶": ":"})  # U+2236, written for a colon in some documents
)
_LIST_SEPARATORS = "、,;。 \t"  # not a line break: a PDF may break a name across lines
_OPEN_ENDED = re.compile(
    r"等(?:[^、,;()]{0,10}?(?:单位|部门|机构|企业|政府))?$|等等$|及(?:其他)?(?:相关|有关)(?:单位|部门)$"
)
_UNIT_SUFFIX = re.compile(
    r"(?:局|委|办|厅|部|署|院|会|中心|政府|公司|集团|银行|行|社|站|所|队|处|室|部门|单位|组|馆|校"
    r"|大学|团|台|关|区|县|市|州|盟|旗|镇|乡|街道|园|联|协|企业|机关|机构|小组|政协|人大|集团公司)$"
)
# A level word alone ("市"、"各县（区）") waits for the suffix the list writes once at its end.
_LEVEL = r"(?:各|有关|相关)?(?:县市区|市州|县区|乡镇|省|市|县|区|州|盟|旗|乡|镇)(?:\([^()]*\))?"
_BARE_LEVEL = re.compile(rf"^{_LEVEL}$")
_LEVEL_PREFIX = re.compile(rf"^{_LEVEL}")
_SHARED_SUFFIXES = ("人民政府", "管委会", "政府", "主管部门", "部门", "单位")
_LEVEL_SUFFIXES = ("人民政府", "管委会", "政府")
_SINGLE_LEVEL = re.compile(r"^(?:各|有关|相关)?[省市县区州]$")
# Departments a list may name by their usual short form, without 局/委/厅 ("住建局、城管按职责分工
# 负责"): kept when no shared suffix follows them to complete the name.
_SHORT_FORM = re.compile(
    rf"^(?:{_LEVEL})?(?:城管|公安|税务|消防|交警|气象|邮政|海事|人社|住建|发改|工信|经信|商务|文旅|卫健"
    r"|应急|统计|审计|民政|司法|教育|科技|财政|水利|林业|农业农村|自然资源|生态环境|市场监管|交通运输"
    r"|机关事务|城市管理|综合执法)$"
)
_SPACE = re.compile(r"\s+")
# 和/及 between two names, not inside one ("工业和信息化局", "住房和城乡建设厅"): after 等… or
# after a unit's last character.
_CONNECTIVE = re.compile(
    r"等(?:[^、,;()]{0,10}?(?:单位|部门))?(以及|和|及)|(?<=[局委厅办府司部行院会心])(以及|和|及)"
)
_QUALIFIER = re.compile(
    rf"[{re.escape(_OPENERS)}（][^{re.escape(_OPENERS + _CLOSERS)}（）]*[{re.escape(_CLOSERS)}）]"
)


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """``text`` in Simplified, half-width characters, every kind of bracket as ( ) and of colon as
    :, with the same length.

    Each character is folded on its own (NFKC, then Traditional → Simplified), so an index into
    the folded text is an index into ``text``: match on the fold, slice the original.
    """
    chars = [unicodedata.normalize("NFKC", char) for char in text]
    half = "".join(new if len(new) == 1 else old for new, old in zip(chars, text, strict=True))
    half = half.translate(_BRACKETS)
    simplified = _t2s().convert(half)
    if len(simplified) == len(half):
        return simplified
    return "".join(_t2s().convert(char) for char in half)


def split_spans(folded: str, separators: str) -> list[tuple[int, int]]:
    """(start, end) of the non-blank pieces between separators outside brackets.

    ``folded`` is the output of ``fold``, so its brackets are ( and ) and a full-width space is " ".
    """
    spans: list[tuple[int, int]] = []
    start = depth = 0
    for index, char in enumerate(folded + separators[0]):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and char in separators:
            if folded[start:index].strip():
                spans.append((start, index))
            start = index + 1
    return spans


def split_unit_list(text: str) -> tuple[list[str], bool]:
    """The unit names of a list as written, and whether it ends in 等.

    "由县发改局、县林业局（含国有林场、苗圃）等" → (["县发改局", "县林业局（含国有林场、苗圃）"], True)
    """
    folded = fold(text)
    for found in _CONNECTIVE.finditer(folded):  # "A等部门和B": 和 joins two names here
        word = found.lastindex or 1
        folded = folded[: found.start(word)] + "、" * len(found[word]) + folded[found.end(word) :]
    names: list[str] = []
    open_ended = False
    for start, end in split_spans(folded, _LIST_SEPARATORS):
        piece = _SPACE.sub("", folded[start:end])
        original = _SPACE.sub("", text[start:end])
        lead = 1 if piece.startswith("由") else 0
        tail = _OPEN_ENDED.search(piece)
        stop = tail.start() if tail and tail.start() > lead else len(piece)
        open_ended = tail is not None
        if name := original[lead:stop]:
            names.append(name)
    return names, open_ended


def display_name(name: str) -> str:
    """A name as written, without line breaks or a trailing bracketed qualifier."""
    name = _SPACE.sub("", name)
    while (folded := fold(name)).endswith(")"):
        depth = 0
        for index in range(len(folded) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(folded[index], 0)
            if depth == 0:
                break
        if index <= 0:
            break
        name = name[:index]
    return name


def unit_names(text: str) -> tuple[list[str], bool]:
    """The units a list names, shared suffixes written out, non-units left out; and its 等."""
    names, open_ended = split_unit_list(text)
    shown = [display_name(name) for name in names]
    units: list[str] = []
    waiting: list[str] = []
    for name in shown:
        folded = fold(name)
        if _BARE_LEVEL.match(folded) or not _UNIT_SUFFIX.search(folded):
            waiting.append(name)
            continue
        if waiting:
            units.extend(_with_suffix(waiting, name))
            waiting = []
        units.append(name)
    units.extend(w for w in waiting if _stands_alone(w))
    return units, open_ended


def _stands_alone(name: str) -> bool:
    """Whether a name no suffix follows is a unit as written: a level ("各县（区）") or a
    department's short form ("城管")."""
    folded = fold(name)
    return bool(_BARE_LEVEL.match(folded) or _SHORT_FORM.match(folded))


def _with_suffix(waiting: list[str], name: str) -> list[str]:
    """The waiting names with the suffix ``name`` writes once for all of them; a level word whose
    suffix cannot be told ("各乡镇、县林业局") is a unit of its own."""
    folded = fold(name)
    levels = all(_BARE_LEVEL.match(fold(w)) for w in waiting)
    shared = _LEVEL_SUFFIXES if levels else _SHARED_SUFFIXES
    suffix = next((s for s in shared if folded.endswith(s)), "")
    if not suffix and all(_SINGLE_LEVEL.match(fold(w)) for w in waiting):
        level = _LEVEL_PREFIX.match(folded)
        suffix = name[level.end() :] if level else ""  # 市、区机管局 → 市机管局
    if not suffix:
        return [w for w in waiting if _stands_alone(w)]
    return [w + suffix for w in waiting if _UNIT_SUFFIX.search(fold(w + suffix))]


def same_unit(name: str) -> str:
    """What two names of one unit share: "各设区市人民政府" names 设区市人民政府 for each."""
    return fold(name).removeprefix("各")


def is_unit(name: str) -> bool:
    return bool(_UNIT_SUFFIX.search(fold(name)))


def canonical_unit(name: str, resolve: Resolver) -> str | None:
    """The canonical name of a unit written as ``name``, its bracketed qualifiers dropped."""
    bare = _SPACE.sub("", name)
    while (shorter := _QUALIFIER.sub("", bare)) != bare:
        bare = shorter
    return resolve(bare) if bare else None
