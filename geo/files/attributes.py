"""Attributes of imported rows: source columns mapped to layer attributes, coerced to the
schema's types column by column (pandas, vectorized), and checked against the layer's JSON
Schema set-based in SQL (one expression per rule, every value a bound parameter).

Supported schema keywords in SQL: type, enum, minLength, maxLength, minimum, maximum,
format=date, pattern, required, additionalProperties=false. A schema using anything else is
validated row by row with jsonschema instead (slower, same messages as the API).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from geo.kernel.errors import InvalidInput
from geo.kernel.sql import Where

COLUMN_TARGETS = ("code", "name", "source")
SQL_KEYWORDS = {
    "type",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "format",
    "pattern",
    "title",
    "description",
    "x-title-zh",
}
_TRUE = {"true", "t", "1", "yes", "y", "是"}
_FALSE = {"false", "f", "0", "no", "n", "否"}


def kind_of(schema: dict[str, Any]) -> str:
    types = schema.get("type", "string")
    return next(
        (t for t in ([types] if isinstance(types, str) else types) if t != "null"), "string"
    )


def sql_checkable(schema: dict[str, Any]) -> bool:
    return all(
        set(p) <= SQL_KEYWORDS and p.get("format") in (None, "date")
        for p in schema.get("properties", {}).values()
    )


def build_mapping(
    columns: list[str], schema: dict[str, Any], explicit: dict[str, str]
) -> dict[str, str]:
    """source column → target (code, name, source or a layer attribute). Columns named like
    a target map themselves (case-insensitively); ``explicit`` (``--map src=dst``) wins."""
    targets = set(COLUMN_TARGETS) | set(schema.get("properties", {}))
    unknown = sorted(set(explicit.values()) - targets)
    if unknown:
        raise InvalidInput(
            f"map: unknown attribute(s) {', '.join(unknown)}; this layer has "
            f"{', '.join(sorted(targets))}"
        )
    missing = sorted(set(explicit) - set(columns))
    if missing:
        raise InvalidInput(
            f"map: the file has no column(s) {', '.join(missing)}; it has {', '.join(columns)}"
        )
    mapping = dict(explicit)
    taken = set(explicit.values())
    lower = {t.lower(): t for t in targets}
    for col in columns:
        target = lower.get(col.lower())
        if col not in mapping and target and target not in taken:
            mapping[col] = target
            taken.add(target)
    if "code" not in mapping.values():
        raise InvalidInput(
            "map: no column gives the feature code: name one 'code' or map it (--map SRC=code)"
        )
    return mapping


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        whole = s.notna() & (s == np.floor(s.fillna(0)))
        out = s.astype("string")
        out[whole] = s[whole].astype("Int64").astype("string")
        return out
    out = s.astype("string").str.strip()
    return out.mask(out == "")


def coerce(
    df: pd.DataFrame, mapping: dict[str, str], schema: dict[str, Any]
) -> tuple[pd.DataFrame, pd.Series]:
    """Mapped, typed columns (targets as names) and an error text per row ("" if none)."""
    props = schema.get("properties", {})
    out = pd.DataFrame(index=df.index)
    errors = pd.Series("", index=df.index)
    for col, target in mapping.items():
        s = df[col]
        kind = "string" if target in COLUMN_TARGETS else kind_of(props[target])
        text = _as_text(s) if s.dtype == object or pd.api.types.is_string_dtype(s) else None
        if kind in ("number", "integer"):
            if text is None:
                out[target] = s
                continue
            num = pd.to_numeric(text, errors="coerce")
            bad = text.notna() & num.isna()
            errors[bad] += target + ": " + text[bad] + " is not a number; "
            out[target] = num
        elif kind == "boolean":
            if pd.api.types.is_bool_dtype(s):
                out[target] = s
                continue
            low = (text if text is not None else s.astype("string")).str.lower()
            val = pd.Series(pd.NA, index=df.index, dtype="boolean")
            val[low.isin(_TRUE)] = True
            val[low.isin(_FALSE)] = False
            bad = low.notna() & val.isna()
            errors[bad] += target + ": " + low[bad] + " is not true/false; "
            out[target] = val
        else:
            out[target] = text if text is not None else _as_text(s)
    return out, errors


def attribute_checks(schema: dict[str, Any], props: str, w: Where) -> list[str]:
    """SQL expressions, each the text of one violation or NULL, over the JSONB ``props``."""
    checks = []
    known = list(schema.get("properties", {}))
    if schema.get("additionalProperties") is False:
        checks.append(
            "(SELECT 'unknown attribute(s) ' || string_agg(k, ', ') FROM jsonb_object_keys("
            f"{props}) k WHERE k <> ALL({w.bind(known)}))"
        )
    for name in schema.get("required", []):
        checks.append(
            f"CASE WHEN NOT {props} ? {w.bind(name)} THEN {w.bind(name + ': required')} END"
        )
    for name, p in schema.get("properties", {}).items():
        n = w.bind(name)
        v, t = f"({props} -> {n})", f"({props} ->> {n})"
        label = w.bind(name + ": ")
        types = p.get("type", "string")
        types = [types] if isinstance(types, str) else list(types)
        json_types = sorted({"number" if x == "integer" else x for x in types} - {"null"})
        checks.append(
            f"CASE WHEN {props} ? {n} AND jsonb_typeof({v}) <> ALL({w.bind(json_types)}) "
            f"THEN {label} || 'expected ' || {w.bind(' or '.join(types))} END"
        )
        if "integer" in types:
            checks.append(
                f"CASE WHEN jsonb_typeof({v}) = 'number' AND {t}::numeric <> trunc({t}::numeric)"
                f" THEN {label} || {t} || ' is not an integer' END"
            )
        if "enum" in p:
            checks.append(
                f"CASE WHEN {props} ? {n} AND NOT CAST({w.bind(json.dumps(p['enum']))} AS jsonb)"
                f" @> jsonb_build_array({v}) THEN {label} || {t} || ' is not one of '"
                f" || {w.bind(', '.join(str(e) for e in p['enum'] if e is not None))} END"
            )
        for key, op in (("minLength", "<"), ("maxLength", ">")):
            if key in p:
                checks.append(
                    f"CASE WHEN jsonb_typeof({v}) = 'string' AND char_length({t}) {op} "
                    f"{w.bind(p[key])} THEN {label} || {w.bind(f'{key} {p[key]}')} END"
                )
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in p:
                checks.append(
                    f"CASE WHEN jsonb_typeof({v}) = 'number' AND {t}::numeric {op} "
                    f"{w.bind(p[key])} THEN {label} || {t} || {w.bind(f' breaks {key} {p[key]}')}"
                    " END"
                )
        if p.get("format") == "date":
            checks.append(
                f"CASE WHEN jsonb_typeof({v}) = 'string' AND {t} !~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}$'"
                f" THEN {label} || {t} || ' is not a date (YYYY-MM-DD)' END"
            )
        if "pattern" in p:
            checks.append(
                f"CASE WHEN jsonb_typeof({v}) = 'string' AND {t} !~ {w.bind(p['pattern'])}"
                f" THEN {label} || {t} || ' does not match the pattern' END"
            )
    return checks
