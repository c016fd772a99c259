"""The body of an inspection (PUT /inspections/{uuid})."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from geo.inspections import VERDICTS
from geo.inspections import records as inspections
from geo.kernel.errors import InvalidInput


class InspectionBody(BaseModel):
    """What an inspector records on site."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, description="Longitude of the inspector's position")
    lat: float = Field(ge=-90, le=90, description="Latitude of the inspector's position")
    gcj02: bool = Field(False, description="true when lon/lat are GCJ-02 (AMap/Tencent)")
    accuracy_m: float | None = Field(None, ge=0, le=100_000, description="Position accuracy")
    observed_at: datetime = Field(description="When it was observed (RFC 3339, with zone)")
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]  # the one list, geo.inspections
    note: str | None = Field(None, max_length=10_000)
    violation_id: int | None = Field(None, ge=1)
    feature_id: int | None = Field(None, ge=1)

    def to_input(self) -> inspections.InspectionInput:
        if self.observed_at.tzinfo is None:
            raise InvalidInput("observed_at: needs a time zone (e.g. 2025-06-01T10:00:00+08:00)")
        return inspections.InspectionInput(**self.model_dump())
