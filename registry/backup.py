"""Every registry table as a JSON-able snapshot, and restoring one in a single transaction.

A snapshot is read as one consistent view and restored in foreign-key order, replacing what the
database holds; if anything fails, nothing changes. Ids are kept (PostgreSQL's id sequences are
moved past them), and a snapshot taken on SQLite restores on PostgreSQL and back (SQLite stores
times without their zone; PostgreSQL reads those in its session time zone). Snapshots hold
password and token hashes: keep them as safe as the database. Knows nothing of files or the CLI.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Date, DateTime, Engine, Table, inspect, select, text
from sqlalchemy.exc import DataError, IntegrityError

from registry.models import Base
from registry.service import RegistryError

FORMAT = "policyqa-registry"
VERSION = 1


class RegistryBackupError(RegistryError):
    """A snapshot that cannot be taken or restored here; the message is Chinese."""


def dump(engine: Engine) -> dict[str, Any]:
    tables = Base.metadata.sorted_tables
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite":
                # pysqlite opens no transaction for reads: without one, each SELECT has its own view
                connection.exec_driver_sql("BEGIN")
            unknown = set(inspect(connection).get_table_names()) - {t.name for t in tables}
            if unknown - {"alembic_version"}:
                raise RegistryBackupError(
                    f"数据库中有程序不认识的表（{'、'.join(sorted(unknown))}），无法完整备份。"
                )
            return {
                "format": FORMAT,
                "version": VERSION,
                "revision": _revision(connection),
                "tables": {t.name: _rows(connection, t) for t in tables},
            }


def check(engine: Engine, snapshot: dict[str, Any]) -> None:
    """Raises RegistryBackupError unless ``snapshot`` can be restored into this database."""
    if snapshot.get("format") != FORMAT or snapshot.get("version") != VERSION:
        raise RegistryBackupError("备份文件中的台账格式无法识别。")
    with engine.connect() as connection:
        current = _revision(connection)
    if snapshot.get("revision") != current:
        raise RegistryBackupError(
            f"备份的数据库结构版本（{snapshot.get('revision')}）与当前版本（{current}）不同，"
            "请使用同一版本的程序恢复。"
        )
    known = {t.name for t in Base.metadata.sorted_tables}
    if not isinstance(snapshot.get("tables"), dict) or set(snapshot["tables"]) != known:
        raise RegistryBackupError("备份文件中的台账内容不完整。")


def restore(engine: Engine, snapshot: dict[str, Any]) -> dict[str, int]:
    """Replace every table with the snapshot's rows; returns the number of rows per table."""
    check(engine, snapshot)
    tables = Base.metadata.sorted_tables
    counts = {}
    try:
        with engine.begin() as connection:
            for table in reversed(tables):
                connection.execute(table.delete())
            for table in tables:
                rows = [_decode(table, row) for row in snapshot["tables"][table.name]]
                if rows:
                    connection.execute(table.insert(), rows)
                counts[table.name] = len(rows)
            if connection.dialect.name == "postgresql":
                _move_sequences(connection, tables)
    # a damaged or edited snapshot; the transaction was rolled back
    except (LookupError, TypeError, ValueError, IntegrityError, DataError) as exc:
        raise RegistryBackupError("备份文件中的台账内容已损坏，数据库未做任何更改。") from exc
    return counts


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _rows(connection: Connection, table: Table) -> list[dict[str, Any]]:
    query = select(table).order_by(*table.primary_key.columns)
    return [
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}
        for row in connection.execute(query).mappings()
    ]


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(row)
    for name, value in row.items():
        column_type = table.columns[name].type
        if value is None:
            continue
        if isinstance(column_type, DateTime):
            decoded[name] = dt.datetime.fromisoformat(value)
        elif isinstance(column_type, Date):
            decoded[name] = dt.date.fromisoformat(value)
    return decoded


def _move_sequences(connection: Connection, tables: list[Table]) -> None:
    """Rows were inserted with their ids: the next id a sequence hands out must follow them."""
    for table in tables:
        column = table.autoincrement_column
        if column is not None:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f'coalesce(max("{column.name}"), 0) + 1, false) FROM "{table.name}"'
                ),
                {"table": table.name, "column": column.name},
            )
