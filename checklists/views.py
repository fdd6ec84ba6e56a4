"""Document downloads through signed links (the link is the credential, for an hour)."""

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from checklists.services import document_from_token


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
