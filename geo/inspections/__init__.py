"""Field inspections: records (idempotent by client UUID), photos, and the verdicts."""

from geo.inspections.models import VERDICTS

__all__ = ["VERDICTS"]
