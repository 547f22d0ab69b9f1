"""What the core service answers: text, citations and the route taken."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

Audience = Literal["public", "official"]
Kind = Literal[
    "department_tasks",
    "responsibility",
    "target",
    "basis",
    "taskforce",
    "due",
    "progress",
    "restricted",
    "policy",
    "green_living",
    "out_of_scope",
    "not_covered",
]


# how a text the sources manifest does not list is marked wherever it is shown
UNVERIFIED = "（未列入来源清单，未核实）"


def where_cited(document: str, clause: str, *, verified: bool) -> str:
    """《document》clause, marked when the document is unverified: what every channel shows."""
    return f"《{document}》{clause}{'' if verified else UNVERIFIED}"


class Citation(BaseModel):
    document: str
    clause: str
    text: str = Field(description="the quoted original text")
    level: str = Field("", description="the document's level: 国家 / 省 / 市 / 县")
    verified: bool = Field(
        True,
        description="false: a file the sources manifest does not list (officials only), "
        f"shown with {UNVERIFIED}",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def where(self) -> str:
        """How every channel names the citation: 《document》clause, marked when unverified."""
        return where_cited(self.document, self.clause, verified=self.verified)


class Answer(BaseModel):
    answer: str
    citations: list[Citation]
    kind: Kind
    conversation_id: str | None = None
    warnings: list[str] = Field(default_factory=list)
