"""The import pages: upload a file, map its columns, preview, follow the background
import with a live progress bar, download the error report, revert.

Who may import: owners, admins and managers; agents when the workspace allows it (they
see and revert only their own imports); viewers never."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView, View

from leads.forms import add_service_errors
from leads.import_forms import (
    ImportAccessForm,
    ImportEncodingForm,
    ImportMappingForm,
    ImportUploadForm,
)
from leads.models import ImportJob, Lead, Membership
from leads.services.imports import (
    PREVIEW_ROWS,
    import_error_report,
    import_job_cancel,
    import_job_create,
    import_job_discard,
    import_job_reread,
    import_job_revert,
    import_job_start,
    import_preview,
    import_sample,
    member_can_import,
    workspace_import_access_set,
)
from leads.services.leads import custom_field_definitions
from leads.views.base import Role, StaffMixin

PAGE_SIZE = 25
# The multipart envelope around the file: a request this much larger than the file limit
# is refused before Django reads it.
_MULTIPART_SLACK = 64 * 1024


class _MayImport:
    """After StaffMixin has resolved the member: refuse people who may not import."""

    member: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not member_can_import(self.member):
            if self.member.role == Membership.Role.AGENT:
                raise PermissionDenied(
                    "Agents may import leads only when an owner or admin allows it."
                )
            raise PermissionDenied("Your role in this workspace does not allow imports.")
        return super().dispatch(request, *args, **kwargs)


class ImportView(StaffMixin, _MayImport):
    required_roles = {"GET": Role.AGENT, "HEAD": Role.AGENT, "POST": Role.AGENT}

    def jobs(self) -> Any:
        """The imports this member may see: all of the workspace's, or an agent's own."""
        qs = ImportJob.objects.for_workspace(self.workspace).select_related("created_by__user")
        if not self.can(Role.MANAGER):
            qs = qs.filter(created_by=self.member)
        return qs

    def get_job(self, pk: int) -> ImportJob:
        job = self.get_scoped_or_404(self.jobs().select_related("workspace"), pk=pk)
        return job

    def detail_url(self, job: ImportJob) -> str:
        return reverse("leads:import_detail", args=[job.pk])


class _UploadLimit(FileUploadHandler):
    """Stops reading an uploaded file once it passes the import limit (the rest of the
    request is read and thrown away, so the page can still answer)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


# CSRF is checked in `upload`, once the size limit is in place (Django's documented way
# to change upload handlers: the middleware would otherwise read the body first).
@method_decorator(csrf_exempt, name="dispatch")
class ImportListView(ImportView, TemplateView):
    """The workspace's imports, and the upload form."""

    template_name = "leads/imports/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(self.jobs(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.setdefault("form", ImportUploadForm())
        context.update(
            page=page,
            max_mb=settings.IMPORT_MAX_BYTES // (1024 * 1024),
            max_rows=settings.IMPORT_MAX_ROWS,
            access_form=ImportAccessForm(
                initial={"agents_can_import": self.workspace.agents_can_import}
            )
            if self.member.manages_settings
            else None,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.IMPORT_MAX_BYTES + _MULTIPART_SLACK:
            return self.too_large()
        # Before anything reads the body: an upload past the limit is dropped as it
        # arrives instead of being spooled to disk whole.
        limit = _UploadLimit(request, settings.IMPORT_MAX_BYTES)
        request.upload_handlers.insert(0, limit)
        return self.upload(request, limit)

    def too_large(self) -> HttpResponse:
        form = ImportUploadForm({}, {})
        form.full_clean()
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        form.errors["file"] = form.error_class([f"The file is larger than the {limit} MB limit."])
        return self.render_to_response(self.get_context_data(form=form), status=413)

    @method_decorator(csrf_protect)
    def upload(self, request: HttpRequest, limit: "_UploadLimit") -> HttpResponse:
        files = request.FILES  # read now, through the limit
        if limit.exceeded:
            return self.too_large()
        form = ImportUploadForm(request.POST, files)
        if form.is_valid():
            try:
                job = import_job_create(
                    workspace=self.workspace, member=self.member, upload=form.cleaned_data["file"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Read {job.total_rows:,} rows from {job.original_name}.")
                return HttpResponseRedirect(self.detail_url(job))
        return self.render_to_response(self.get_context_data(form=form), status=422)


class ImportAccessView(StaffMixin, View):
    """Owners and admins decide whether agents may import."""

    required_roles = {"POST": Role.ADMIN}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportAccessForm(request.POST)
        form.is_valid()
        allowed = bool(form.cleaned_data.get("agents_can_import"))
        changed = workspace_import_access_set(
            workspace=self.workspace, actor=self.actor, agents=allowed
        )
        if changed:
            messages.success(
                request,
                "Agents may now import leads."
                if allowed
                else "Only managers and up may import leads now.",
            )
        else:
            messages.info(request, "Nothing changed.")
        return HttpResponseRedirect(reverse("leads:import_list"))


class ImportDetailView(ImportView, TemplateView):
    """A draft's mapping page, or a running/finished import's progress and summary."""

    template_name = "leads/imports/detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.job = self.get_job(pk)
        return super().get(request, pk=pk)

    def mapping_form(self, data: Any = None) -> ImportMappingForm:
        job = self.job
        return ImportMappingForm(
            data,
            job=job,
            custom_fields=list(custom_field_definitions(self.workspace).values()),
            samples=import_sample(job) if job.status == ImportJob.Status.DRAFT else [],
            can_assign=self.can(Role.MANAGER),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.job
        context["job"] = job
        if job.status == ImportJob.Status.DRAFT:
            context.setdefault("form", self.mapping_form())
            context.setdefault(
                "encoding_form", ImportEncodingForm(initial={"encoding": job.encoding})
            )
            context["preview_rows"] = PREVIEW_ROWS
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.job = job = self.get_job(pk)
        action = request.POST.get("action", "")
        if job.status != ImportJob.Status.DRAFT:
            messages.error(request, "This import has already been started.")
            return HttpResponseRedirect(self.detail_url(job))
        if action == "discard":
            import_job_discard(job=job)
            messages.success(request, f"Discarded {job.original_name}.")
            return HttpResponseRedirect(reverse("leads:import_list"))
        if action == "encoding":
            encoding_form = ImportEncodingForm(request.POST)
            if encoding_form.is_valid():
                try:
                    import_job_reread(job=job, encoding=encoding_form.cleaned_data["encoding"])
                except ValidationError as error:
                    add_service_errors(encoding_form, error)
                else:
                    messages.success(request, "Read the file again in the chosen encoding.")
                    return HttpResponseRedirect(self.detail_url(job))
            return self.render_to_response(
                self.get_context_data(encoding_form=encoding_form), status=422
            )
        form = self.mapping_form(request.POST)
        if form.is_valid():
            mapping = form.mapping()
            policy = form.cleaned_data["on_duplicate"]
            try:
                if action == "preview":
                    rows = import_preview(
                        job=job, actor=self.actor, mapping=mapping, on_duplicate=policy
                    )
                    return self.render_preview(form, rows, mapping)
                import_job_start(job=job, actor=self.actor, mapping=mapping, on_duplicate=policy)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Importing {job.original_name}.")
                return HttpResponseRedirect(self.detail_url(job))
        if request.htmx:
            return render(
                request,
                "leads/imports/detail.html#preview",
                {"form": form, "job": job},
                status=422,
            )
        return self.render_to_response(self.get_context_data(form=form), status=422)

    def render_preview(self, form: ImportMappingForm, rows: list, mapping: dict) -> HttpResponse:
        columns = [
            int(i) for i, target in sorted(mapping.items(), key=lambda x: int(x[0])) if target
        ]
        visible = set(
            Lead.objects.visible_to(self.member)
            .filter(pk__in=[r.lead.pk for r in rows if r.lead is not None])
            .values_list("pk", flat=True)
        )
        for row in rows:
            row.shown = [row.cells[i] if i < len(row.cells) else "" for i in columns]
            row.lead_visible = row.lead is not None and row.lead.pk in visible
        context = {
            "job": self.job,
            "form": form,
            "rows": rows,
            "preview_headers": [self.job.headers[i] for i in columns],
            "previewed": True,
        }
        if self.request.htmx:
            return render(self.request, "leads/imports/detail.html#preview", context)
        return self.render_to_response(self.get_context_data(**context))


class ImportProgressView(ImportView, View):
    """The progress fragment the detail page polls while a worker is busy."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job(pk)
        return render(request, "leads/imports/detail.html#status", {"job": job})


class ImportErrorsView(ImportView, View):
    """The rows that failed or were skipped, as a CSV download."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job(pk)
        response = StreamingHttpResponse(
            import_error_report(job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response


class ImportRevertView(ImportView, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job(pk)
        try:
            import_job_revert(job=job, actor=self.actor)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Reverting import #{job.pk}.")
        return HttpResponseRedirect(self.detail_url(job))


class ImportCancelView(ImportView, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job(pk)
        try:
            import_job_cancel(job=job, actor=self.actor)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Import #{job.pk} stopped; what it imported stays.")
        return HttpResponseRedirect(self.detail_url(job))
