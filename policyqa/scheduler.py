"""The reminder scheduler: plans reminders and dispatches the outbox, in a background thread.

APScheduler's ``BackgroundScheduler`` (Asia/Shanghai), so the same object runs beside
``policyqa bot``'s polling loop and beside uvicorn in ``policyqa serve``:

* plan reminders at start and every day at ``POLICYQA_REMINDERS__SEND_HOUR``;
* dispatch the outbox every ``POLICYQA_REMINDERS__DISPATCH_SECONDS`` (30 s; each run on its own
  event loop and ``Bot``, created only when something is due; the outbox lock keeps it to one
  dispatcher across processes).

Several processes may each run one: the dedupe keys and the dispatcher lock keep every reminder
to one message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from assistant.reminders import TIMEZONE, PlanReport
from assistant.services import Services
from assistant.settings import Settings
from bot.app import build_bot
from bot.dispatcher import DispatchReport, OutboxDispatcher
from policyqa.storage import shanghai_now
from registry.service import Clock

logger = logging.getLogger(__name__)


class ReminderScheduler:
    def __init__(
        self,
        services: Services,
        settings: Settings,
        *,
        clock: Clock = shanghai_now,
    ) -> None:
        self.enabled = bool(settings.telegram_token)
        self._services = services
        self._send_hour = settings.reminders.send_hour
        self._dispatch_seconds = settings.reminders.dispatch_seconds
        self.dispatcher = (
            OutboxDispatcher(
                services.outbox,
                lambda: build_bot(settings),
                clock=clock,
                chats=services.chats,
            )
            if self.enabled
            else None
        )
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        if not self.enabled:
            logger.warning(
                "Telegram 机器人未启用（未设置 POLICYQA_TELEGRAM_TOKEN）：不安排到期提醒。"
            )
            return
        scheduler = BackgroundScheduler(
            timezone=TIMEZONE,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        now = dt.datetime.now(TIMEZONE)
        scheduler.add_job(self.plan, "date", run_date=now, id="plan-at-start")
        scheduler.add_job(
            self.plan, CronTrigger(hour=self._send_hour, timezone=TIMEZONE), id="plan-daily"
        )
        scheduler.add_job(
            self.dispatch,
            IntervalTrigger(seconds=self._dispatch_seconds, timezone=TIMEZONE),
            id="dispatch-outbox",
            next_run_time=now + dt.timedelta(seconds=2),
        )
        scheduler.start()
        self._scheduler = scheduler
        logger.info(
            "reminders: planned daily at %02d:00 Asia/Shanghai, outbox sent every %ss",
            self._send_hour,
            self._dispatch_seconds,
        )

    def plan(self) -> PlanReport | None:
        try:
            return self._services.reminders.plan()
        except Exception:
            logger.exception("planning reminders failed")
            return None

    def dispatch(self) -> DispatchReport | None:
        if self.dispatcher is None:
            return None
        try:
            return asyncio.run(self.dispatcher.run_once())
        except Exception:
            logger.exception("dispatching the outbox failed")
            return None

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running


def start_scheduler(
    services: Services, settings: Settings, *, clock: Clock = shanghai_now
) -> ReminderScheduler:
    """Start planning and dispatching reminders; call ``.shutdown()`` on exit. Without a
    Telegram token it only says so and does nothing."""
    scheduler = ReminderScheduler(services, settings, clock=clock)
    scheduler.start()
    return scheduler
