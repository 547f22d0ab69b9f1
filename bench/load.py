"""HTTP load: concurrent clients on ``POST /api/ask`` against a real ``policyqa serve``.

The server runs as its own process with the embedded defaults (Chroma and SQLite under a
temporary ``POLICYQA_DATA_DIR``, no LLM, no bot), after ``policyqa ingest``; it shares the
benchmark's embedding cache so that ingesting does not embed the plan again. Each client sends
its next question as soon as the previous answer arrives (closed loop, no think time), so by
Little's law the latency is about clients / throughput.

The clients are aiohttp's: on this 2-core machine the load generator shares the CPU with the
server, and httpx's client spent 3.7 ms of CPU per request (more than the server's 1.6 ms), so it
measured itself; aiohttp's spends 0.4 ms.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import httpx

from bench.datasets import REPO
from bench.metrics import percentiles
from bench.stack import CACHE_DIR

POLICYQA = Path(sys.executable).with_name("policyqa")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(data_dir: Path) -> dict[str, str]:
    """This environment without any POLICYQA_* of the developer's, plus the benchmark's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
    env.update(
        POLICYQA_DATA_DIR=str(data_dir),
        POLICYQA_CACHE_DIR=str(CACHE_DIR),
        POLICYQA_CORPUS_DIR=str(REPO / "corpus"),
        # all clients come from 127.0.0.1: the per-client limit would measure the limiter
        POLICYQA_API__PUBLIC_RATE_LIMIT="1000000/minute",
    )
    return env


def _wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"policyqa serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("policyqa serve did not become ready")


async def _client(
    http: aiohttp.ClientSession,
    questions: Sequence[str],
    offset: int,
    stop: float,
    seen: set[str],
    samples: list[tuple[float, bool, int | str]],
) -> None:
    n = offset
    while time.monotonic() < stop:
        question = questions[n % len(questions)]
        n += 1
        first = question not in seen
        seen.add(question)
        body = {"question": question, "audience": "public", "conversation_id": None}
        started = time.perf_counter()
        try:
            async with http.post("/api/ask", json=body) as response:
                answer = await response.json()
                ok = response.status == 200 and {"answer", "citations", "kind"} <= set(answer)
                outcome: int | str = 200 if ok else response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            outcome = type(exc).__name__
        samples.append((time.perf_counter() - started, first, outcome))


async def _run(base: str, questions, clients: int, seconds: float):  # type: ignore[no-untyped-def]
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        seen: set[str] = set()
        samples: list[tuple[float, bool, int | str]] = []
        stop = time.monotonic() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _client(http, questions, i * len(questions) // clients, stop, seen, samples)
                for i in range(clients)
            )
        )
        return samples, time.perf_counter() - started


def run(questions: Sequence[str], *, clients: int, seconds: float) -> dict[str, object]:
    """Public questions: asking as an official needs a login, which is not what is measured."""
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-serve-") as tmp:
        data_dir = Path(tmp) / "data"
        env = _environment(data_dir)
        subprocess.run(
            [str(POLICYQA), "ingest"], cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL
        )
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "serve.log").open("wb")
        server = subprocess.Popen(
            [str(POLICYQA), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(base, server)
            probe = httpx.post(
                f"{base}/api/ask",
                json={"question": questions[0], "audience": "public", "conversation_id": None},
                timeout=30,
            )
            if probe.status_code == 404:
                return {"skipped": "POST /api/ask answers 404: the route is not there yet"}
            samples, elapsed = asyncio.run(_run(base, questions, clients, seconds))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    errors: dict[str, int] = {}
    for _, _, outcome in samples:
        if outcome != 200:
            errors[str(outcome)] = errors.get(str(outcome), 0) + 1
    ok = [s for s, _, o in samples if o == 200]
    first = [s for s, f, o in samples if o == 200 and f]
    again = [s for s, f, o in samples if o == 200 and not f]
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(samples),
        "requests_per_second": len(samples) / elapsed,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "distinct_questions": len(set(questions)),
        **percentiles(ok),
        "first_asking": percentiles(first),
        "repeated_asking": percentiles(again),
    }
