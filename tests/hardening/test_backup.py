"""``policyqa backup`` / ``policyqa restore``: the registry (SQLite and PostgreSQL) and the index
come back exactly as they were; a damaged or foreign backup changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from assistant.services import Services
from assistant.settings import Settings
from policyqa import cli
from policyqa.storage import build_engine, build_registry
from registry import backup
from registry.accounts import AccountService
from registry.service import Registry
from tests.conftest import CORPUS, FixedClock, fixed_services, make_settings
from tests.hardening.conftest import sqlite_url
from tests.registry.conftest import _postgres_database, sync_plan

NOW = dt.datetime(2026, 9, 15, 10, 0, tzinfo=dt.UTC)


def _url(backend: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty database (dropped after the test on PostgreSQL)."""
    folder.mkdir()
    if backend == "sqlite":
        return sqlite_url(folder)
    database = _postgres_database()
    url = next(database)
    request.addfinalizer(lambda: next(database, None))
    return url


def _registry(url: str, folder: Path) -> tuple[Engine, Registry]:
    settings = Settings(_env_file=None, data_dir=folder, corpus_dir=CORPUS, database_url=url)
    engine = build_engine(settings)
    return engine, build_registry(settings, engine=engine, clock=FixedClock(NOW))


def _fill(engine: Engine, registry: Registry) -> None:
    """Every kind of row: the plan's tasks, office edits, an account with a token."""
    sync_plan(registry)
    task = registry.tasks(department="林业局")[0]
    registry.add_milestone(task.id, due=dt.date(2026, 12, 31), description="完成摸底", actor="办")
    registry.add_progress(task.id, department="林业局", status="进行中", note="过半", reporter="李")
    target = next(t for t in registry.tasks() if t.targets).targets[0]
    registry.correct_target(target.id, actor="办", value=1200.0)
    accounts = AccountService(engine, clock=FixedClock(NOW))
    accounts.issue_token(
        accounts.add_user("backup-office", "backup password", role="office", department=None)
    )


@pytest.mark.parametrize(
    ("backend", "target"),
    [("sqlite", "sqlite"), ("postgresql", "postgresql"), ("sqlite", "postgresql")],
)
def test_registry_round_trip(
    backend: str, target: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source_engine, source = _registry(_url(backend, tmp_path / "a", request), tmp_path / "a")
    _fill(source_engine, source)
    snapshot = json.loads(json.dumps(backup.dump(source_engine), ensure_ascii=False))

    # a database in use, with rows the backup does not have
    engine, registry = _registry(_url(target, tmp_path / "b", request), tmp_path / "b")
    sync_plan(registry)
    registry.add_milestone(1, due=dt.date(2027, 1, 1), description="恢复后应消失", actor="办")
    counts = backup.restore(engine, snapshot)
    assert counts["tasks"] == 10 and counts["users"] == 1 and counts["api_tokens"] == 1

    if target == backend:  # (SQLite keeps no time zones: PostgreSQL writes them out)
        assert json.loads(json.dumps(backup.dump(engine), ensure_ascii=False)) == snapshot
    assert registry.tasks() == source.tasks()
    assert AccountService(engine, clock=FixedClock(NOW)).authenticate(
        "backup-office", "backup password"
    )
    # new rows get new ids after the restored ones (PostgreSQL's sequences were moved on)
    added = registry.add_milestone(1, due=dt.date(2027, 2, 1), description="新的", actor="办")
    assert added.id > max(m.id for t in source.tasks() for m in t.milestones)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_damaged_backup_changes_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine, registry = _registry(_url(backend, tmp_path / "a", request), tmp_path / "a")
    _fill(engine, registry)
    before = backup.dump(engine)
    dangling = json.loads(json.dumps(before, ensure_ascii=False))
    dangling["tables"]["progress_reports"][0]["task_id"] = 999_999  # no such task
    for damaged, words in (
        (dangling, "已损坏"),
        ({**before, "revision": "0000"}, "结构版本"),
        ({**before, "format": "something-else"}, "格式"),
        ({**before, "tables": {"tasks": []}}, "不完整"),
    ):
        with pytest.raises(backup.RegistryBackupError, match=words):
            backup.restore(engine, damaged)
        assert backup.dump(engine) == before


def _env(settings: Settings) -> dict[str, str]:
    env = {
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(settings.embedding_cache.parent),
    }
    if settings.database_url:
        env["POLICYQA_DATABASE_URL"] = settings.database_url
    return env


def test_backup_and_restore_commands(
    services: Services, tmp_path: Path, embedding_cache: Path
) -> None:
    runner = CliRunner()
    file = tmp_path / "备份" / "policyqa-20260915.zip"
    made = runner.invoke(cli.app, ["backup", str(file)], env=_env(services.settings))
    assert made.exit_code == 0 and "已备份" in made.output, made.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # it holds password hashes
    assert sorted(zipfile.ZipFile(file).namelist()) == ["index.json", "registry.json"]

    target = make_settings(tmp_path / "restored", embedding_cache)
    restored = runner.invoke(cli.app, ["restore", str(file), "--yes"], env=_env(target))
    assert restored.exit_code == 0 and "已恢复" in restored.output, restored.output

    copy = fixed_services(target)  # the same fixed clock as the original
    for question in ("秸秆禁烧谁牵头", "到2030年要新增多少公用充电桩", "旧冰箱怎么处理"):
        hits, original = (s.search.search(question, include_guides=True) for s in (copy, services))
        assert [(h.document, h.clause, h.text) for h in hits] == [
            (h.document, h.clause, h.text) for h in original
        ]
        # the same vectors; the rebuilt HNSW graph may return a different far candidate,
        # which moves the min-max normalised fused scores by about a thousandth
        assert [h.score for h in hits] == pytest.approx([h.score for h in original], abs=1e-2)
    assert copy.registry.tasks() == services.registry.tasks()
    assert (
        copy.answers.ask("县林业局负责哪些任务？").answer
        == services.answers.ask("县林业局负责哪些任务？").answer
    )


def test_restore_refuses_what_it_cannot_use(
    services: Services, tmp_path: Path, embedding_cache: Path
) -> None:
    runner = CliRunner()
    file = tmp_path / "backup.zip"
    assert runner.invoke(cli.app, ["backup", str(file)], env=_env(services.settings)).exit_code == 0
    target = make_settings(tmp_path / "target", embedding_cache)
    env = _env(target)
    with zipfile.ZipFile(file) as archive:
        registry, index = (json.loads(archive.read(n)) for n in ("registry.json", "index.json"))
    other_model = tmp_path / "other-model.zip"
    with zipfile.ZipFile(other_model, "w") as archive:
        archive.writestr("registry.json", json.dumps(registry))
        archive.writestr("index.json", json.dumps({**index, "embedding_model": "another-model"}))
    not_a_backup = tmp_path / "notes.zip"
    not_a_backup.write_text("备忘", "utf-8")

    for path, words in (
        (other_model, "向量模型"),
        (not_a_backup, "不是有效的备份文件"),
        (tmp_path / "missing.zip", "找不到备份文件"),
    ):
        result = runner.invoke(cli.app, ["restore", str(path), "--yes"], env=env)
        assert result.exit_code == 1 and words in result.output, result.output
    declined = runner.invoke(cli.app, ["restore", str(file)], env=env, input="n\n")
    assert declined.exit_code == 1
    # nothing was restored by any of them
    assert build_registry(target).tasks() == []
