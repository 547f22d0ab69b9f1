"""Open endpoints: health, questions, search (getting a token: ``api.routes.accounts``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from api.auth import MaybeAccount, ServicesDep, public_limit
from assistant.models import Answer
from assistant.search import Hit
from retrieval.text import split_sentences

router = APIRouter()
Limited = Depends(public_limit)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    audience: Literal["public", "official"] = "public"
    conversation_id: str | None = Field(None, max_length=64)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    checks = {}
    try:
        checks["index"] = f"{services.search.chunk_count()} chunks"
    except Exception as exc:  # any failure means: not ready
        checks["index"] = f"unavailable: {exc.__class__.__name__}"
    try:
        services.registry.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
    ready = checks["database"] == "ok" and not checks["index"].startswith("unavailable")
    return JSONResponse(status_code=200 if ready else 503, content={"ready": ready, **checks})


def _ask(body: AskRequest, account: MaybeAccount, services: ServicesDep) -> Answer:
    if body.audience == "official" and account is None:
        raise HTTPException(401, "以工作人员身份提问需要先登录。")
    # a conversation belongs to whoever started it
    owner = f"user{account.id}" if account else "public"
    conversation = f"{owner}:{body.conversation_id}" if body.conversation_id else None
    answer = services.answers.ask(
        body.question,
        audience=body.audience,
        conversation_id=conversation,
        department=account.department if account else None,  # "我们局"
    )
    return answer.model_copy(update={"conversation_id": body.conversation_id})


@router.post("/api/ask", dependencies=[Limited])
def ask(body: AskRequest, account: MaybeAccount, services: ServicesDep) -> Answer:
    return _ask(body, account, services)


@router.post("/api/ask/stream", dependencies=[Limited], response_class=EventSourceResponse)
def ask_stream(answer: Annotated[Answer, Depends(_ask)]) -> Iterator[ServerSentEvent]:
    """The answer sentence by sentence (``delta`` events), then ``citations`` and ``done``.

    Sentences are sent once they passed grounding, so nothing is streamed and later withdrawn.
    The answer is found before the first event (a dependency): a refusal or an outage is then an
    ordinary JSON error (401, 503), not a stream cut off after its headers.
    """
    for sentence in split_sentences(answer.answer) or [answer.answer]:
        yield ServerSentEvent(event="delta", data=sentence)
    yield ServerSentEvent(event="citations", data=[c.model_dump() for c in answer.citations])
    yield ServerSentEvent(event="done", data={"kind": answer.kind, "warnings": answer.warnings})


@router.get("/api/search", dependencies=[Limited])
def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="问题或关键词")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    source_id: str | None = None,
    level: str | None = None,
    clause_prefix: str | None = None,
    include_guides: bool = False,
) -> list[Hit]:
    return services.search.search(
        q,
        k=k,
        source_id=source_id,
        level=level,
        clause_prefix=clause_prefix,
        include_guides=include_guides,
    )
