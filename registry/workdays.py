"""China's workdays (``chinese_calendar``): weekends and public holidays are off, 调休 make-up
days count. Used for 临期 (due within N workdays) and for reminder days."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import chinese_calendar

logger = logging.getLogger(__name__)


class WorkdayCalendar:
    """China's official workdays; plain Monday–Friday for years the calendar does not know yet."""

    def __init__(self, is_workday: Callable[[dt.date], bool] | None = None) -> None:
        self._is_workday = is_workday or self._china
        self._warned: set[int] = set()

    def _china(self, day: dt.date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                logger.warning(
                    "chinese_calendar has no holidays for %s yet; counting Monday-Friday only "
                    "(upgrade chinese-calendar once the State Council publishes them)",
                    day.year,
                )
            return day.weekday() < 5

    def is_workday(self, day: dt.date) -> bool:
        return self._is_workday(day)

    def on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day -= dt.timedelta(days=1)
        return day

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def workdays_after(self, start: dt.date, end: dt.date) -> int:
        """Workdays ``d`` with ``start < d <= end``."""
        days = (end - start).days
        return sum(self.is_workday(start + dt.timedelta(days=n)) for n in range(1, days + 1))

    def after(self, day: dt.date, workdays: int) -> dt.date:
        """The ``workdays``-th workday after ``day`` (``day`` itself for 0)."""
        while workdays > 0:
            day += dt.timedelta(days=1)
            workdays -= self.is_workday(day)
        return day
