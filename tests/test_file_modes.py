"""What the product writes is readable by its service user only (SECURITY.md): the real CLI in a
subprocess, started with the usual umask of 022, creates DATA_DIR, the database and the exports."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import CORPUS


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    """``policyqa ARGS`` started as a login shell would start it: umask 022."""
    env = {**os.environ, "POLICYQA_DATA_DIR": str(data_dir), "POLICYQA_CORPUS_DIR": str(CORPUS)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        umask=0o022,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_data_dir_database_and_exports_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ledger = run(["export", "--format", "xlsx"], data)
    assert ledger.returncode == 0, ledger.stderr
    bulletin = run(["report", "--month", "2025-01"], data)
    assert bulletin.returncode == 0, bulletin.stderr
    exports = [Path(ledger.stdout.strip()), Path(bulletin.stdout.strip())]
    assert [e.suffix for e in exports] == [".xlsx", ".docx"]
    assert _mode(data) == _mode(data / "exports") == 0o700
    for path in [data / "registry.sqlite3", *exports]:
        assert _mode(path) == 0o600, path


def test_an_open_data_dir_of_an_older_version_is_closed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    result = run(["tasks"], data)
    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700
