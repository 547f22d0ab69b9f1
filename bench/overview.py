"""The 督办总览 at the size the issue names: 5 plans, 1,000 tasks, with milestones and reports.

Plans are written here (200 measures each, 25 departments, dated and open-ended deadlines) and
put in a SQLite ledger; ~2,000 milestones and ~2,500 progress reports are added through the
registry. Timed through HTTP (FastAPI's TestClient, a logged-in office account): the overview page
and its JSON, the dashboard, and ``policyqa report``'s Word document; each warm (the ledger
unchanged since the last request) and after a write (every request follows a new progress report,
so the ledger is read again). Target: overview p95 ≤ 200 ms.

``python -m bench --only overview``.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from bench.datasets import SEED
from bench.metrics import percentiles
from bench.stack import settings
from policyqa.composition import build_services
from retrieval.ingest import parse_source
from retrieval.loaders import read_blocks
from retrieval.sources import Source

PLANS, SECTIONS, SUBSECTIONS, ITEMS = 5, 5, 8, 5  # 5 × 200 = 1,000 tasks
UNITS = [
    "县发改局",
    "县工信局",
    "县财政局",
    "县自然资源局",
    "县生态环境局",
    "县住建局",
    "县交通运输局",
    "县水利局",
    "县农业农村局",
    "县商务局",
    "县文旅广体局",
    "县卫健局",
    "县应急局",
    "县市场监管局",
    "县统计局",
    "县林业局",
    "县城管局",
    "县机关事务服务中心",
    "县教育局",
    "县科技局",
    "县税务局",
    "县供电公司",
    "县融媒体中心",
    "县人社局",
    "县公安局",
]
DEADLINES = ("2026年6月底前", "2026年12月底前", "2027年6月底前", "2030年前", "长期坚持", "每年")
NOW = dt.datetime(2026, 11, 16, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ROUNDS = 40
REPORT_ROUNDS = 5  # the monthly report: ~450 table rows at this size, seconds each


def _plan(n: int, rng: random.Random) -> str:
    lines = [f"第{n}号“双碳”专项行动方案", ""]
    for s in range(1, SECTIONS + 1):
        lines.append(f"{'一二三四五'[s - 1]}、重点领域{s}")
        for sub in range(1, SUBSECTIONS + 1):
            lines.append(f"（{'一二三四五六七八'[sub - 1]}）推进事项{s}-{sub}")
            for item in range(1, ITEMS + 1):
                lead, co = rng.sample(UNITS, 2)
                when = rng.choice(DEADLINES)
                lines.append(
                    f"{item}.任务{s}{sub}{item}。推进第{n}号方案第{s}{sub}{item}项工作，"
                    f"完成率达到{rng.randint(60, 99)}%以上，{when}完成。（{lead}牵头，{co}配合）"
                )
    return "\n".join(lines)


def build(root: Path) -> Services:
    clock_now = [NOW - dt.timedelta(days=120)]
    services = build_services(settings(root), clock=lambda: clock_now[0])
    registry, rng = services.registry, random.Random(SEED)
    for n in range(1, PLANS + 1):
        path = root / f"plan-{n}.txt"
        path.write_text(_plan(n, rng), "utf-8")
        source = Source(id=f"plan-{n}", title=f"第{n}号“双碳”专项行动方案", file=path.name)
        registry.sync_document(
            source_id=source.id,
            title=source.title,
            level="县",
            document=parse_source(read_blocks(path), source),
        )
    clock_now[0] = NOW
    for task in registry.tasks():
        for _ in range(rng.randint(1, 2)):
            registry.add_milestone(
                task.id,
                due=NOW.date() + dt.timedelta(days=rng.randint(-90, 300)),
                description="阶段节点",
                actor="bench",
            )
        units = (*task.lead_departments, *task.co_departments)
        for _ in range(rng.randint(0, 5)):
            registry.add_progress(
                task.id,
                department=rng.choice(units),
                status="进行中",
                note="按计划推进",
                reporter="bench",
                on=NOW.date() - dt.timedelta(days=rng.randint(0, 90)),
            )
    return services


def _timed(
    call: Callable[[], object], before: Callable[[], object] | None, rounds: int
) -> list[float]:
    call()
    out = []
    for _ in range(rounds):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-overview-") as folder:
        built = time.perf_counter()
        services = build(Path(folder))
        built = time.perf_counter() - built
        registry = services.registry
        tasks = registry.tasks()
        counts = {
            "tasks": len(tasks),
            "milestones": sum(len(t.milestones) for t in tasks),
            "reports": sum(len(t.progress) for t in tasks),
        }
        services.accounts.add_user("bench-office", "bench password", role="office", department=None)
        task_id = tasks[0].id
        unit = tasks[0].lead_departments[0]

        def write() -> None:
            registry.add_progress(
                task_id, department=unit, status="进行中", note="再报", reporter="bench"
            )

        rows = []
        with TestClient(create_app(services, session_secret="bench")) as client:
            client.post("/login", data={"username": "bench-office", "password": "bench password"})
            calls = {
                "GET /overview": lambda: _ok(client.get("/overview")),
                "GET /api/overview": lambda: _ok(client.get("/api/overview")),
                "GET /overview?document=plan-3": lambda: _ok(
                    client.get("/overview", params={"document": "plan-3"})
                ),
                "GET /dashboard?status=逾期": lambda: _ok(
                    client.get("/dashboard", params={"status": "逾期"})
                ),
                "GET /api/report (docx)": lambda: _ok(
                    client.get("/api/report", params={"month": "2026-11"})
                ),
            }
            for name, call in calls.items():
                for state, before in (("warm", None), ("after a write", write)):
                    rows.append(
                        {
                            "request": name,
                            "ledger": state,
                            **counts,
                            **percentiles(
                                _timed(call, before, REPORT_ROUNDS if "report" in name else ROUNDS)
                            ),
                        }
                    )
        for row in rows:
            row["build_seconds"] = round(built, 1)
        return rows


def _ok(response):  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:200]}")
    return response


COLUMNS = ["request", "ledger", "tasks", "milestones", "reports", "p50_ms", "p95_ms", "p99_ms", "n"]
