"""Imports every module that defines tables, so ``Base.metadata`` is complete for Alembic
and for the test that compares models with migrations. Add a line per new models module."""

from geo.campaign import models as campaign_models  # noqa: F401
from geo.edits import models as edits_models  # noqa: F401
from geo.inspections import models as inspections_models  # noqa: F401
from geo.kernel import models as kernel_models  # noqa: F401
from geo.notify import models as notify_models  # noqa: F401
from geo.progress import models as progress_models  # noqa: F401
from geo.violations import models as violations_models  # noqa: F401
