"""Forms of the import pages: the upload, the column mapping and the duplicates choice.
They check the shape of what was sent; the import services decide what is valid."""

from typing import Any

from django import forms

from leads.models import CustomField, ImportJob
from leads.services.import_files import ENCODING_CHOICES
from leads.services.import_mapping import target_choices


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="A header row, then one lead per row. CSV (any common encoding or "
        "delimiter) or XLSX; formulas are imported as text, never calculated.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,.txt,text/csv,application/vnd.openxmlformats-"
                "officedocument.spreadsheetml.sheet"
            }
        ),
    )


class ImportMappingForm(forms.Form):
    """One select per column of the file, and what to do with duplicates."""

    on_duplicate = forms.ChoiceField(
        label="When a row has the email or phone of an existing lead",
        choices=ImportJob.DuplicatePolicy.choices,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        job: ImportJob,
        custom_fields: list[CustomField],
        samples: list[list[str]],
        can_assign: bool,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "on_duplicate": job.on_duplicate,
                **{f"col_{i}": target for i, target in (job.mapping or {}).items()},
            },
        )
        super().__init__(*args, **kwargs)
        choices = target_choices(custom_fields)
        if not can_assign:
            choices = [
                (group, [o for o in options if o[0] != "assignee"])
                if isinstance(options, list)
                else (group, options)
                for group, options in choices
            ]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(label=header, choices=choices, required=False)
            sample = [row[index] for row in samples if index < len(row) and row[index]]
            self.columns.append((self[name], sample[:3]))

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value or ""
            for name, value in self.cleaned_data.items()
            if name.startswith("col_")
        }


class ImportEncodingForm(forms.Form):
    encoding = forms.ChoiceField(label="Text encoding", choices=ENCODING_CHOICES)


class ImportAccessForm(forms.Form):
    agents_can_import = forms.BooleanField(
        required=False, label="Agents may import leads (they are assigned the leads they import)"
    )
