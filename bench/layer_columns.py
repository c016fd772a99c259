"""Each synthetic layer's own attribute columns (bench.generate adds the shared ones)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np


def _maybe(rng, values: np.ndarray, p_null: float) -> list:
    return [
        None if m else v
        for v, m in zip(values.tolist(), rng.random(len(values)) < p_null, strict=True)
    ]


def _water_zone_columns(rng, town: np.ndarray, seq: np.ndarray, n: int) -> dict[str, list]:
    """Water source protection zones: grade and approval."""
    cols: dict[str, list] = {}
    grade = rng.choice(["1", "2", "quasi"], n, p=[0.3, 0.45, 0.25])
    label = {"1": "一级保护区", "2": "二级保护区", "quasi": "准保护区"}
    cols["name"] = [f"{t}{i}号水源地{label[g]}" for t, i, g in zip(town, seq, grade, strict=True)]
    cols["source_name"] = [f"{t}{i}号水源地" for t, i in zip(town, seq, strict=True)]
    cols["water_body"] = rng.choice(["river", "reservoir", "groundwater", "lake"], n).tolist()
    cols["grade"] = grade.tolist()
    cols["approval_document"] = _maybe(
        rng, np.array([f"新政函〔2019〕合成{i}号" for i in seq]), 0.3
    )
    return cols


def _wetland_park_columns(rng, town: np.ndarray, seq: np.ndarray, n: int) -> dict[str, list]:
    """Wetland parks: level, functional zone, degradation."""
    cols: dict[str, list] = {}
    cols["name"] = [f"{t}{i}号湿地公园" for t, i in zip(town, seq, strict=True)]
    cols["park_name"] = cols["name"]
    cols["level"] = rng.choice(["national", "regional"], n, p=[0.3, 0.7]).tolist()
    cols["functional_zone"] = rng.choice(
        ["conservation", "restoration", "sustainable_use"], n
    ).tolist()
    cols["degraded"] = _maybe(rng, rng.random(n) < 0.3, 0.2)
    return cols


def _pit_columns(rng, town: np.ndarray, seq: np.ndarray, n: int) -> dict[str, list]:
    """Mining pits: mineral, depth, responsible party."""
    cols: dict[str, list] = {}
    mineral = rng.choice(
        ["sand_gravel", "coal", "limestone", "clay", "iron", "gold", "other"],
        n,
        p=[0.45, 0.2, 0.1, 0.1, 0.06, 0.04, 0.05],
    )
    cols["name"] = [f"{t}{i}号采坑" for t, i in zip(town, seq, strict=True)]
    cols["mineral"] = mineral.tolist()
    cols["legacy"] = (rng.random(n) < 0.7).tolist()
    cols["responsible_party"] = _maybe(rng, np.array([f"{t}合成矿业公司" for t in town]), 0.5)
    cols["town"] = town.tolist()
    cols["reported_area_ha"] = _maybe(rng, np.round(rng.lognormal(0, 1, n), 2), 0.2)
    cols["pit_depth_m"] = _maybe(rng, np.round(rng.uniform(1, 80, n), 1), 0.3)
    return cols


def _occupation_columns(rng, town: np.ndarray, seq: np.ndarray, n: int) -> dict[str, list]:
    """Grassland occupations: occupant, purpose, approval."""
    cols: dict[str, list] = {}
    since = [
        (date(2005, 1, 1) + timedelta(days=int(d))).isoformat() for d in rng.integers(0, 6500, n)
    ]
    cols["name"] = [f"{t}{i}号占用图斑" for t, i in zip(town, seq, strict=True)]
    cols["occupant"] = [f"{t}合成企业{i % 997}" for t, i in zip(town, seq, strict=True)]
    cols["purpose"] = rng.choice(
        ["mining", "sand_quarry", "tourism", "road", "farming", "construction", "other"], n
    ).tolist()
    cols["grassland_type"] = _maybe(
        rng, rng.choice(["natural_pasture", "artificial_pasture", "other"], n), 0.1
    )
    cols["approval_status"] = rng.choice(
        ["approved", "temporary", "none"], n, p=[0.2, 0.2, 0.6]
    ).tolist()
    cols["reported_area_ha"] = _maybe(rng, np.round(rng.lognormal(-1, 1, n), 2), 0.2)
    cols["occupied_since"] = _maybe(rng, np.array(since), 0.1)
    cols["town"] = town.tolist()
    return cols


# Each layer's own columns, drawn after the shared code and town columns.
LAYER_COLUMNS = {
    "water_source_zones": _water_zone_columns,
    "wetland_parks": _wetland_park_columns,
    "mining_pits": _pit_columns,
    "grassland_occupations": _occupation_columns,
}
