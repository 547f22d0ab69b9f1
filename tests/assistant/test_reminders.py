"""The reminder planner over the real plan, a fixed clock walking through September–October 2026
(Mid-Autumn 9-25…27, National Day 10-01…07, 调休 workdays Sunday 9-20 and Saturday 10-10), on
SQLite and PostgreSQL."""

# The registry's fixtures are imported below and then requested by name.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pytest

from assistant.reminders import TIMEZONE, ReminderPlanner, reminder_day
from assistant.settings import ReminderSettings, Settings
from policyqa.storage import build_engine
from registry.chats import ChatService
from registry.outbox import Outbox
from registry.service import Registry
from registry.workdays import WorkdayCalendar
from tests.registry.conftest import (  # noqa: F401  (fixtures)
    FixedClock,
    clock,
    database_url,
    plan_registry,
    registry,
    registry_settings,
)

CAL = WorkdayCalendar()
FOREST, DRC, OFFICE = "-100", "-200", "-900"

# The database matters little here: SQLite only (PostgreSQL where it does).
sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])


def test_the_2026_calendar() -> None:
    assert not CAL.is_workday(dt.date(2026, 10, 1))
    assert not CAL.is_workday(dt.date(2026, 10, 7))
    assert CAL.is_workday(dt.date(2026, 10, 10))  # Saturday, 调休
    assert CAL.is_workday(dt.date(2026, 9, 20))  # Sunday, 调休
    assert not CAL.is_workday(dt.date(2026, 10, 11))  # Sunday
    assert not CAL.is_workday(dt.date(2026, 9, 25))  # Mid-Autumn
    # T-7 of Monday 10-12 is 10-05, a holiday: the previous workday is 9-30
    assert reminder_day(dt.date(2026, 10, 12), 7, CAL) == dt.date(2026, 9, 30)
    # T-1 of Monday 10-12 is Sunday 10-11: the 调休 Saturday before it
    assert reminder_day(dt.date(2026, 10, 12), 1, CAL) == dt.date(2026, 10, 10)
    # T-1 of 10-08 falls in the holiday: back to 9-30
    assert reminder_day(dt.date(2026, 10, 8), 1, CAL) == dt.date(2026, 9, 30)
    assert CAL.workdays_after(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3


def test_years_the_calendar_does_not_know_count_weekdays(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkdayCalendar()
    assert calendar.is_workday(dt.date(2099, 1, 2))  # a Friday
    assert not calendar.is_workday(dt.date(2099, 1, 3))
    assert "no holidays for 2099" in caplog.text


@dataclass
class World:
    registry: Registry
    chats: ChatService
    outbox: Outbox
    planner: ReminderPlanner
    clock: FixedClock

    def task_id(self, clause: str) -> int:
        return next(t.id for t in self.registry.tasks() if t.clause == clause)

    def bind(self, chat_id: str, department: str | None) -> None:
        code = self.chats.issue_code(
            department=department, office=not department, actor="专班办公室"
        )
        self.chats.bind(chat_id=chat_id, code=code.code, actor="test")

    def walk(self, start: dt.date, end: dt.date, *, twice: bool = False) -> dict[str, dt.date]:
        """Plan every day at 09:00 from ``start`` to ``end``: when each key was first queued."""
        first: dict[str, dt.date] = {}
        day = start
        while day <= end:
            self.clock.now = dt.datetime.combine(day, dt.time(9), tzinfo=TIMEZONE)
            for _ in range(2 if twice else 1):
                self.planner.plan()
            for key in self.outbox.dedupe_keys():
                first.setdefault(key, day)
            day += dt.timedelta(days=1)
        return first


def _world(registry: Registry, settings: Settings, clock: FixedClock, **reminders: object) -> World:
    engine = build_engine(settings)
    chats, outbox = ChatService(engine, clock=clock), Outbox(engine, clock=clock)
    planner = ReminderPlanner(
        registry=registry,
        chats=chats,
        outbox=outbox,
        settings=ReminderSettings(**reminders),  # type: ignore[arg-type]
        clock=clock,
    )
    return World(registry, chats, outbox, planner, clock)


@pytest.fixture
def world(plan_registry: Registry, registry_settings: Settings, clock: FixedClock) -> World:
    w = _world(plan_registry, registry_settings, clock)
    w.bind(FOREST, "县林业局")
    w.bind(DRC, "县发改局")
    w.bind(OFFICE, None)
    return w


@sqlite_only
def test_reminders_across_national_day(world: World) -> None:
    # 二、（一）4.: 县发改局 and 县林业局 both named; 二、（一）2.: 县发改局 but not 县林业局
    both, drc_only = world.task_id("二、（一）4."), world.task_id("二、（一）2.")
    m1 = world.registry.add_milestone(
        both, due=dt.date(2026, 10, 12), description="完成造林选址", actor="o"
    )
    m2 = world.registry.add_milestone(
        drc_only, due=dt.date(2026, 10, 9), description="充电桩布点", actor="o"
    )
    first = world.walk(dt.date(2026, 9, 1), dt.date(2026, 10, 16), twice=True)

    def when(milestone: int, chat: str) -> dict[str, dt.date]:
        prefix = f"milestone:{milestone}:chat:{chat}:"
        return {k.removeprefix(prefix): d for k, d in first.items() if k.startswith(prefix)}

    expected_m1 = {
        "T-30": dt.date(2026, 9, 11),  # 9-12 is a Saturday
        "T-7": dt.date(2026, 9, 30),  # 10-05 is National Day
        "T-1": dt.date(2026, 10, 10),  # 10-11 is Sunday; Saturday 10-10 is a workday
        "overdue:1": dt.date(2026, 10, 13),
        "overdue:2": dt.date(2026, 10, 16),
    }
    assert when(m1.id, FOREST) == expected_m1
    assert when(m1.id, DRC) == expected_m1
    assert when(m1.id, OFFICE) == expected_m1
    assert when(m2.id, FOREST) == {}
    assert when(m2.id, DRC) == {
        "T-30": dt.date(2026, 9, 9),
        "T-7": dt.date(2026, 9, 30),  # 10-02, a holiday
        "T-1": dt.date(2026, 10, 8),
        "overdue:1": dt.date(2026, 10, 10),  # the first workday after 10-09 is the 调休 Saturday
        "overdue:2": dt.date(2026, 10, 14),
    }
    days = set(first.values())
    assert not days & {dt.date(2026, 10, d) for d in (1, 2, 3, 4, 5, 6, 7, 11)}
    assert all(CAL.is_workday(d) for d in days)
    # every queued reminder goes out at 09:00 Shanghai on its day
    texts = {i.dedupe_key: i for i in world.outbox.items()}
    t7 = texts[f"milestone:{m1.id}:chat:{FOREST}:T-7"]
    assert t7.not_before == dt.datetime(2026, 9, 30, 9, tzinfo=TIMEZONE)
    assert "还有 12 天到期" in t7.text and "完成造林选址" in t7.text
    assert "2026-10-12（周一）" in t7.text and f"/report {both}" in t7.text


@sqlite_only
def test_weekly_digest_moves_before_the_holiday(world: World) -> None:
    first = world.walk(dt.date(2026, 9, 21), dt.date(2026, 10, 13))
    digests = {k: d for k, d in first.items() if k.startswith("digest:")}
    assert digests == {
        f"digest:2026-W39:chat:{OFFICE}": dt.date(2026, 9, 21),
        f"digest:2026-W40:chat:{OFFICE}": dt.date(2026, 9, 28),
        # Monday 10-05 is National Day: the previous workday
        f"digest:2026-W41:chat:{OFFICE}": dt.date(2026, 9, 30),
        f"digest:2026-W42:chat:{OFFICE}": dt.date(2026, 10, 12),
    }


@sqlite_only
def test_muted_completed_and_nothing_on_days_off(world: World) -> None:
    task = world.task_id("二、（一）4.")
    done = world.registry.add_milestone(task, due=dt.date(2026, 10, 12), description="a", actor="o")
    world.registry.complete_milestone(done.id, actor="o")
    world.registry.add_milestone(task, due=dt.date(2026, 10, 12), description="b", actor="o")
    world.chats.set_muted(chat_id=DRC, muted=True, actor="x")
    first = world.walk(dt.date(2026, 9, 30), dt.date(2026, 9, 30))
    assert not any(f"milestone:{done.id}:" in k for k in first)
    assert not any(f":chat:{DRC}:" in k for k in first)
    assert {k.split(":")[3] for k in first if k.startswith("milestone:")} == {FOREST, OFFICE}
    world.clock.now = dt.datetime(2026, 10, 3, 9, tzinfo=TIMEZONE)
    report = world.planner.plan()
    assert not report.workday and report.queued == 0


@sqlite_only
def test_a_missed_day_is_caught_up_with_the_latest_stage_only(world: World) -> None:
    task = world.task_id("二、（一）4.")
    m = world.registry.add_milestone(task, due=dt.date(2026, 10, 12), description="x", actor="o")
    # the service was down from 9-01 to 10-08: T-30 and T-7 passed unplanned
    first = world.walk(dt.date(2026, 10, 8), dt.date(2026, 10, 8))
    assert {k for k in first if k.startswith(f"milestone:{m.id}:chat:{FOREST}")} == {
        f"milestone:{m.id}:chat:{FOREST}:T-7"
    }


@sqlite_only
def test_overdue_every_n_workdays(
    plan_registry: Registry, registry_settings: Settings, clock: FixedClock
) -> None:
    world = _world(plan_registry, registry_settings, clock, overdue_every_workdays=2)
    world.bind(FOREST, "县林业局")
    m = world.registry.add_milestone(
        world.task_id("二、（一）4."), due=dt.date(2026, 9, 29), description="x", actor="o"
    )
    first = world.walk(dt.date(2026, 9, 29), dt.date(2026, 10, 14))
    prefix = f"milestone:{m.id}:chat:{FOREST}:"
    overdue = {k.removeprefix(prefix): d for k, d in first.items() if "overdue" in k}
    # workdays after 9-29: 9-30 (1), 10-08 (2), 10-09 (3), 10-10 (4), 10-12 (5), 10-13 (6), 10-14 (7)
    assert overdue == {
        "overdue:1": dt.date(2026, 9, 30),
        "overdue:2": dt.date(2026, 10, 9),
        "overdue:3": dt.date(2026, 10, 12),
        "overdue:4": dt.date(2026, 10, 14),
    }


def test_planners_running_at_once_queue_each_reminder_once(world: World) -> None:
    world.registry.add_milestone(
        world.task_id("二、（一）4."), due=dt.date(2026, 10, 12), description="x", actor="o"
    )
    world.clock.now = dt.datetime(2026, 9, 30, 9, tzinfo=TIMEZONE)
    barrier = threading.Barrier(4)
    queued: list[int] = []

    def plan() -> None:
        barrier.wait()
        queued.append(world.planner.plan().queued)

    threads = [threading.Thread(target=plan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [i.dedupe_key for i in world.outbox.items()]
    assert sum(queued) == len(keys) == len(set(keys)) == 4  # 3 chats' T-7 + the W41 digest
