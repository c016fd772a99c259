"""The body of a restoration event (POST/PUT /features/{featureId}/restoration)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from geo.progress import restoration, vocab

Status = Literal[vocab.RESTORATION_STATUSES]
Funding = Literal[vocab.FUNDING]


class EventBody(BaseModel):
    """A restoration event. Values left out keep the previous event's value."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    event_date: date | None = Field(None, description="defaults to today; never in the future")
    note: str | None = Field(None, max_length=4000)
    evidence_ref: str | None = Field(None, max_length=1000, description="photo id, document no.")
    target_area_ha: float | None = None
    restored_area_ha: float | None = None
    plan_ref: str | None = Field(None, max_length=1000)
    funding: Funding | None = None
    deadline: date | None = None
    responsible_unit: str | None = Field(None, max_length=500)

    def to_input(self) -> restoration.EventInput:
        data = self.model_dump()
        data["event_date"] = data["event_date"] or date.today()
        return restoration.EventInput(**data)
