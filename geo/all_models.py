"""Imports every module that defines tables, so ``Base.metadata`` is complete for Alembic
and for the test that compares models with migrations. Add a line per new models module."""

from geo import (
    models,  # noqa: F401
    models_edits,  # noqa: F401
    models_inspections,  # noqa: F401
    models_progress,  # noqa: F401
    models_violations,  # noqa: F401
)
