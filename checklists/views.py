"""Document downloads through signed links, and the lead page's checklist, status and
documents panels (registered on the lead page from ChecklistsConfig.ready()).

Every write goes through checklists.services: values are checked and stored there (a
refused value is kept as INVALID with its reason), a status brings its checklist side
effects, and each change is one timeline entry."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from checklists.forms import ChecklistValueForm, DocumentUploadForm, LeadStatusForm
from checklists.models import ChecklistItem, Document, LeadChecklistItem
from checklists.services import (
    DONE_STATUSES,
    LeadChecklist,
    document_from_token,
    document_signed_path,
    document_upload,
    lead_status_set,
    lead_update_with_checklist,
)
from leads.forms import add_service_errors
from leads.models import Lead, Membership
from leads.views.lead_detail import LeadActionView, redirect_after_change


@require_GET
@never_cache
def document_download(request: HttpRequest, token: str) -> FileResponse:
    """Serve the file a valid, unexpired signed token names; anything else is a 404 that
    says nothing about whether the document exists."""
    document = document_from_token(token)
    if document is None:
        raise Http404("This link is invalid or has expired.")
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("This document is no longer available.") from None
    # Always an attachment: an uploaded HTML or SVG file must never render in our origin.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the lead page's panels -----------------------------------------------------------


def lead_section_context(
    *,
    lead: Lead,
    member: Membership,
    checklist: LeadChecklist | None = None,
    bound: ChecklistValueForm | None = None,
    saved: str = "",
    saved_invalid: bool = False,
) -> dict[str, Any]:
    """What the checklist, status and documents panels show: the applicable items by
    group with a form each, progress, and every document with a fresh signed link.
    Four queries whatever the checklist's size (items, values, documents, tags)."""
    checklist = checklist or LeadChecklist.load(lead)
    documents = list(Document.objects.for_lead(lead))
    by_row: dict[int, list[Document]] = {}
    for document in documents:
        document.url = document_signed_path(document)
        if document.checklist_value_id:
            by_row.setdefault(document.checklist_value_id, []).append(document)
    sections = checklist.sections()
    required = done = 0
    items: list[ChecklistItem] = []
    for section in sections:
        for entry in section.entries:
            item = entry.item
            items.append(item)
            entry.form = (
                bound
                if bound is not None and bound.item.pk == item.pk
                else ChecklistValueForm(item=item, row=entry.row)
            )
            entry.documents = by_row.get(entry.row.pk, []) if entry.row else []
            entry.status_label = LeadChecklistItem.Status(entry.status).label
            if item.is_required:
                required += 1
                done += entry.status in DONE_STATUSES
    return {
        "sections": sections,
        "required": required,
        "done": done,
        "complete": lead.completed_at is not None,
        "documents": documents,
        "status_form": LeadStatusForm(initial={"status": lead.status}),
        "upload_form": DocumentUploadForm(items=items),
        "saved": saved,
        "saved_invalid": saved_invalid,
    }


class LeadChecklistItemView(LeadActionView):
    """Save one item's value and/or status; htmx gets the checklist panel back (other
    items may have appeared or gone: conditions read the values)."""

    def post(self, request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        item = self.get_scoped_or_404(
            ChecklistItem.objects.for_lead(lead).select_related("group"), pk=item_id
        )
        checklist = LeadChecklist.load(lead)
        if not checklist.applicable(item):
            return self.fail(request, f"“{item.label}” does not apply to this lead any more.")
        form = ChecklistValueForm(request.POST, item=item, row=checklist.row(item))
        if form.is_valid():
            try:
                lead_update_with_checklist(
                    lead=lead,
                    actor=self.actor,
                    data={},
                    checklist_updates=[form.update()],
                    summary=f"Checklist: {item.label}",
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return self.saved(request, lead, item)
        if not request.htmx:
            return self.fail(request, " ".join(e for es in form.errors.values() for e in es))
        return self.panel(request, lead, bound=form, status=422)

    def saved(self, request: HttpRequest, lead: Lead, item: ChecklistItem) -> HttpResponse:
        checklist = LeadChecklist.load(lead)
        row = checklist.row(item)
        status = row.get_status_display() if row is not None else "To do"
        text = f"Saved “{item.label}”: {status.lower()}."
        invalid = row is not None and bool(row.validation_error)
        if invalid:
            text = f"Saved “{item.label}”, but it is invalid: {row.validation_error}"
        if not request.htmx:
            (messages.warning if invalid else messages.success)(request, text)
            return HttpResponseRedirect(self.detail_url() + "#checklist")
        return self.panel(request, lead, checklist=checklist, saved=text, saved_invalid=invalid)

    def panel(self, request: HttpRequest, lead: Lead, status: int = 200, **kw: Any) -> HttpResponse:
        section = lead_section_context(lead=lead, member=self.member, **kw)
        return render(
            request,
            "checklists/_checklist_saved.html",
            {"lead": lead, "section": section},
            status=status,
        )


class LeadStatusView(LeadActionView):
    """Change the lead's status with its checklist side effects (lead_status_set):
    COMPLETED skips the unfinished required items, IN_PROGRESS undoes those skips."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        form = LeadStatusForm(request.POST)
        if not form.is_valid():
            return self.fail(request, "Choose one of the statuses listed.")
        status = form.cleaned_data["status"]
        label = Lead.Status(status).label
        try:
            write = lead_status_set(
                lead=lead, actor=self.actor, status=status, summary=f"Status changed to {label}"
            )
        except ValidationError as error:
            return self.fail(request, error)
        text = f"Status: {label}."
        skipped = [r for r in write.changed_rows if r.auto_skipped]
        if skipped:
            text += f" Skipped {len(skipped)} unfinished required item{'s' * (len(skipped) != 1)}."
        elif write.changed_rows and status == Lead.Status.IN_PROGRESS:
            count = len(write.changed_rows)
            text += f" {count} automatically skipped item{'s' * (count != 1)} reopened."
        messages.success(request, text)
        return redirect_after_change(request, self.detail_url())


class LeadDocumentUploadView(LeadActionView):
    """Upload documents, optionally for one checklist item (which then awaits review)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        checklist = LeadChecklist.load(lead)
        items = [e.item for e in checklist.entries()]
        form = DocumentUploadForm(request.POST, request.FILES, items=items)
        if not form.is_valid():
            return self.fail(request, " ".join(e for es in form.errors.values() for e in es))
        target = form.cleaned_data["item"] or None
        try:
            result = document_upload(
                lead=lead,
                actor=self.actor,
                files=form.cleaned_data["files"],
                target_id=target,
                max_files=DocumentUploadForm.MAX_FILES,
            )
        except ValidationError as error:
            return self.fail(request, error)
        count = len(result.documents)
        text = f"Uploaded {count} document{'s' * (count != 1)}"
        if result.row is not None:
            text += f" for “{result.row.item.label}” ({result.row.get_status_display().lower()})"
        messages.success(request, text + ".")
        return redirect_after_change(request, self.detail_url())
