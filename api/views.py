"""The base class of every API view, in every family.

It owns what a family view must not be able to forget: the credential and its workspace,
the tenant header, the scope per method, rate limits, the body size limit, one
transaction per write, Idempotency-Key on POST, and the family's error envelope. A
family view subclasses it, sets `family` (through its family base) and
`required_scopes`, and reads and writes only through `self.workspace`."""

import functools
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import Credential, CredentialAuthentication
from api.errors import ApiError
from api.families import Family
from api.idempotency import run_write
from api.metadata import request_meta
from api.parsers import LimitedJSONParser, body_too_large
from api.permissions import HasCredential, HasScope, TenantHeaderMatches
from api.throttling import RateState, rate_limit_hit
from leads.actors import Actor
from leads.models import Workspace

WRITE_METHODS = ("post", "put", "patch", "delete")


class FamilyAPIView(APIView):
    family: ClassVar[Family]
    # HTTP method -> scope, e.g. {"GET": "leads:read", "POST": "leads:write"}.
    required_scopes: ClassVar[dict[str, str]] = {}
    throttle_bucket: ClassVar[str] = "default"
    max_body_bytes: ClassVar[int | None] = None
    # Set False on a POST that is not a create (e.g. a login) to skip Idempotency-Key.
    idempotent_post: ClassVar[bool] = True
    # Set False on a write whose side effects must outlive a 4xx answer (a login records
    # failed attempts for the brute-force lockout); it then runs in autocommit.
    atomic_writes: ClassVar[bool] = True

    authentication_classes = [CredentialAuthentication]
    permission_classes = [HasCredential, TenantHeaderMatches, HasScope]
    parser_classes = [LimitedJSONParser]
    throttle_classes: ClassVar[list] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every write handler a subclass defines runs in one transaction (POST under its
        Idempotency-Key): wrapping happens here so no view can forget it."""
        super().__init_subclass__(**kwargs)
        for method in WRITE_METHODS:
            handler = cls.__dict__.get(method)
            if handler is None or getattr(handler, "_leadbook_write", False):
                continue
            cls._wrap_write(method, handler)

    @classmethod
    def _wrap_write(cls, method: str, handler: Any) -> None:
        @functools.wraps(handler)  # keeps drf-spectacular's annotations
        def write(
            self: "FamilyAPIView", request: Request, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            if not self.atomic_writes:
                return handler(self, request, *args, **kwargs)
            idempotent = (
                method == "post" and self.idempotent_post and not self.skip_idempotency(request)
            )
            return run_write(
                request,
                lambda req, *a, **kw: handler(self, req, *a, **kw),
                *args,
                idempotent=idempotent,
                replay_body=self.replay_body,
                **kwargs,
            )

        write._leadbook_write = True  # type: ignore[attr-defined]
        setattr(cls, method, write)

    # --- hooks a family view may override -------------------------------------------
    def required_scope(self, request: Request) -> str | None:
        return self.required_scopes.get(request.method)

    def skip_idempotency(self, request: Request) -> bool:
        """True for POSTs whose result must not be stored (e.g. MEGA dry runs)."""
        return False

    def replay_body(self, data: Any) -> Any:
        """What is stored for an idempotent replay of this response's data: override to
        leave out a secret that is shown once (it must not rest in the idempotency store)."""
        return data

    # --- what a family view uses -----------------------------------------------------
    @property
    def credential(self) -> Credential:
        return self.request.auth

    @property
    def workspace(self) -> Workspace:
        return self.request.auth.workspace

    @property
    def actor(self) -> Actor:
        credential = self.credential
        return Actor(
            user=credential.user,
            api_key=credential.api_key,
            membership=credential.membership,
            source="api",
            request=request_meta(self.request),
        )

    def scoped(self, source: type[models.Model] | models.QuerySet) -> models.QuerySet:
        """Rows of the caller's workspace only."""
        qs = source._default_manager.all() if isinstance(source, type) else source
        return qs.filter(workspace=self.workspace)

    def get_scoped_or_404(
        self,
        source: type[models.Model] | models.QuerySet,
        message: str = "Not found.",
        **lookup: Any,
    ) -> Any:
        """One row of the caller's workspace; another workspace's row is a 404, exactly
        like a missing one (and so is a malformed id)."""
        try:
            return self.scoped(source).get(**lookup)
        except (
            ObjectDoesNotExist,
            MultipleObjectsReturned,
            DjangoValidationError,
            ValueError,
            TypeError,
            OverflowError,  # an id past 64 bits (SQLite raises it, PostgreSQL see below)
        ):
            raise ApiError(404, "not_found", message) from None

    # --- the pipeline ----------------------------------------------------------------
    def body_limit(self) -> int:
        return self.max_body_bytes or settings.API_MAX_BODY_BYTES

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Every request is counted before anything can refuse it, so every answer carries
        # the RateLimit headers. A credential that fails to authenticate counts like no
        # credential, per client IP: guessing keys runs into 429 like any other flood.
        try:
            self.perform_authentication(request)
        except exceptions.AuthenticationFailed:
            self.check_throttles(request)
            raise
        self.check_throttles(request)
        limit = self.body_limit()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError("Content-Length is not a number.") from None
        if length > limit:
            raise body_too_large(limit)
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        self.check_permissions(request)

    def check_throttles(self, request: Request) -> None:
        state: RateState = rate_limit_hit(request, self.throttle_bucket)
        request._rate_state = state
        if state.exceeded:
            raise exceptions.Throttled(wait=state.reset)

    def finalize_response(
        self, request: Request, response: HttpResponse, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = super().finalize_response(request, response, *args, **kwargs)
        state = getattr(request, "_rate_state", None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        response["Cache-Control"] = "no-store"
        return response


class MultipartFamilyAPIView(FamilyAPIView):
    """For uploads: multipart bodies up to DOCUMENT_MAX_BYTES per file."""

    parser_classes = [MultiPartParser, FormParser, LimitedJSONParser]
    max_files = 10

    def body_limit(self) -> int:
        return settings.DOCUMENT_MAX_BYTES * self.max_files + settings.API_MAX_BODY_BYTES


class FamilyNotFoundView(FamilyAPIView):
    """Answers any path under a family's prefix that matches no endpoint. It reads no
    credential, so it counts per client IP, like a request without one (probing unknown
    paths is throttled too)."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []
    idempotent_post = False
    schema = None  # not an endpoint: keep it out of the OpenAPI document

    def _missing(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise ApiError(404, "not_found", f"No endpoint at {request.path}.")

    get = head = options = _missing

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise ApiError(404, "not_found", f"No endpoint at {request.path}.")

    put = patch = delete = post
