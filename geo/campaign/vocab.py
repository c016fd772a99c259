"""The campaign's words, defined once: sign-off steps, evidence kinds, record kinds and
quantity kinds. (Task note kinds, date precisions and task states are in geo.progress.vocab.)"""

from __future__ import annotations

# Sign-off (验收销号): an acceptance with evidence and an accepting unit; a reopening with
# the finding that showed it premature.
SIGNOFF_STEPS = ("accepted", "reopened")
EVIDENCE_KINDS = ("document", "photo", "inspection")

RECORD_KINDS = (
    "accountability",  # 追责问责: cases, units, people
    "petition",  # 信访: received, closed, closed_pct
    "compensation",  # 生态环境损害赔偿
    "disclosure",  # 信息公开 / 环境信息披露
    "premature_closure",  # a closure found premature (reported done, not done)
)
QUANTITY_KINDS = ("planned", "done")
