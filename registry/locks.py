"""Named locks shared by every process that uses one database; taking one never waits.

* PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection, outside any transaction. The
  lock lasts as long as the connection, and the server drops it when a killed process's
  connection goes.
* SQLite: an exclusive ``flock`` on ``<database file>.<name>.lock``, released by the OS when the
  process dies (every process sharing a SQLite file is on the same machine).
* An in-memory SQLite database (or a system without ``flock``): a lock within this process.

``leadership`` builds an active/standby pair on top: the instance holding the lock works, the
others wait and take over within ``retry_seconds`` of its death.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def lock_key(name: str) -> int:
    """The advisory-lock number (pg_try_advisory_lock takes a bigint) derived from a name."""
    return zlib.crc32(f"policyqa.{name}".encode())


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields whether this caller holds the lock ``name``; held until the block ends."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, lock_key(name)) as held:
            yield held
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _process_lock(f"{id(engine)}:{name}") as held:
            yield held
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: only processes on one machine share a SQLite file anyway
        with _process_lock(f"{database}:{name}") as held:
            yield held
        return
    fd = os.open(f"{database}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the flock


@contextmanager
def leadership(
    engine: Engine,
    name: str,
    *,
    retry_seconds: float = 5.0,
    on_standby: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Blocks until this process holds the lock ``name`` and keeps it for the block.

    ``on_standby`` is called once if another instance holds it. A database that cannot be reached
    counts as not holding it: the wait goes on until it can.
    """
    with ExitStack() as stack:
        announced = False
        while True:
            try:
                if stack.enter_context(exclusive(engine, name)):
                    break
                if not announced:
                    on_standby()
                    announced = True
            except SQLAlchemyError as exc:
                logger.warning("lock %s: database unreachable (%s); retrying", name, exc)
            stack.close()
            time.sleep(retry_seconds)
        yield


@contextmanager
def _pg_lock(engine: Engine, key: int) -> Iterator[bool]:
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield held
        finally:
            if held:
                try:
                    connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                except Exception:
                    # never hand a connection that may still hold the lock back to the pool
                    connection.invalidate()
                    raise
    finally:
        connection.close()


@contextmanager
def _process_lock(name: str) -> Iterator[bool]:
    with _local_locks_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    held = lock.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            lock.release()
