"""What every push channel shares: the message as the outbox holds it, the outcomes a platform
can give, and the contract of a sender.

A sender turns one outbox message into the platform's payloads, each within the platform's
limits (``parts``), and posts one payload (``post``). The dispatcher (``channels.dispatcher``)
posts the parts in order and records each one, so a crash resumes after the last part the
platform accepted; it also paces each robot to its platform's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from registry.channels import Destination


@dataclass(frozen=True)
class Outgoing:
    """A message from the outbox: plain text whose first line is its title ("【到期提醒】…")."""

    text: str
    link: str = ""  # the task on the dashboard, when a public URL is configured
    key: str = ""  # the outbox's dedupe key: the same message sent again is recognisably so

    @property
    def title(self) -> str:
        return self.text.split("\n", 1)[0].strip() or "双碳政策助手"

    @property
    def body(self) -> list[str]:
        return self.text.split("\n")[1:]


class SendError(Exception):
    """The platform did not take the message; ``str()`` is shown to the office."""


class RateLimited(SendError):
    """Too many messages for now: try again after ``retry_after`` seconds (not an attempt)."""

    def __init__(self, message: str, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(SendError):
    """Refused for good (bad key or secret, robot removed, content refused): retrying cannot
    help; the office is told."""


class Unavailable(SendError):
    """5xx, timeouts, connection errors: retried with backoff."""


class Sender(Protocol):
    kind: str  # wecom / dingtalk / feishu / email
    per_minute: int  # requests a robot (or mailbox) takes a minute; the dispatcher keeps to it
    per_second: int  # and a second (0: no such limit)

    def parts(self, message: Outgoing, destination: Destination) -> Sequence[Any]:
        """The platform's payloads for ``message``, each within its limits, in order."""
        ...

    async def post(self, destination: Destination, payload: Any) -> str:
        """Send one payload; returns the platform's answer in a few words (``channel test``
        shows it). Raises ``RateLimited``, ``Rejected`` or ``Unavailable``."""
        ...


def split_lines(lines: Sequence[str], fits: Any) -> list[list[str]]:
    """``lines`` in consecutive groups, each as large as ``fits(group)`` allows; a single line
    too long for a group on its own is cut (``fits`` must accept one character)."""
    groups: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        while not fits([line]):  # one line too long: cut it where it overflows
            cut = max(n for n in range(1, len(line) + 1) if fits([line[:n]]))
            if current:
                groups.append(current)
                current = []
            groups.append([line[:cut]])
            line = line[cut:]
        if fits([*current, line]):
            current.append(line)
        else:
            groups.append(current)
            current = [line]
    if current:
        groups.append(current)
    return groups
