"""Staff page forms for a lead's checklist, status and documents. They only shape what
was typed; the checklist services check values (field type, validation rules) and store
a refused value as INVALID with its reason, which the page shows beside the item."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from checklists.models import ChecklistItem, LeadChecklistItem
from checklists.rules import ADDRESS_KEYS
from leads.models import Lead

FieldType = ChecklistItem.FieldType
Status = LeadChecklistItem.Status
FROM_VALUE = ""
# The order people read an address in (ADDRESS_KEYS is a set).
ADDRESS_PARTS = [
    ("street", "Street"),
    ("street2", "Street, line 2"),
    ("city", "City"),
    ("state", "State or region"),
    ("postalCode", "Postal code"),
    ("country", "Country"),
]
assert {key for key, _ in ADDRESS_PARTS} == ADDRESS_KEYS
MAX_TEXT = 2000


def _value_field(item: ChecklistItem) -> forms.Field:
    """The input for one item's value: a text box shaped for its type (the service,
    not the browser, decides what is valid)."""
    kind = item.field_type
    common: dict[str, Any] = {"label": item.label, "required": False, "max_length": MAX_TEXT}
    if kind == FieldType.SELECT:
        options = [
            (o["value"], o.get("label") or o["value"]) if isinstance(o, dict) else (o, o)
            for o in (item.config or {}).get("options") or []
        ]
        return forms.ChoiceField(label=item.label, required=False, choices=[("", "—"), *options])
    if kind == FieldType.BOOLEAN:
        return forms.ChoiceField(
            label=item.label,
            required=False,
            choices=[("", "—"), ("true", "Yes"), ("false", "No")],
        )
    if kind == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.EMAIL:
        return forms.CharField(widget=forms.EmailInput(attrs={"autocomplete": "off"}), **common)
    if kind == FieldType.PHONE:
        return forms.CharField(
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}), **common
        )
    if kind == FieldType.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(**common)


def _shown(value: Any) -> str:
    """A stored value as the text box shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ChecklistValueForm(forms.Form):
    """One checklist item of one lead: its value (not for file items, which get
    documents) and, optionally, a status chosen by hand."""

    status = forms.ChoiceField(
        required=False,
        label="Status",
        choices=[(FROM_VALUE, "Set by the value"), *Status.choices],
    )

    def __init__(
        self,
        *args: Any,
        item: ChecklistItem,
        row: LeadChecklistItem | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", f"item{item.pk}")
        super().__init__(*args, **kwargs)
        self.item = item
        value = row.value if row is not None else None
        if item.is_file:
            # A file item is completed by uploading; only its status is set by hand.
            self.fields["status"].choices = [("", "Choose…"), *Status.choices]
        elif item.field_type == FieldType.ADDRESS:
            parts = value if isinstance(value, dict) else {"street": _shown(value)}
            for key, label in ADDRESS_PARTS:
                self.fields[f"address_{key}"] = forms.CharField(
                    label=label, required=False, max_length=255
                )
                self.initial.setdefault(f"address_{key}", parts.get(key, ""))
        else:
            field = _value_field(item)
            if isinstance(field, forms.ChoiceField):
                shown = _shown(value)
                known = {str(choice) for choice, _ in field.choices}
                if shown not in known:
                    # A stored value that is no longer an option stays visible (and
                    # is reported invalid) rather than silently lost on the next save.
                    field.choices = [*field.choices, (shown, shown)]
            self.fields["value"] = field
            self.initial.setdefault("value", _shown(value))
        if row is not None and row.validation_error:
            for name, field in self.fields.items():
                if name != "status" or item.is_file:
                    field.widget.attrs.update(
                        {"aria-invalid": "true", "aria-describedby": f"{self.prefix}-error"}
                    )

    @property
    def value_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.item.is_file and not data.get("status"):
            raise ValidationError("Choose a status, or upload a document for this item.")
        return data

    def update(self) -> dict[str, Any]:
        """The update the checklist services take: {code, value?, status?}."""
        data = self.cleaned_data
        update: dict[str, Any] = {"code": self.item.code}
        if self.item.field_type == FieldType.ADDRESS:
            parts = {
                key: data[f"address_{key}"].strip()
                for key, _ in ADDRESS_PARTS
                if data.get(f"address_{key}", "").strip()
            }
            update["value"] = parts or None
        elif not self.item.is_file:
            update["value"] = data.get("value", "")
        if data.get("status"):
            update["status"] = data["status"]
        return update


class LeadStatusForm(forms.Form):
    """A lead's lifecycle status. Opting out has its own control (consent)."""

    prefix = "lead"

    status = forms.ChoiceField(
        label="Lead status",
        choices=[c for c in Lead.Status.choices if c[0] != Lead.Status.OPTED_OUT],
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class DocumentUploadForm(forms.Form):
    """Upload one or several documents, optionally for one checklist item."""

    MAX_FILES = 10
    prefix = "upload"

    files = MultipleFileField(
        label="Files", error_messages={"required": "Choose at least one file."}
    )
    item = forms.ChoiceField(label="For checklist item", required=False)

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = (
            f"Up to {self.MAX_FILES} files, {size_text(settings.DOCUMENT_MAX_BYTES)} each. "
            "They are stored as sent and always downloaded, never opened in the browser."
        )
        self.fields["item"].choices = [("", "None: the lead in general")] + [
            (str(i.uuid), i.label) for i in items
        ]

    def clean_files(self) -> list[Any]:
        files = self.cleaned_data["files"]
        if not files:
            raise ValidationError("Choose at least one file.")
        if len(files) > self.MAX_FILES:
            raise ValidationError(f"At most {self.MAX_FILES} files at once.")
        limit = settings.DOCUMENT_MAX_BYTES
        too_big = [f.name for f in files if f.size > limit]
        if too_big:
            raise ValidationError(f"Larger than {size_text(limit)}: {', '.join(too_big)}.")
        return files


def size_text(size: int) -> str:
    """Bytes as people read them ("25.0 MB"), with an ordinary space."""
    return filesizeformat(size).replace("\xa0", " ")
