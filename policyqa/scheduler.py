"""The reminder scheduler: plans reminders and dispatches the outbox, in a background thread.

APScheduler's ``BackgroundScheduler`` (Asia/Shanghai), so the same object runs beside
``policyqa bot``'s polling loop and beside uvicorn in ``policyqa serve``:

* plan reminders at start and every day at ``POLICYQA_REMINDERS__SEND_HOUR``;
* dispatch the outbox every ``POLICYQA_REMINDERS__DISPATCH_SECONDS`` (30 s; each run on its own
  event loop): the push channels (企业微信, 钉钉, 飞书, e-mail) always, Telegram when a token is
  set (its ``Bot`` created only when something is due); each transport's outbox lock keeps it to
  one dispatcher across processes.

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
from bot.dispatcher import OutboxDispatcher
from channels.dispatcher import ChannelDispatcher
from channels.senders import build_senders
from policyqa.storage import shanghai_now
from registry.outbox import DispatchReport
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
        self._services = services
        self._send_hour = settings.reminders.send_hour
        self._dispatch_seconds = settings.reminders.dispatch_seconds
        self.telegram = (
            OutboxDispatcher(
                services.outbox,
                lambda: build_bot(settings),
                clock=clock,
                chats=services.chats,
            )
            if settings.telegram_token
            else None
        )
        self.channels = ChannelDispatcher(
            services.outbox,
            services.channels,
            services.chats,
            build_senders(settings, clock=clock),
            clock=clock,
        )
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        if self.telegram is None:
            logger.info("Telegram 机器人未启用：提醒只发往企业微信、钉钉、飞书和电子邮件渠道。")
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

    def dispatch(self) -> dict[str, DispatchReport]:
        """One run of each transport's dispatcher; a failing one does not stop the other."""
        reports = {}
        for name, dispatcher in (("channels", self.channels), ("telegram", self.telegram)):
            if dispatcher is None:
                continue
            try:
                reports[name] = asyncio.run(dispatcher.run_once())
            except Exception:
                logger.exception("dispatching the outbox (%s) failed", name)
        return reports

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
    Telegram token, reminders go to the push channels only."""
    scheduler = ReminderScheduler(services, settings, clock=clock)
    scheduler.start()
    return scheduler
