"""Uploading a document and reviewing its measures before they enter the ledger: office only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.auth import OfficeDep, ServicesDep
from assistant.intake import IntakeError

router = APIRouter(prefix="/api")


class EditRequest(BaseModel):
    """The fields of one measure to correct (see ``registry.drafts.EDITABLE``)."""

    fields: dict[str, Any] = Field(description="title, leads, co, deadline, targets, excluded")


class SplitRequest(BaseModel):
    at: int = Field(ge=1, le=1000, description="sentences kept in the first part")


def _refused(exc: IntakeError) -> HTTPException:
    return HTTPException(status_code=400, detail=str(exc))


@router.get("/sources")
def sources(services: ServicesDep, _: OfficeDep) -> list[dict[str, Any]]:
    """The manifest entries an upload may be a new version of."""
    return [asdict(s) for s in services.ingest.sources().values() if s.kind == "policy"]


@router.post("/drafts", status_code=201)
async def upload(
    services: ServicesDep,
    office: OfficeDep,
    file: Annotated[UploadFile, File(description="PDF、扫描件、OFD、Word、WPS、Excel、图片")],
    id: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    issuer: Annotated[str, Form(max_length=200)] = "",
    level: Annotated[str, Form(max_length=10)] = "县",
    doc_number: Annotated[str, Form(max_length=100)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    ledger: Annotated[
        bool | None, Form(description="false: a text above the plan, searched, no task source")
    ] = None,
) -> dict[str, Any]:
    """Read the file (OCR for scans: in a worker thread, so questions are answered meanwhile)
    and extract its measures into a draft; nothing in the ledger or the index changes."""
    limit = services.settings.documents.max_file_mb * 2**20
    data = await file.read(limit + 1)
    entry = {"id": id, "title": title, "issuer": issuer, "level": level}
    entry |= {"doc_number": doc_number, "date": date}
    if ledger is not None:  # else a new version keeps its entry's, a new entry is a task source
        entry["ledger"] = ledger
    try:
        draft = await run_in_threadpool(
            services.intake.upload,
            file.filename or "upload",
            data,
            entry,
            actor=office.username,
        )
    except IntakeError as exc:
        raise _refused(exc) from None
    return asdict(draft)


@router.get("/drafts")
def drafts(services: ServicesDep, _: OfficeDep, status: str | None = "draft") -> list[dict]:
    return [asdict(d) for d in services.intake.drafts.list(status=status or None)]


@router.get("/drafts/{draft_id}")
def draft(draft_id: int, services: ServicesDep, _: OfficeDep) -> dict[str, Any]:
    return asdict(services.intake.drafts.get(draft_id))


@router.patch("/drafts/{draft_id}/measures/{key}")
def edit(
    draft_id: int, key: str, body: EditRequest, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    found = services.intake.drafts.edit(draft_id, key, body.fields, actor=office.username)
    return asdict(found)


@router.post("/drafts/{draft_id}/measures/{key}/split")
def split(
    draft_id: int, key: str, body: SplitRequest, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    return asdict(services.intake.drafts.split(draft_id, key, at=body.at, actor=office.username))


@router.post("/drafts/{draft_id}/measures/{key}/merge")
def merge(draft_id: int, key: str, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    return asdict(services.intake.drafts.merge(draft_id, key, actor=office.username))


@router.post("/drafts/{draft_id}/publish")
def publish(draft_id: int, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    """Into the ledger in one transaction, then the manifest and search."""
    done = services.intake.publish(draft_id, actor=office.username)
    return {
        "draft": asdict(done.draft),
        "ledger": asdict(done.ledger),
        "indexed": done.indexed,
        "warning": done.warning,
    }


@router.delete("/drafts/{draft_id}", status_code=204)
def discard(draft_id: int, services: ServicesDep, office: OfficeDep) -> None:
    services.intake.drafts.discard(draft_id, actor=office.username)
