"""The checks every field type brings, JSON Schema validation rules and conditions."""

import pytest
from django.core.exceptions import ValidationError

from checklists.models import ChecklistItem
from checklists.rules import condition_holds, config_check, schema_check, value_check


def item(field_type: str, config=None, rules=None) -> ChecklistItem:
    return ChecklistItem(
        code="x", label="X", field_type=field_type, config=config, validation_rules=rules
    )


@pytest.mark.parametrize(
    ("field_type", "config", "sent", "stored"),
    [
        ("TEXT", None, "  Acme  ", "Acme"),
        ("TEXT", None, 42, "42"),
        ("TEXT", {"pattern": r"\d{4}"}, "1234", "1234"),
        ("NUMBER", None, 12.5, 12.5),
        ("NUMBER", None, "25,000", 25000),
        ("NUMBER", {"min": 0, "max": 10}, 10, 10),
        ("DATE", None, "2026-01-30", "2026-01-30"),
        ("EMAIL", None, " ap@acme.example.com ", "ap@acme.example.com"),
        ("PHONE", None, "(678) 231-9992", "+16782319992"),
        ("EIN", None, "123456789", "12-3456789"),
        ("EIN", None, "12-3456789", "12-3456789"),
        ("SELECT", {"options": ["LLC", {"value": "SOLE", "label": "Sole prop"}]}, "SOLE", "SOLE"),
        (
            "ADDRESS",
            None,
            {"street": "1 Main St", "city": "Atlanta", "state": "GA", "postalCode": "30301"},
            {"street": "1 Main St", "city": "Atlanta", "state": "GA", "postalCode": "30301"},
        ),
        ("ADDRESS", None, "1 Main St, Atlanta", "1 Main St, Atlanta"),
        ("BOOLEAN", None, True, True),
        ("BOOLEAN", None, "no", False),
        ("FILE", None, ["doc-1"], ["doc-1"]),
    ],
)
def test_a_value_that_fits_its_type_is_stored_normalized(field_type, config, sent, stored):
    assert value_check(item(field_type, config), sent) == (stored, "")


@pytest.mark.parametrize(
    ("field_type", "config", "sent", "error"),
    [
        ("TEXT", None, {"a": 1}, "Must be text."),
        ("TEXT", {"pattern": r"\d{4}"}, "12345", "Does not have the expected format."),
        ("NUMBER", None, "lots", "Must be a number."),
        ("NUMBER", None, True, "Must be a number."),
        ("NUMBER", {"min": 0, "max": 10}, 11, "Must be at most 10."),
        ("NUMBER", {"min": 0}, -1, "Must be at least 0."),
        ("DATE", None, "30/01/2026", "Must be a date (YYYY-MM-DD)."),
        ("DATE", None, "2026-02-30", "Must be a date (YYYY-MM-DD)."),
        ("EMAIL", None, "nope", "Must be an email address."),
        ("PHONE", None, "12", "“12” is not a valid phone number."),
        ("EIN", None, "12-345", "Must be an EIN of nine digits (12-3456789)."),
        ("SELECT", {"options": ["LLC", "SOLE"]}, "CORP", "Must be one of: LLC, SOLE."),
        ("ADDRESS", None, {"planet": "Mars"}, "Unknown address parts: planet."),
        ("ADDRESS", None, {"street": ""}, "The address is empty."),
        ("BOOLEAN", None, "maybe", "Must be true or false."),
    ],
)
def test_a_value_that_does_not_fit_its_type_is_kept_with_the_reason(
    field_type, config, sent, error
):
    assert value_check(item(field_type, config), sent) == (sent, error)


def test_blank_values_mean_no_value_and_always_fit():
    for blank in (None, "", "   "):
        assert value_check(item("EMAIL"), blank) == (None, "")


def test_validation_rules_are_json_schema_applied_after_the_type_check():
    revenue = item("NUMBER", rules={"minimum": 10000})
    assert value_check(revenue, "12,000") == (12000, "")
    stored, error = value_check(revenue, "9000")
    assert stored == "9000" and "less than the minimum of 10000" in error
    custom = item("TEXT", rules={"pattern": "^[A-Z]", "errorMessage": "Start with a capital."})
    assert value_check(custom, "acme") == ("acme", "Start with a capital.")


def test_conditions_are_json_schema_over_the_data_document():
    llc = {"properties": {"entity_type": {"const": "LLC"}}, "required": ["entity_type"]}
    assert condition_holds(None, {}) and condition_holds({}, {"anything": 1})
    assert condition_holds(llc, {"entity_type": "LLC", "first_name": "A"})
    assert not condition_holds(llc, {"entity_type": "SOLE"})
    assert not condition_holds(llc, {})


def test_schemas_and_configs_are_checked_before_they_are_saved():
    schema_check({"type": "string", "minLength": 3}, name="validation_rules")
    with pytest.raises(ValidationError) as err:
        schema_check({"type": "nonsense"}, name="validation_rules")
    assert "validation_rules" in err.value.message_dict
    with pytest.raises(ValidationError):
        schema_check(["not", "a", "schema"], name="conditions")
    config_check("SELECT", {"options": ["a"]})
    config_check("TEXT", None)
    for field_type, config in (
        ("SELECT", None),
        ("SELECT", {"options": []}),
        ("TEXT", {"pattern": "("}),
        ("NUMBER", {"min": "zero"}),
        ("ID", {"type": "LIBRARY_CARD"}),
        ("EMAIL", {"anything": 1}),
    ):
        with pytest.raises(ValidationError):
            config_check(field_type, config)


def test_a_broken_stored_schema_never_crashes_a_checklist():
    broken = item("TEXT", rules={"type": "nonsense"})
    assert value_check(broken, "x") == (
        "x",
        "This item's validation rules are broken; ask an admin to fix them.",
    )
    assert condition_holds({"properties": {"a": {"pattern": "("}}}, {"a": "b"}) is True
    assert condition_holds({"type": "nonsense"}, {}) is True
