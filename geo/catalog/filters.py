"""CQL2 filters (OGC API – Features Part 3) translated into SQL with bound parameters.

The ``cql2`` library parses and validates CQL2-text and CQL2-JSON into the standard JSON
tree; this module walks that tree and emits SQL over the collection's queryables. Property
names are looked up in the queryables map (never pasted into SQL) and every literal is a
bound parameter, cast to the property's type.

>>> parse("grade = '1' AND area_ha > 2")["op"]
'and'
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import cql2

from geo.catalog.queryables import SQL_TYPES, Queryable
from geo.kernel.crs import CRS, DEFAULT
from geo.kernel.errors import InvalidParameter

LANGS = ("cql2-text", "cql2-json")
_COMPARISON = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_equals": "ST_Equals",
    "s_disjoint": "ST_Disjoint",
    "s_touches": "ST_Touches",
    "s_within": "ST_Within",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
    "s_contains": "ST_Contains",
}
_ARITHMETIC = {"+": "+", "-": "-", "*": "*", "/": "/"}


def _fail(message: str) -> InvalidParameter:
    return InvalidParameter(f"filter: {message}", parameter="filter")


def parse(value: str, lang: str = "cql2-text") -> dict[str, Any]:
    """CQL2 text or JSON to the standard CQL2-JSON tree, or a 400 naming the problem."""
    if lang not in LANGS:
        raise InvalidParameter(
            f"filter-lang: {lang!r} is not supported; use cql2-text or cql2-json",
            parameter="filter-lang",
        )
    try:
        expr = cql2.Expr(json.loads(value) if lang == "cql2-json" else value)
        expr.validate()
        tree = expr.to_json()
    except json.JSONDecodeError as exc:
        raise _fail(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    except Exception as exc:  # noqa: BLE001 - the library raises plain exceptions
        detail = " ".join(str(exc).split())
        raise _fail(f"cannot parse {lang}: {detail[:300]}") from None
    return tree


class _Translator:
    def __init__(self, queryables: dict[str, Queryable], bind, filter_crs: CRS):
        self.q = queryables
        self.bind = bind
        self.crs = filter_crs

    # -- boolean expressions ---------------------------------------------------------
    def condition(self, node: Any) -> str:
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        if not isinstance(node, dict) or "op" not in node:
            raise _fail(f"expected a condition, got {json.dumps(node)[:80]}")
        op, args = node["op"].lower(), node.get("args", [])
        if op in ("and", "or"):
            return "(" + f" {op.upper()} ".join(self.condition(a) for a in args) + ")"
        if op == "not":
            return f"(NOT {self.condition(args[0])})"
        if op in _COMPARISON:
            (left, lkind), (right, _) = self._pair(args[0], args[1])
            return f"({left} {_COMPARISON[op]} {right})"
        if op == "like":
            left, kind = self.scalar(args[0])
            if kind != "string":
                raise _fail(f"LIKE needs a string property; {self._name(args[0])} is a {kind}")
            return f"({left} LIKE {self.literal(args[1], 'string')})"
        if op == "between":
            left, kind = self.scalar(args[0])
            name = self._name(args[0])
            lo, hi = self.literal(args[1], kind, name), self.literal(args[2], kind, name)
            return f"({left} BETWEEN {lo} AND {hi})"
        if op == "in":
            left, kind = self.scalar(args[0])
            if not isinstance(args[1], list) or not args[1]:
                raise _fail("IN needs a non-empty list")
            name = self._name(args[0])
            values = ", ".join(self.literal(v, kind, name) for v in args[1])
            return f"({left} IN ({values}))"
        if op == "isnull":
            left, _ = self.scalar(args[0])
            return f"({left} IS NULL)"
        if op in _SPATIAL:
            return f"{_SPATIAL[op]}({self.geometry(args[0])}, {self.geometry(args[1])})"
        if op == "s_dwithin":
            # Distance in metres on the ellipsoid.
            dist = self.literal(args[2], "number")
            return (
                f"ST_DWithin(({self.geometry(args[0])})::geography, "
                f"({self.geometry(args[1])})::geography, {dist})"
            )
        if op.startswith("t_"):
            return self.temporal(op, args)
        if op.startswith("a_"):
            raise _fail(f"array operator {op.upper()} is not supported: no property is an array")
        raise _fail(f"operator {node['op']!r} is not supported")

    def temporal(self, op: str, args: list) -> str:
        left, kind = self.scalar(args[0])
        if kind not in ("date", "datetime"):
            raise _fail(f"{op.upper()} needs a date property; {self._name(args[0])} is a {kind}")
        other = args[1]
        if isinstance(other, dict) and "interval" in other:
            start, end = other["interval"]
            lo = None if start == ".." else self.literal(start, kind)
            hi = None if end == ".." else self.literal(end, kind)
            after = f"{left} > {lo}" if lo else "TRUE"
            before = f"{left} < {hi}" if hi else "TRUE"
            inside = f"{left} >= {lo}" if lo else "TRUE"
            upto = f"{left} <= {hi}" if hi else "TRUE"
            if op == "t_during":
                return f"({after} AND {before})"
            if op == "t_intersects":
                return f"({inside} AND {upto})"
            if op == "t_disjoint":
                return f"(NOT ({inside} AND {upto}))"
            if op == "t_after":
                return f"({left} > {hi})" if hi else "FALSE"
            if op == "t_before":
                return f"({left} < {lo})" if lo else "FALSE"
            raise _fail(f"{op.upper()} with an interval is not supported for instant properties")
        value = self.literal(other, kind)
        simple = {"t_after": ">", "t_before": "<", "t_equals": "=", "t_intersects": "="}
        if op in simple:
            return f"({left} {simple[op]} {value})"
        if op == "t_disjoint":
            return f"({left} <> {value})"
        raise _fail(f"{op.upper()} is not supported between two instants")

    # -- values ------------------------------------------------------------------------
    def _name(self, node: Any) -> str:
        return node["property"] if isinstance(node, dict) and "property" in node else "value"

    def property(self, node: dict) -> Queryable:
        name = node["property"]
        q = self.q.get(name)
        if q is None:
            known = ", ".join(sorted(self.q))
            raise _fail(f"unknown property {name!r}; queryables: {known}")
        return q

    def scalar(self, node: Any, kind: str | None = None) -> tuple[str, str]:
        """A typed SQL expression for a property, function or literal."""
        if isinstance(node, dict) and "property" in node:
            q = self.property(node)
            if q.kind == "geometry":
                raise _fail(f"{q.name} is a geometry: use a spatial operator")
            return q.sql, q.kind
        if isinstance(node, dict) and node.get("op", "").lower() in ("casei", "accenti"):
            inner, k = self.scalar(node["args"][0], "string")
            if k != "string":
                raise _fail(f"{node['op'].upper()} needs a string")
            return (f"lower({inner})" if node["op"].lower() == "casei" else inner), "string"
        if isinstance(node, dict) and node.get("op") in _ARITHMETIC:
            a, ka = self.scalar(node["args"][0], "number")
            b, kb = self.scalar(node["args"][1], "number")
            if {ka, kb} - {"number", "integer"}:
                raise _fail(f"arithmetic needs numbers, got {ka} and {kb}")
            return f"({a} {_ARITHMETIC[node['op']]} {b})", "number"
        if kind is None:
            kind = _literal_kind(node)
        return self.literal(node, kind), kind

    def _pair(self, a: Any, b: Any) -> tuple[tuple[str, str], tuple[str, str]]:
        """Both sides of a comparison, literals typed after the other side."""
        a_is_lit = _is_literal(a)
        if a_is_lit and not _is_literal(b):
            right = self.scalar(b)
            return (self.literal(a, right[1], self._name(b)), right[1]), right
        left = self.scalar(a)
        if _is_literal(b):
            return left, (self.literal(b, left[1], self._name(a)), left[1])
        return left, self.scalar(b)

    def literal(self, node: Any, kind: str, about: str | None = None) -> str:
        value = _coerce(node, kind, about)
        if kind == "string" and isinstance(node, dict) and node.get("op", "").lower() == "casei":
            return f"lower({self.literal(node['args'][0], 'string')})"
        return f"CAST({self.bind(value)} AS {SQL_TYPES[kind]})"

    def geometry(self, node: Any) -> str:
        if isinstance(node, dict) and "property" in node:
            q = self.property(node)
            if q.kind != "geometry":
                raise _fail(f"{q.name} is not a geometry")
            return q.sql
        if isinstance(node, dict) and "bbox" in node:
            b = node["bbox"]
            if len(b) == 6:
                b = [b[0], b[1], b[3], b[4]]
            if len(b) != 4:
                raise _fail("BBOX needs 4 numbers")
            x1, y1, x2, y2 = (float(v) for v in b)
            if self.crs.lat_first:
                x1, y1, x2, y2 = y1, x1, y2, x2
            env = (
                f"ST_MakeEnvelope({self.bind(x1)}, {self.bind(y1)}, {self.bind(x2)}, "
                f"{self.bind(y2)}, {int(self.crs.srid)})"
            )
            return env if self.crs.srid == 4326 else f"ST_Transform({env}, 4326)"
        if isinstance(node, dict) and "type" in node and "coordinates" in node:
            geojson = self.bind(json.dumps(node))
            g = f"ST_SetSRID(ST_GeomFromGeoJSON({geojson}), {int(self.crs.srid)})"
            if self.crs.lat_first:
                g = f"ST_FlipCoordinates({g})"
            return g if self.crs.srid == 4326 else f"ST_Transform({g}, 4326)"
        raise _fail(f"expected a geometry, got {json.dumps(node)[:80]}")


def _is_literal(node: Any) -> bool:
    return not (isinstance(node, dict) and ("property" in node or "op" in node))


def _literal_kind(node: Any) -> str:
    if isinstance(node, bool):
        return "boolean"
    if isinstance(node, int | float):
        return "number"
    if isinstance(node, dict) and "date" in node:
        return "date"
    if isinstance(node, dict) and "timestamp" in node:
        return "datetime"
    return "string"


def _coerce(node: Any, kind: str, about: str | None = None) -> Any:
    """A CQL2 literal as the Python value of ``kind``, or a 400."""
    prefix = f"{about} is a {kind}, so " if about else ""
    if isinstance(node, dict):
        if "date" in node:
            node = node["date"]
        elif "timestamp" in node:
            node = node["timestamp"]
        else:
            raise _fail(f"expected a {kind} value, got {json.dumps(node)[:80]}")
    try:
        if kind in ("number", "integer"):
            if isinstance(node, bool) or not isinstance(node, int | float):
                raise ValueError
            return int(node) if kind == "integer" and float(node).is_integer() else float(node)
        if kind == "boolean":
            if not isinstance(node, bool):
                raise ValueError
            return node
        if kind == "date":
            return date.fromisoformat(str(node)[:10])
        if kind == "datetime":
            return datetime.fromisoformat(str(node).replace("Z", "+00:00"))
    except ValueError:
        shown = json.dumps(node, ensure_ascii=False)
        raise _fail(f"{prefix}{shown} does not fit: expected a {kind}") from None
    if not isinstance(node, str):
        raise _fail(f"{prefix}{json.dumps(node)} does not fit: expected a string")
    return node


def to_sql(
    tree: dict[str, Any] | bool, queryables: dict[str, Queryable], bind, filter_crs: CRS = DEFAULT
) -> str:
    """A boolean SQL expression for a parsed CQL2 tree. ``bind(value)`` returns a placeholder."""
    return _Translator(queryables, bind, filter_crs).condition(tree)
