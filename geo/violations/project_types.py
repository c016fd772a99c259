"""Project types for the site check (选址审查): which rules judge a proposed road, mine,
farm… Each rule lists the types it applies to (``violation_rules.applies_to``); a site check
for one type uses only those rules. The defaults follow each rule's legal basis:

- a new project occupies land, so the rules on *grassland occupations* judge it: a rule for
  one purpose (``{"purpose": "mining"}``) applies to that project type; a rule for every
  occupation applies to every type that does not serve water supply (WPPL art. 65 bans, in a
  grade-1 zone, every project unrelated to water supply or source protection);
- rules on existing *mining pits* watch legacy pits, not proposals: no type (a new mine is
  judged by the mining-occupation rules);
- rules on *sewage outlets* apply to a sewage outlet (WPPL art. 64);
- a rule on any other layer applies to every type (when unsure, check).

>>> default_applies_to("grassland_occupations", {"purpose": "farming"})
['farmland']
>>> default_applies_to("mining_pits", {})
[]
>>> "water_supply" in default_applies_to("grassland_occupations", {})
False
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

ProjectType = Literal[
    "road",
    "pipeline",
    "mine",
    "sand_quarry",
    "farmland",
    "building",
    "tourism",
    "water_supply",
    "sewage_outlet",
    "other",
]

# (id, English, Chinese), in the order a form lists them.
PROJECT_TYPES: list[tuple[str, str, str]] = [
    ("road", "Road or railway corridor", "道路、铁路"),
    ("pipeline", "Pipeline or power line", "管线、输电线路"),
    ("mine", "Mine", "矿山开采"),
    ("sand_quarry", "Sand or gravel quarry", "采砂、采石"),
    ("farmland", "Farmland (reclamation)", "开垦种植"),
    ("building", "Buildings", "建筑物"),
    ("tourism", "Tourism facilities", "旅游设施"),
    ("water_supply", "Water supply or source protection", "供水设施、水源保护"),
    ("sewage_outlet", "Sewage outlet", "排污口"),
    ("other", "Other construction", "其他建设项目"),
]
ALL = [t[0] for t in PROJECT_TYPES]

# grassland_occupations.purpose -> the project type that occupies land for it
PURPOSE_TYPE = {
    "mining": "mine",
    "sand_quarry": "sand_quarry",
    "farming": "farmland",
    "road": "road",
    "construction": "building",
    "tourism": "tourism",
    "other": "other",
}


def default_applies_to(subject_layer: str, subject_filter: dict[str, Any]) -> list[str]:
    """The project types a rule judges when its author named none (see the module doc)."""
    if subject_layer == "grassland_occupations":
        purpose = subject_filter.get("purpose")
        if purpose is not None:
            return [PURPOSE_TYPE[purpose]] if purpose in PURPOSE_TYPE else []
        return [t for t in ALL if t != "water_supply"]
    if subject_layer == "mining_pits":
        return []
    if subject_layer == "sewage_outlets":
        return ["sewage_outlet"]
    return list(ALL)


async def rules_by_type(conn: AsyncConnection) -> dict[str, list[str]]:
    """Codes of the enabled rules that judge each project type."""
    rows = await conn.execute(
        text("SELECT code, applies_to FROM violation_rules WHERE enabled ORDER BY id")
    )
    out: dict[str, list[str]] = {t: [] for t in ALL}
    for code, applies_to in rows:
        for t in applies_to:
            out[t].append(code)
    return out
