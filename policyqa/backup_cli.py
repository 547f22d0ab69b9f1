"""Backup commands of the ``policyqa`` CLI: the task registry and the search index in one file.

The file is a zip of two JSON documents (``registry.json``, ``index.json``), written under a
temporary name and renamed, so a backup is whole or absent. It holds password and token hashes:
it is created readable by its owner only.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.settings import Settings
from policyqa.storage import build_engine

if TYPE_CHECKING:
    from retrieval.store import ChunkStore

_REGISTRY, _INDEX = "registry.json", "index.json"


def _store(settings: Settings) -> ChunkStore:
    # the search stack loads only for the commands that need it: the CLI starts fast
    from policyqa.composition import build_embedder, build_store
    from retrieval.embedding import CachedEmbedder

    return build_store(settings, CachedEmbedder(build_embedder(settings), settings.embedding_cache))


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def backup(path: Annotated[Path, typer.Argument(help="备份文件，如 backup-20261124.zip")]) -> None:
    """备份任务台账（数据库）和检索索引到一个文件。"""
    from registry import backup as registry_backup
    from retrieval import backup as index_backup

    settings = Settings()
    try:
        registry = registry_backup.dump(build_engine(settings))
    except registry_backup.RegistryBackupError as exc:
        raise _fail(str(exc)) from None
    index = index_backup.export_index(_store(settings))
    partial = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_REGISTRY, json.dumps(registry, ensure_ascii=False))
            archive.writestr(_INDEX, json.dumps(index, ensure_ascii=False))
        partial.chmod(0o600)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise _fail(f"无法写入备份文件“{path}”：{exc.strerror or exc}") from None
    rows = sum(len(r) for r in registry["tables"].values())
    chunks = len(index["records"]) if index else 0
    typer.echo(f"已备份到 {path}：台账 {rows} 行，索引分块 {chunks} 个。")


def _read(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(_REGISTRY)), json.loads(archive.read(_INDEX))
    except FileNotFoundError:
        raise _fail(f"找不到备份文件“{path}”。") from None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        raise _fail(f"“{path}”不是有效的备份文件。") from None


def restore(
    path: Annotated[Path, typer.Argument(help="policyqa backup 生成的文件")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再确认")] = False,
) -> None:
    """从备份文件恢复任务台账和检索索引（覆盖现有内容）。"""
    from registry import backup as registry_backup
    from retrieval import backup as index_backup

    registry, index = _read(path)
    settings = Settings()
    engine, store = build_engine(settings), _store(settings)
    try:
        # check both before changing either
        registry_backup.check(engine, registry)
        if index is not None:
            index_backup.check_index(store, index)
        if not yes:
            typer.confirm("恢复将覆盖现有的任务台账和检索索引，是否继续？", abort=True)
        rows = sum(registry_backup.restore(engine, registry).values())
        chunks = index_backup.import_index(store, index) if index is not None else 0
    except (registry_backup.RegistryBackupError, index_backup.IndexBackupError) as exc:
        raise _fail(str(exc)) from None
    note = "" if index is not None else "（备份中没有索引，现有索引未变）"
    typer.echo(f"已恢复：台账 {rows} 行，索引分块 {chunks} 个{note}。")


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
