"""What a checklist value must look like: the checks that come with each field type, the
item's own JSON Schema validation rules, and the JSON Schema conditions that decide
whether a group or item applies to a lead.

Pure functions over plain data: no queries, so evaluating a whole checklist costs nothing
per item in the database."""

import datetime
import logging
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import jsonschema
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from jsonschema.exceptions import SchemaError, best_match
from jsonschema.validators import validator_for

from checklists.models import ChecklistItem
from leads.services.phones import phone_normalize

logger = logging.getLogger("leadbook.checklists")

FieldType = ChecklistItem.FieldType

ADDRESS_KEYS = frozenset({"street", "street2", "city", "state", "postalCode", "country"})
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE_WORDS = {"true", "yes"}
_FALSE_WORDS = {"false", "no"}

# What `config` may hold, per field type (OmniAI's documented per-type config).
CONFIG_SCHEMAS: dict[str, dict[str, Any]] = {
    FieldType.TEXT: {
        "type": "object",
        "properties": {"pattern": {"type": "string"}},
        "additionalProperties": False,
    },
    FieldType.NUMBER: {
        "type": "object",
        "properties": {"min": {"type": "number"}, "max": {"type": "number"}},
        "additionalProperties": False,
    },
    FieldType.SELECT: {
        "type": "object",
        "properties": {
            "options": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "anyOf": [
                        {"type": "string", "minLength": 1},
                        {
                            "type": "object",
                            "properties": {
                                "value": {"type": "string", "minLength": 1},
                                "label": {"type": "string"},
                            },
                            "required": ["value"],
                        },
                    ]
                },
            }
        },
        "required": ["options"],
        "additionalProperties": False,
    },
    FieldType.BANK_STATEMENT: {
        "type": "object",
        "properties": {
            "months": {"type": "integer", "minimum": 1, "maximum": 36},
            "gracePeriodDays": {"type": "integer", "minimum": 0},
            "isPersonal": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
    FieldType.ID: {
        "type": "object",
        "properties": {"type": {"enum": ["DRIVERS_LICENSE", "PASSPORT"]}},
        "additionalProperties": False,
    },
    FieldType.TAX_RETURN: {
        "type": "object",
        "properties": {
            "years": {
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": 10},
                    {"type": "array", "items": {"type": "integer"}, "minItems": 1},
                ]
            },
            "isPersonal": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
}


def schema_check(schema: Any, *, name: str) -> None:
    """Refuse something that is not a valid JSON Schema, with a message naming `name`."""
    if schema in (None, {}):
        return
    if not isinstance(schema, dict | bool):
        raise ValidationError({name: "Must be a JSON Schema (an object)."})
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as err:
        raise ValidationError({name: f"Not a valid JSON Schema: {err.message}"}) from None


def config_check(field_type: str, config: Any) -> None:
    """Refuse a `config` that does not fit the field type."""
    if config in (None, {}):
        if field_type == FieldType.SELECT:
            raise ValidationError({"config": "A SELECT item needs config.options."})
        return
    if not isinstance(config, dict):
        raise ValidationError({"config": "Must be an object."})
    schema = CONFIG_SCHEMAS.get(field_type)
    if schema is None:
        raise ValidationError({"config": f"{field_type} items take no config."})
    error = best_match(validator_for(schema)(schema).iter_errors(config))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        raise ValidationError({"config": f"{where + ': ' if where else ''}{error.message}"})
    if field_type == FieldType.TEXT and "pattern" in config:
        try:
            re.compile(config["pattern"])
        except re.error as err:
            raise ValidationError(
                {"config": f"pattern is not a regular expression: {err}"}
            ) from None


def select_options(config: Mapping[str, Any] | None) -> list[str]:
    """The values a SELECT item accepts."""
    options = (config or {}).get("options") or []
    return [o["value"] if isinstance(o, dict) else o for o in options]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError from None
        if not number.is_finite():
            raise ValueError
        return int(number) if number == number.to_integral_value() else float(number)
    raise ValueError


def _type_check(item: ChecklistItem, value: Any, *, region: str) -> Any:
    """The value normalized for its field type; ValueError(message) when it does not fit."""
    kind = item.field_type
    config = item.config or {}
    if kind == FieldType.TEXT:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("Must be text.")
        value = value.strip()
        pattern = config.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            raise ValueError("Does not have the expected format.")
        return value
    if kind == FieldType.NUMBER:
        try:
            number = _number(value)
        except ValueError:
            raise ValueError("Must be a number.") from None
        if "min" in config and number < config["min"]:
            raise ValueError(f"Must be at least {config['min']}.")
        if "max" in config and number > config["max"]:
            raise ValueError(f"Must be at most {config['max']}.")
        return number
    if kind == FieldType.DATE:
        text = value.strip() if isinstance(value, str) else ""
        try:
            if not _DATE_RE.fullmatch(text):
                raise ValueError
            datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError("Must be a date (YYYY-MM-DD).") from None
        return text
    if kind == FieldType.EMAIL:
        text = value.strip() if isinstance(value, str) else ""
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError("Must be an email address.") from None
        return text
    if kind == FieldType.PHONE:
        if not isinstance(value, str):
            raise ValueError("Must be a phone number.")
        try:
            return phone_normalize(value, region=region).e164
        except ValidationError as err:
            raise ValueError(err.messages[0]) from None
    if kind == FieldType.EIN:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        digits = re.sub(r"[\s-]", "", text) if isinstance(text, str) else ""
        if not re.fullmatch(r"\d{9}", digits):
            raise ValueError("Must be an EIN of nine digits (12-3456789).")
        return f"{digits[:2]}-{digits[2:]}"
    if kind == FieldType.SELECT:
        options = select_options(config)
        if not isinstance(value, str) or (options and value not in options):
            raise ValueError("Must be one of: " + ", ".join(options) + ".")
        return value
    if kind == FieldType.ADDRESS:
        if isinstance(value, str):
            return value.strip()
        if not isinstance(value, dict):
            raise ValueError(
                "Must be an address: text or {street, city, state, postalCode, country}."
            )
        unknown = sorted(set(value) - ADDRESS_KEYS)
        if unknown:
            raise ValueError("Unknown address parts: " + ", ".join(unknown) + ".")
        if not all(isinstance(v, str) or v is None for v in value.values()):
            raise ValueError("Address parts must be text.")
        if all(is_blank(v) for v in value.values()):
            raise ValueError("The address is empty.")
        return {k: v.strip() for k, v in value.items() if isinstance(v, str)}
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = value.strip().lower() if isinstance(value, str) else None
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise ValueError("Must be true or false.")
    # File items: the value is whatever the uploader recorded (document references).
    return value


class BrokenSchema(Exception):
    """A stored schema that cannot be evaluated (saved around the admin's checks)."""


def _schema_error(schema: dict[str, Any] | bool, instance: Any) -> str:
    """The most relevant violation of `schema` by `instance`, or "" when it holds. A schema
    may carry an "errorMessage" to show instead of the validator's own words."""
    if schema in (None, {}, True):
        return ""
    try:
        validator = validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
        error = best_match(validator.iter_errors(instance))
    except Exception as exc:  # any malformed schema: unknown type, bad regex, wrong shape
        raise BrokenSchema(str(exc)) from exc
    if error is None:
        return ""
    if isinstance(schema, dict) and isinstance(schema.get("errorMessage"), str):
        return schema["errorMessage"]
    return error.message


def value_check(item: ChecklistItem, value: Any, *, region: str = "US") -> tuple[Any, str]:
    """(value to store, validation error). A blank value is "no value" and always fits.
    When the value is refused, it is returned as sent, with the reason."""
    if is_blank(value):
        return None, ""
    try:
        normalized = _type_check(item, value, region=region)
    except ValueError as err:
        return value, str(err)
    try:
        error = _schema_error(item.validation_rules, normalized)
    except BrokenSchema:
        logger.warning("checklist item %s has broken validation rules", item.pk)
        return value, "This item's validation rules are broken; ask an admin to fix them."
    if error:
        return value, error
    return normalized, ""


def condition_holds(schema: dict[str, Any] | bool | None, document: Mapping[str, Any]) -> bool:
    """True when there is no condition or the lead's data document satisfies it."""
    if schema in (None, {}, True):
        return True
    try:
        return _schema_error(schema, document) == ""
    except BrokenSchema:
        # Showing an item too many beats hiding what a lead must provide.
        logger.warning("a checklist condition is broken: %s", schema)
        return True
