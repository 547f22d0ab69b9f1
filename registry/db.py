"""Database engine and schema migrations (Alembic, run programmatically at start-up)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

DatabaseUnavailable = OperationalError
"""What any call on the database raises while it cannot be reached (SQLAlchemy's
``OperationalError``); channels answer "try again later" and the pool reconnects by itself."""


def database_url(url: str | None, *, data_dir: Path) -> str:
    """The SQLAlchemy URL: a SQLite file under ``data_dir`` by default; ``postgresql://`` as users
    write it is given the installed psycopg 3 driver."""
    if not url:
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(data_dir / 'registry.sqlite3').resolve()}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision."""
    from alembic import command  # only when the schema is checked: a quick CLI start
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def migrate_when_reachable(engine: Engine) -> None:
    """Migrate now or, if the database cannot be reached, on the first connection that succeeds.

    A server started before its database comes up then answers "try again later" until the
    database is back, and carries on by itself without a restart.
    """
    try:
        migrate(engine)
        return
    except DatabaseUnavailable as exc:
        logger.warning("database unreachable (%s); migrating once it is back", type(exc).__name__)
    lock = threading.Lock()
    done = False

    @event.listens_for(engine, "connect")
    def _migrate_once(_connection, _record) -> None:  # type: ignore[no-untyped-def]
        nonlocal done
        with lock:
            if done:
                return
            # a pool of its own: this pool is busy opening the connection that got us here
            helper = make_engine(engine.url.render_as_string(hide_password=False))
            try:
                migrate(helper)
            finally:
                helper.dispose()
            done = True
