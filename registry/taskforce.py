"""The body that drives a plan: its 工作专班 or 领导小组, read from the 推进机制 paragraph.

Reads the usual sentences of that paragraph:

- the name: "成立X工作专班", "X领导小组由…", "成立以A为组长的X领导小组";
- the convener, as written: "由A担任召集人", "A任组长", "组长由A担任";
- the deputies, as written: "B、C主要负责人任副召集人" (a title written once after a list of units
  applies to each: "B主要负责人", "C主要负责人"), and their units through ``resolve``;
- the members: "D、E等为成员单位", "成员单位为D、E", "成员由D、E主要负责人组成";
- the office: "办公室设在F，负责…".

Units go through ``resolve``; one it does not know is kept as written, never dropped.

Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.units import Resolver, canonical_unit, fold, split_spans, split_unit_list

_BODY = r"(?:专班|小组|指挥部)"
_NAME_AFTER_VERB = re.compile(rf"(?:成立|组建|建立|设立)(?P<name>.+?{_BODY})")
_NAME_FIRST = re.compile(rf"(?P<name>[^由]+?{_BODY})(?:由|办公室|$)")
# "以县长为组长、常务副县长为副组长的…领导小组": the roles are written inside the name.
_ROLES_IN_NAME = re.compile(r"(?:以|由)(?P<roles>.+(?:召集人|组长|指挥长))的(?P<name>.+)")
_ROLE = r"(?P<role>副?(?:召集人|组长|指挥长))"
_WHO_THEN_ROLE = re.compile(rf"(?:^|由)(?P<who>[^由]+?)(?:担任|兼任|任|为){_ROLE}$")
_ROLE_THEN_WHO = re.compile(rf"{_ROLE}由(?P<who>.+?)(?:担任|兼任)$")
_MEMBERS = (
    re.compile(r"(?P<list>.+?)(?:为|是|作为)成员单位$"),
    re.compile(r"成员单位(?:为|包括|有)?:?(?P<list>.+)$"),
    re.compile(r"成员(?:单位)?由(?P<list>.+?)组成$"),
)
_OFFICE = re.compile(r"办公室设(?:在|于)?(?P<unit>.+)$")
_DUTIES = ("负责", "承担")
# What follows a unit in "县发改局主要负责人", "县政府办分管副主任".
_TITLE = re.compile(
    r"(?:主要|分管|有关)?(?:负责人|负责同志|领导|同志)"
    r"|(?:分管|常务)?副?(?:主任|局长|县长|区长|市长|书记)"
)


@dataclass(frozen=True)
class TaskForce:
    name: str
    """As written: "落实好重“双碳”促转型的任务工作专班"."""
    convener: str
    """As written: "县政府办分管副主任"; "" when the text names none."""
    deputy_conveners: tuple[str, ...]
    """As written, a shared title distributed: ("县发改局主要负责人", "市生态环境局湘阴分局主要负责人")."""
    deputy_departments: tuple[str, ...]
    """Canonical units of the deputies that name one, in text order."""
    members: tuple[str, ...]
    """Canonical member units (as written when unknown), in text order."""
    members_open_ended: bool
    """The member list ends in 等."""
    office: str
    """Canonical unit where the office sits (as written when unknown); "" when none."""
    office_duties: str
    """As written: "负责日常协调和调度等工作"."""


def extract_taskforce(text: str, resolve: Resolver) -> TaskForce | None:
    """The task force described in ``text``, or None when it describes no 专班 / 领导小组."""
    folded = fold(text)
    # Phrases as spans, so that what matches on the fold is sliced from the text as written.
    segments = [_strip_span(folded, *span) for span in split_spans(folded, ",;。\n")]
    found_name = _name(text, folded, segments)
    if found_name is None:
        return None
    name, roles = found_name
    members: list[str] = []
    members_open_ended = False
    office = office_duties = ""
    for index, (start, end) in enumerate(segments):
        piece = folded[start:end]
        roles += _roles(piece, start)
        for pattern in _MEMBERS:
            if found := pattern.search(piece):
                names, members_open_ended = split_unit_list(text[slice(*_at(found, "list", start))])
                members = [_unit_and_title(member, resolve)[0] or member for member in names]
                break
        if found := _OFFICE.search(piece):
            unit = text[slice(*_at(found, "unit", start))].strip()
            office = canonical_unit(unit, resolve) or unit
            following = segments[index + 1] if index + 1 < len(segments) else None
            if following and folded[slice(*following)].startswith(_DUTIES):
                office_duties = text[slice(*following)]
    conveners = [text[slice(*who)] for role, who in roles if not role.startswith("副")]
    deputy_conveners, deputy_departments = _deputies(
        [text[slice(*who)] for role, who in roles if role.startswith("副")], resolve
    )
    return TaskForce(
        name=name,
        convener=conveners[0] if conveners else "",
        deputy_conveners=deputy_conveners,
        deputy_departments=deputy_departments,
        members=tuple(dict.fromkeys(members)),
        members_open_ended=members_open_ended,
        office=office,
        office_duties=office_duties,
    )


Span = tuple[int, int]


def _name(
    text: str, folded: str, segments: list[Span]
) -> tuple[str, list[tuple[str, Span]]] | None:
    """The body's name as written, and any roles written inside it ("以县长为组长的…")."""
    for start, end in segments:
        found = _NAME_AFTER_VERB.search(folded, start, end) or _NAME_FIRST.match(folded, start, end)
        if not found:
            continue
        inner = _ROLES_IN_NAME.fullmatch(folded, *found.span("name"))
        if inner is None:
            return text[slice(*found.span("name"))].strip(), []
        roles_start, roles_end = inner.span("roles")
        roles = [
            role
            for piece_start, piece_end in split_spans(folded[roles_start:roles_end], "、")
            for role in _roles(
                folded[roles_start + piece_start : roles_start + piece_end],
                roles_start + piece_start,
            )
        ]
        return text[slice(*inner.span("name"))].strip(), roles
    return None


def _roles(piece: str, offset: int) -> list[tuple[str, Span]]:
    """(role, span of who holds it in the whole text) for "A任组长" / "组长由A担任"."""
    found = _WHO_THEN_ROLE.search(piece) or _ROLE_THEN_WHO.search(piece)
    return [(found["role"], _at(found, "who", offset))] if found else []


def _strip_span(folded: str, start: int, end: int) -> Span:
    piece = folded[start:end]
    return start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())


def _at(found: re.Match[str], group: str, offset: int) -> Span:
    start, end = found.span(group)
    return offset + start, offset + end


def _deputies(deputies: list[str], resolve: Resolver) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Each deputy as written, with a shared title distributed, and the units they come from."""
    people: list[str] = []
    units: list[str] = []
    for group in deputies:
        names, _ = split_unit_list(group)
        split = [_unit_and_title(name, resolve) for name in names]
        shared = split[-1][1] if split else ""
        for name, (unit, title) in zip(names, split, strict=True):
            people.append(name + shared if unit and not title else name)
            if unit:
                units.append(unit)
    return tuple(people), tuple(dict.fromkeys(units))


def _unit_and_title(name: str, resolve: Resolver) -> tuple[str | None, str]:
    """(canonical unit, title as written) of "县发改局主要负责人"; (None, "") for "常务副县长"."""
    if unit := canonical_unit(name, resolve):
        return unit, ""
    folded = fold(name)
    for cut in range(len(name) - 1, 1, -1):
        if _TITLE.fullmatch(folded[cut:]) and (unit := canonical_unit(name[:cut], resolve)):
            return unit, name[cut:]
    return None, ""
