"""The event history every restoration record carries, and the record itself."""

from __future__ import annotations

from builder.common import d


def make_events(rng, target, steps):
    """steps: list of (status, date, restored_fraction, note)."""
    ev = []
    last = None
    for st, day, frac, note in steps:
        if last and day < last:
            day = last
        ev.append(
            {
                "date": day.isoformat(),
                "status": st,
                "restored_area_ha": round(target * frac, 2),
                "note": note,
            }
        )
        last = day
    return ev


BASE = d("2021-07-06")
INSPECTION_NOTE = "督察进驻基线 (inspection baseline, 2021-07-06)"


def record(layer, code, t, events, plan, funding, deadline, unit) -> dict:
    return {
        "layer": layer,
        "code": code,
        "status": events[-1]["status"],
        "target_area_ha": t,
        "restored_area_ha": events[-1]["restored_area_ha"],
        "plan_ref": plan,
        "funding": funding,
        "deadline": deadline,
        "responsible_unit": unit,
        "events": events,
    }
