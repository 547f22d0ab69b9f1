"""The 任务台账 page of a large ledger: a page of cards at a time, and one task by its link (the
address reminders carry)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from retrieval.ingest import parse_source
from retrieval.loaders import read_blocks
from retrieval.sources import Source
from tests.api.conftest import PASSWORD, make_user
from tests.conftest import fixed_services, make_settings

MEASURES = 70


def _plan() -> str:
    lines = ["某县“双碳”分页测试方案", "", "一、重点任务"]
    for n in range(1, MEASURES + 1):
        unit = "县林业局" if n == MEASURES else "县发改局"
        lines.append(f"{n}.任务{n}。推进第{n}项工作，2030年前完成。（{unit}牵头）")
    return "\n".join(lines)


def test_seventy_tasks_come_sixty_to_a_page_and_a_link_shows_one(
    tmp_path: Path, embedding_cache: Path
) -> None:
    services = fixed_services(make_settings(tmp_path / "data", embedding_cache))
    path = tmp_path / "plan.txt"
    path.write_text(_plan(), "utf-8")
    source = Source(id="paging", title="某县“双碳”分页测试方案", file=path.name)
    services.registry.sync_document(
        source_id=source.id,
        title=source.title,
        level="县",
        document=parse_source(read_blocks(path), source),
    )
    tasks = services.registry.tasks(document="paging")
    assert len(tasks) == MEASURES
    office = make_user(services, "office")
    forestry = make_user(services, "department", "县林业局")
    with TestClient(create_app(services, session_secret="paging")) as client:
        client.post("/login", data={"username": office, "password": PASSWORD})
        first = client.get("/dashboard").text
        assert first.count('<article class="task') == 60
        assert "第 1–60 项，共 70 项" in first
        [next_page] = re.findall(r'href="([^"]*page=2[^"]*)"', first)
        second = client.get(next_page.replace("&amp;", "&")).text
        assert second.count('<article class="task') == 10 and "第 61–70 项，共 70 项" in second
        assert "上一页" in second and "下一页" not in second

        # the link a reminder carries shows that task, whoever's it is
        client.post("/logout")
        client.post("/login", data={"username": forestry, "password": PASSWORD})
        own = client.get("/dashboard").text
        assert own.count('<article class="task') == 1  # 县林业局 leads one task
        linked = client.get("/dashboard", params={"task": tasks[0].id}).text
        assert linked.count('<article class="task') == 1
        assert f'id="task-{tasks[0].id}"' in linked
