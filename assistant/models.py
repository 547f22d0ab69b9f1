"""What the core service answers: text, citations and the route taken."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Audience = Literal["public", "official"]
Kind = Literal[
    "department_tasks",
    "responsibility",
    "target",
    "basis",
    "taskforce",
    "due",
    "restricted",
    "policy",
    "green_living",
    "out_of_scope",
    "not_covered",
]


class Citation(BaseModel):
    document: str
    clause: str
    text: str = Field(description="the quoted original text")
    level: str = Field("", description="the document's level: 国家 / 省 / 市 / 县")


class Answer(BaseModel):
    answer: str
    citations: list[Citation]
    kind: Kind
    conversation_id: str | None = None
    warnings: list[str] = Field(default_factory=list)
