"""The command line starts without the search stack, the web server or the document writers:
``policyqa --help`` and the registry commands load them only when a command needs them.
A fresh interpreter for each check, as a user's shell starts one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI_MODULES = [
    "policyqa.cli",
    "policyqa.registry_cli",
    "policyqa.bot_cli",
    "policyqa.channel_cli",
    "policyqa.backup_cli",
    "policyqa.dingtalk_cli",
]
# seconds of start-up each: the model stack, the web stack, the writers, the migrations
HEAVY = [
    "chromadb",
    "torch",
    "sentence_transformers",
    "transformers",
    "onnxruntime",
    "jieba",
    "bm25s",
    "langchain_core",
    "fastapi",
    "starlette",
    "uvicorn",
    "telegram",
    "apscheduler",
    "docx",
    "openpyxl",
    "numpy",
    "alembic",
]


def _loaded_after(modules: list[str]) -> set[str]:
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(json.loads(done.stdout))


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    loaded = _loaded_after(CLI_MODULES)
    assert "typer" in loaded  # the probe sees what is imported
    assert sorted(loaded & set(HEAVY)) == []


def test_help_lists_the_commands_without_loading_them() -> None:
    script = (
        "import json, sys\n"
        "sys.argv = ['policyqa', '--help']\n"
        "from policyqa.cli import main\n"
        "try:\n    main()\n"
        "except SystemExit:\n"
        "    print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    for command in ("ingest", "serve", "tasks", "export", "report", "user", "channel", "backup"):
        assert command in done.stdout
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert sorted(loaded & set(HEAVY)) == []


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_another_port() -> None:
    planned = subprocess.run(
        ["make", "-n", "run", "PORT=8080", "HOST=0.0.0.0"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "serve --host 0.0.0.0 --port 8080" in planned
    default = subprocess.run(
        ["make", "-n", "run"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "serve --host 127.0.0.1 --port 8000" in default
