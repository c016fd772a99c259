"""Attribute validation against a layer's JSON Schema, with messages that name the field."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from geo.kernel.errors import InvalidInput

_FORMATS = FormatChecker()


def attribute_errors(schema: dict[str, Any], properties: dict[str, Any]) -> list[str]:
    """Every schema violation of ``properties`` as 'field: problem', sorted."""
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    out = []
    for err in validator.iter_errors(properties):
        where = ".".join(str(p) for p in err.absolute_path) or "properties"
        if err.validator == "additionalProperties":
            extra = sorted(set(properties) - set(schema.get("properties", {})))
            out.append(f"{where}: unknown attribute(s) {', '.join(extra)}")
        else:
            out.append(f"{where}: {err.message}")
    return sorted(out)


def validate_attributes(
    schema: dict[str, Any], properties: dict[str, Any], context: str = ""
) -> None:
    errors = attribute_errors(schema, properties)
    if errors:
        prefix = f"{context}: " if context else ""
        raise InvalidInput(prefix + "; ".join(errors))
