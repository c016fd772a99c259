"""Violation rules: read, validate, add and change them. Rules are data; the database
re-evaluates a rule whenever it is added or changed (trigger on ``violation_rules``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.errors import Conflict, InvalidInput, NotFound
from geo.violations.project_types import ProjectType, default_applies_to
from geo.violations.vocab import SEVERITIES

Severity = Literal[SEVERITIES]  # type: ignore[valid-type]  # geo.violations.vocab


class RuleIn(BaseModel):
    """A rule as an administrator writes it (POST /rules)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_.-]{1,62}$", description="e.g. WPPL-65-PIT")
    name: str = Field(min_length=1, max_length=300)
    name_zh: str | None = Field(None, max_length=300)
    kind: Literal["overlap", "attribute"] = "overlap"
    subject_layer: str
    subject_filter: dict[str, Any] = Field(
        default_factory=dict,
        description='JSONB containment on the subject, e.g. {"purpose": "mining"}',
    )
    protected_layer: str | None = None
    protected_filter: dict[str, Any] = Field(
        default_factory=dict,
        description='JSONB containment on the protected side, e.g. {"grade": "1"}',
    )
    predicate: Literal["intersects", "dwithin"] | None = None
    distance_m: float | None = Field(None, gt=0, le=100_000)
    min_area_m2: float = Field(0, ge=0, description="Overlaps smaller than this are slivers")
    severity: Severity
    legal_basis: str = Field(min_length=1)
    legal_basis_zh: str = Field(min_length=1)
    notes: str | None = None
    enabled: bool = True
    applies_to: list[ProjectType] | None = Field(
        None, description="Project types the rule judges in a site check; default from the subject"
    )
    # The legal text and its period of force; the versions of one family never overlap.
    family: str | None = Field(
        None, pattern=r"^[A-Z0-9][A-Z0-9_.-]{1,62}$", description="defaults to the code"
    )
    law_title: str | None = Field(None, max_length=300)
    law_issuer: str | None = Field(None, max_length=300)
    law_doc_number: str | None = Field(None, max_length=300)
    law_article: str | None = Field(None, max_length=300)
    law_source: str | None = Field(
        None, description="the public source the citation was checked against"
    )
    law_verified: bool = False
    valid_from: date | None = None
    valid_to: date | None = Field(None, description="last day in force (inclusive)")
    outside_layer: str | None = Field(None, description="the rule does not apply inside this layer")


class RulePatch(BaseModel):
    """Fields to change (PATCH /rules/{id}); ``enabled: false`` disables a rule."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=300)
    name_zh: str | None = None
    kind: Literal["overlap", "attribute"] | None = None
    subject_layer: str | None = None
    subject_filter: dict[str, Any] | None = None
    protected_layer: str | None = None
    protected_filter: dict[str, Any] | None = None
    predicate: Literal["intersects", "dwithin"] | None = None
    distance_m: float | None = Field(None, gt=0, le=100_000)
    min_area_m2: float | None = Field(None, ge=0)
    severity: Severity | None = None
    legal_basis: str | None = Field(None, min_length=1)
    legal_basis_zh: str | None = Field(None, min_length=1)
    notes: str | None = None
    enabled: bool | None = None
    applies_to: list[ProjectType] | None = None
    law_title: str | None = Field(None, max_length=300)
    law_issuer: str | None = Field(None, max_length=300)
    law_doc_number: str | None = Field(None, max_length=300)
    law_article: str | None = Field(None, max_length=300)
    law_source: str | None = None
    law_verified: bool | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    outside_layer: str | None = None


COLUMNS = (
    "id, code, name, name_zh, kind, subject_layer, subject_filter, protected_layer, "
    "protected_filter, predicate, distance_m, min_area_m2, severity, legal_basis, "
    "legal_basis_zh, notes, enabled, applies_to, family, law_title, law_issuer, "
    "law_doc_number, law_article, law_source, law_verified, valid_from, valid_to, "
    "outside_layer, created_at, updated_at"
)
_WRITABLE = [f for f in RuleIn.model_fields if f != "code"]


def _row(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    for k in ("created_at", "updated_at", "valid_from", "valid_to"):
        d[k] = d[k].isoformat() if d[k] is not None else None
    return d


async def list_rules(conn: AsyncConnection, enabled: bool | None = None) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            f"SELECT {COLUMNS}, (SELECT count(*) FROM violations v WHERE v.rule_id = r.id"
            " AND v.resolved_at IS NULL) AS open_violations FROM violation_rules r"
            " WHERE CAST(:enabled AS boolean) IS NULL OR enabled = :enabled ORDER BY id"
        ),
        {"enabled": enabled},
    )
    return [_row(r) for r in rows]


async def get_rule(conn: AsyncConnection, rule_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            text(f"SELECT {COLUMNS} FROM violation_rules WHERE id = :id"), {"id": rule_id}
        )
    ).first()
    if row is None:
        raise NotFound(f"rule {rule_id} does not exist")
    return _row(row)


async def _layer_schemas(conn: AsyncConnection) -> dict[str, tuple[str, dict[str, Any]]]:
    rows = await conn.execute(text("SELECT name, kind, attribute_schema FROM layers"))
    return {r[0]: (r[1], r[2]) for r in rows}


def _check_filter(side: str, layer: str, flt: dict[str, Any], schema: dict[str, Any]) -> None:
    """Filter keys must be attributes of the layer and values valid for them."""
    props = schema.get("properties", {})
    unknown = sorted(set(flt) - set(props))
    if unknown:
        raise InvalidInput(
            f"{side}_filter: {', '.join(unknown)} not attribute(s) of {layer!r}; "
            f"known: {', '.join(sorted(props))}"
        )
    check = {"type": "object", "properties": {k: props[k] for k in flt}}
    errors = sorted(e.message for e in Draft202012Validator(check).iter_errors(flt))
    if errors:
        raise InvalidInput(f"{side}_filter: {'; '.join(errors)}")


async def validate(conn: AsyncConnection, rule: RuleIn) -> None:
    """Consistency a rule needs besides its field types (422 with the field named)."""
    if rule.kind == "overlap":
        if rule.protected_layer is None or rule.predicate is None:
            raise InvalidInput("an overlap rule needs protected_layer and predicate")
        if rule.predicate == "dwithin" and rule.distance_m is None:
            raise InvalidInput("distance_m: required by predicate 'dwithin'")
        if rule.predicate == "intersects" and rule.distance_m is not None:
            raise InvalidInput("distance_m: only for predicate 'dwithin'")
    else:
        if rule.protected_layer is not None or rule.predicate is not None or rule.protected_filter:
            raise InvalidInput(
                "an attribute rule has no protected_layer, protected_filter or predicate"
            )
        if not rule.subject_filter:
            raise InvalidInput("subject_filter: an attribute rule needs one")
    if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
        raise InvalidInput("valid_to: before valid_from")
    layers = await _layer_schemas(conn)
    if rule.outside_layer is not None and rule.outside_layer not in layers:
        raise InvalidInput(f"outside_layer: no layer {rule.outside_layer!r}")
    for side, layer, flt in (
        ("subject", rule.subject_layer, rule.subject_filter),
        ("protected", rule.protected_layer, rule.protected_filter),
    ):
        if layer is None:
            continue
        if layer not in layers:
            # A rule may name a layer to be registered later, but only disabled.
            if rule.enabled:
                raise InvalidInput(
                    f"{side}_layer: no layer {layer!r}; register it first, or add the rule "
                    "with enabled=false"
                )
            continue
        kind, schema = layers[layer]
        if kind != "feature":
            raise InvalidInput(f"{side}_layer: {layer!r} is not a feature layer")
        _check_filter(side, layer, flt, schema)


async def create_rule(conn: AsyncConnection, rule: RuleIn) -> dict[str, Any]:
    await validate(conn, rule)
    values = rule.model_dump()
    if values["applies_to"] is None:
        values["applies_to"] = default_applies_to(rule.subject_layer, rule.subject_filter)
    values["family"] = values["family"] or rule.code
    for k in ("subject_filter", "protected_filter"):
        values[k] = json.dumps(values[k])
    cols = list(values)
    try:
        async with conn.begin_nested():
            new_id = (
                await conn.execute(
                    text(
                        f"INSERT INTO violation_rules ({', '.join(cols)}) VALUES ("
                        + ", ".join(
                            f"CAST(:{c} AS jsonb)" if c.endswith("_filter") else f":{c}"
                            for c in cols
                        )
                        + ") RETURNING id"
                    ),
                    values,
                )
            ).scalar_one()
    except IntegrityError as exc:
        if "uq_violation_rules_code" in str(exc.orig):
            raise Conflict(f"a rule with code {rule.code!r} already exists") from None
        _period_conflict(exc, values["family"])
        raise
    return await get_rule(conn, new_id)


async def update_rule(conn: AsyncConnection, rule_id: int, patch: RulePatch) -> dict[str, Any]:
    current = (
        await conn.execute(
            text(f"SELECT {COLUMNS} FROM violation_rules WHERE id = :id FOR UPDATE"),
            {"id": rule_id},
        )
    ).first()
    if current is None:
        raise NotFound(f"rule {rule_id} does not exist")
    changes = patch.model_dump(exclude_unset=True)
    merged = {k: v for k, v in current._mapping.items() if k in RuleIn.model_fields}
    merged.update(changes)
    if merged.get("kind") == "attribute":  # switching kind clears the other kind's fields
        for k, empty in (
            ("protected_layer", None),
            ("predicate", None),
            ("distance_m", None),
            ("protected_filter", {}),
        ):
            if k not in changes:
                merged[k] = empty
    rule = RuleIn.model_validate(merged)
    await validate(conn, rule)
    values = {k: getattr(rule, k) for k in _WRITABLE}
    if values["applies_to"] is None:
        values["applies_to"] = default_applies_to(rule.subject_layer, rule.subject_filter)
    for k in ("subject_filter", "protected_filter"):
        values[k] = json.dumps(values[k])
    sets = ", ".join(
        f"{c} = CAST(:{c} AS jsonb)" if c.endswith("_filter") else f"{c} = :{c}" for c in values
    )
    values["family"] = values["family"] or current.code
    try:
        async with conn.begin_nested():
            await conn.execute(
                text(f"UPDATE violation_rules SET {sets} WHERE id = :id"),
                {**values, "id": rule_id},
            )
    except IntegrityError as exc:
        _period_conflict(exc, values["family"])
        raise
    return await get_rule(conn, rule_id)


def _period_conflict(exc: IntegrityError, family: str) -> None:
    if "ex_violation_rules_versions" in str(exc.orig):
        raise Conflict(
            f"valid_from..valid_to overlaps another version of rule family {family!r}"
        ) from None


def evaluate(conn: Connection, rule_ids: list[int] | None = None) -> dict[str, int]:
    """Full re-evaluation (every feature) of some rules or all, in the caller's transaction.
    Returns counts per outcome: detected, redetected_by_data, resolved_by_data, updated."""
    if rule_ids:
        known = set(
            conn.execute(
                text("SELECT id FROM violation_rules WHERE id = ANY(:ids)"), {"ids": rule_ids}
            ).scalars()
        )
        missing = sorted(set(rule_ids) - known)
        if missing:
            raise NotFound(f"rule(s) {', '.join(map(str, missing))} do not exist")
    rows = conn.execute(
        text("SELECT action, n FROM rm_evaluate(NULL, NULL, CAST(:rules AS bigint[]))"),
        {"rules": rule_ids or None},
    )
    return {action: int(n) for action, n in rows}
