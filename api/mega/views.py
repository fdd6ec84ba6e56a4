"""MEGA family endpoints (/api/agents/crm/…): pull, push (single and bulk), webhooks."""

import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import validation_fields
from api.families import Family
from api.mega import serializers as s
from api.mega.errors import MEGA
from api.mega.listing import lead_page
from api.views import FamilyAPIView
from leads.models import Lead, Membership, Stage, WebhookEndpoint
from leads.services.bulk import lead_bulk_upsert
from leads.services.leads import lead_upsert
from leads.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
)

TAG = "MEGA"


class MegaView(FamilyAPIView):
    family: ClassVar[Family] = MEGA

    def render_leads(
        self, leads: list[Lead], *, include_custom_fields: bool = True
    ) -> list[dict[str, Any]]:
        # One serializer for the whole page: DRF copies a serializer's fields for every
        # instance it builds, which cost more than the page's queries.
        return s.MegaLeadOutput(
            leads,
            many=True,
            context={"workspace": self.workspace, "include_custom_fields": include_custom_fields},
        ).data

    def render_lead(self, lead: Lead) -> dict[str, Any]:
        return self.render_leads([lead])[0]


def _stage_by_slug(stages: Mapping[str, Stage], slug: str | None) -> Stage | None:
    if not slug:
        return None
    if slug not in stages:
        raise ValidationError(
            {"stage": f"Unknown stage “{slug}”: no stage of your pipeline has it."}
        )
    return stages[slug]


def _owner_by_id(owners: Mapping[str, Membership], owner_id: str | None) -> Membership | None:
    if not owner_id:
        return None
    owner = owners.get(str(owner_id).strip())
    if owner is None:
        raise ValidationError({"assignee": f"Unknown owner “{owner_id}” for this customer."})
    if not owner.is_active:
        raise ValidationError({"assignee": f"{owner.name} is not an active member."})
    return owner


class LeadsView(MegaView):
    required_scopes = {"GET": "leads:read", "POST": "leads:write"}

    @extend_schema(
        tags=[TAG],
        summary="List / search leads",
        parameters=[s.MegaLeadListQuery],
        responses={200: s.LeadListResponse, **MEGA.error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        query = s.MegaLeadListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        page = lead_page(self.scoped(Lead), params)
        body = {
            "leads": self.render_leads(
                page.leads, include_custom_fields=params["include_custom_fields"]
            ),
            "total": page.total,
            "limit": params["limit"],
            "offset": 0 if params.get("cursor") else params["offset"],
            "next_cursor": page.next_cursor,
        }
        headers = {"Total-Count-Estimated": "true"} if page.total_is_estimate else None
        return Response(body, headers=headers)

    @extend_schema(
        tags=[TAG],
        summary="Create (or merge) a single lead",
        request=s.LeadInput,
        responses={
            201: OpenApiResponse(s.LeadResponse, description="The created (or merged) lead."),
            **MEGA.error_responses(400, 401, 403, 409, 413, 415, 429),
        },
    )
    def post(self, request: Request) -> Response:
        body = s.LeadInput(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        stage = None
        if values.get("stage_slug"):
            stages = {st.slug: st for st in self.scoped(Stage).filter(slug=values["stage_slug"])}
            stage = _stage_by_slug(stages, values["stage_slug"])
        owner = None
        if values.get("owner_id"):
            owner = _owner_by_id(owners_by_id(self, [values["owner_id"]]), values["owner_id"])
        result = lead_upsert(
            workspace=self.workspace,
            actor=self.actor,
            data=s.lead_input_data(values, stage=stage, owner=owner),
        )
        lead = self.scoped(Lead).select_related("stage", "assignee__user").get(pk=result.lead.pk)
        return Response({"lead": self.render_lead(lead)}, status=201)


def owners_by_id(view: MegaView, ids: list[Any]) -> dict[str, Membership]:
    """Members of the caller's workspace named by the given owner ids (one query)."""
    numbers = {int(str(i).strip()) for i in ids if str(i).strip().isdigit()}
    if not numbers:
        return {}
    members = view.scoped(Membership).filter(pk__in=numbers).select_related("user")
    return {str(m.pk): m for m in members}


class LeadsBulkView(MegaView):
    required_scopes = {"POST": "leads:write"}
    throttle_bucket = "bulk"

    def skip_idempotency(self, request: Request) -> bool:
        return s.bulk_dry_run(request.data)

    @extend_schema(
        tags=[TAG],
        summary="Bulk create / merge leads",
        description="1-500 rows. A failing row is reported and never aborts the batch. Bulk "
        "leads do not fire webhooks. dry_run writes nothing and is not idempotency-cached.",
        request=s.BulkInput,
        responses={200: s.BulkResponse, **MEGA.error_responses(400, 401, 403, 409, 413, 429)},
    )
    def post(self, request: Request) -> Response:
        body = s.BulkInput(data=request.data)
        body.is_valid(raise_exception=True)
        rows, dry_run = body.validated_data["leads"], body.validated_data["dry_run"]

        parsed: list[dict[str, Any] | None] = []
        errors: list[list[str]] = []
        for row in rows:
            if not isinstance(row, Mapping):
                parsed.append(None)
                errors.append(["Each row must be an object."])
                continue
            row_input = s.BulkRowInput(data=row)
            if row_input.is_valid():
                parsed.append(dict(row_input.validated_data))
                errors.append([])
            else:
                parsed.append(None)
                errors.append(_messages(row_input.errors))

        # Everything rows refer to, fetched once for the whole batch.
        slugs = {p["stage_slug"] for p in parsed if p and p.get("stage_slug")}
        stages = {st.slug: st for st in self.scoped(Stage).filter(slug__in=slugs)} if slugs else {}
        owners = owners_by_id(self, [p["owner_id"] for p in parsed if p and p.get("owner_id")])

        canonical: list[dict[str, Any]] = []
        positions: list[int] = []
        for index, values in enumerate(parsed):
            if values is None:
                continue
            try:
                data = s.lead_input_data(
                    values,
                    stage=_stage_by_slug(stages, values.get("stage_slug")),
                    owner=_owner_by_id(owners, values.get("owner_id")),
                )
            except ValidationError as err:
                errors[index] = _field_messages(MEGA, err)
                parsed[index] = None
                continue
            canonical.append(data)
            positions.append(index)

        outcomes = lead_bulk_upsert(
            workspace=self.workspace,
            actor=self.actor,
            rows=canonical,
            on_duplicate=body.validated_data["on_duplicate"],
            dry_run=dry_run,
        )
        by_position = dict(zip(positions, outcomes, strict=True))
        results = []
        unknown: set[str] = set()
        for index, row in enumerate(rows):
            ref = row.get("row_ref") if isinstance(row, Mapping) else None
            outcome = by_position.get(index)
            if outcome is None or outcome.outcome == "failed":
                messages = errors[index]
                if outcome is not None:
                    messages = _field_messages(MEGA, ValidationError(outcome.errors))
                results.append(_row(ref, None, "failed", None, messages, []))
                continue
            lead = outcome.lead
            lead_id = str(lead.uuid) if lead is not None and lead.pk is not None else None
            unknown.update(outcome.ignored_custom_fields)
            results.append(
                _row(
                    ref,
                    lead_id,
                    outcome.outcome,
                    outcome.matched_by,
                    [],
                    sorted(outcome.ignored_custom_fields),
                )
            )
        summary = {"total": len(rows)}
        for status in ("created", "updated", "skipped", "failed"):
            summary[status] = sum(1 for r in results if r["status"] == status)
        return Response(
            {
                "dry_run": dry_run,
                "summary": summary,
                "results": results,
                "unknown_custom_fields": sorted(unknown),
            }
        )


def _row(
    ref: Any,
    lead_id: str | None,
    status: str,
    matched_by: str | None,
    errors: list[str],
    ignored: list[str],
) -> dict[str, Any]:
    return {
        "row_ref": None if ref is None else str(ref),
        "lead_id": lead_id,
        "status": status,
        "matched_by": matched_by,
        "errors": errors,
        "ignored_custom_fields": ignored,
    }


def _messages(detail: Any, prefix: str = "") -> list[str]:
    """DRF errors as "field: message" lines."""
    if isinstance(detail, Mapping):
        out = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            out += _messages(value, f"{prefix}.{name}" if prefix and name else name or prefix)
        return out
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def _field_messages(family: Family, error: ValidationError) -> list[str]:
    return _messages(validation_fields(family, error))


# --- webhooks -----------------------------------------------------------------------------


def _webhook_payload(endpoint: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"webhook": s.WebhookOutput(endpoint).data}
    if secret is not None:
        body["secret"] = secret
    return body


class WebhookScopedView(MegaView):
    def endpoints(self) -> QuerySet:
        """Live webhooks of the caller's workspace registered through this family."""
        return self.scoped(WebhookEndpoint.objects.live()).filter(
            payload_format=WebhookEndpoint.PayloadFormat.MEGA
        )


class WebhooksView(WebhookScopedView):
    required_scopes = {"GET": "webhooks:manage", "POST": "webhooks:manage"}

    def replay_body(self, data: Any) -> Any:
        """The signing secret is shown once: it is not kept with the stored response, so a
        replay answers null for it."""
        if isinstance(data, Mapping) and data.get("secret"):
            return {**data, "secret": None}
        return data

    @extend_schema(
        tags=[TAG],
        summary="List webhooks",
        responses={200: s.WebhookListResponse, **MEGA.error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        endpoints = self.endpoints().order_by("created_at", "id")
        return Response({"webhooks": s.WebhookOutput(endpoints, many=True).data})

    @extend_schema(
        tags=[TAG],
        summary="Register a webhook",
        request=s.WebhookInput,
        responses={
            201: OpenApiResponse(s.WebhookResponse, description="The webhook and its secret."),
            **MEGA.error_responses(400, 401, 403, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        body = s.WebhookInput(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        endpoint, secret = webhook_endpoint_create(
            workspace=self.workspace,
            actor=self.actor,
            url=values["url"],
            event_types=values["event_types"],
            payload_format=WebhookEndpoint.PayloadFormat.MEGA,
            timeout_seconds=values["timeout_seconds"],
            retry_attempts=values["retry_attempts"],
            description=values.get("description") or "",
            is_active=values["is_active"],
        )
        return Response(_webhook_payload(endpoint, secret), status=201)


class WebhookDetailView(WebhookScopedView):
    required_scopes = {"PATCH": "webhooks:manage", "DELETE": "webhooks:manage"}

    def endpoint(self, webhook_id: str) -> WebhookEndpoint:
        """By its id, `wh_<uuid>` or the bare uuid; another workspace's is a 404."""
        raw = webhook_id[3:] if webhook_id.startswith("wh_") else webhook_id
        try:
            key = uuid.UUID(raw)
        except ValueError:
            key = None
        return self.get_scoped_or_404(self.endpoints(), "No such webhook.", uuid=key)

    @extend_schema(
        tags=[TAG],
        summary="Update / rotate a webhook",
        request=s.WebhookUpdateInput,
        responses={200: s.WebhookResponse, **MEGA.error_responses(400, 401, 403, 404, 429)},
    )
    def patch(self, request: Request, webhook_id: str) -> Response:
        endpoint = self.endpoint(webhook_id)
        body = s.WebhookUpdateInput(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        rotate = values.pop("rotate_secret", False)
        if "description" in values:
            values["description"] = values["description"] or ""
        webhook_endpoint_update(endpoint=endpoint, actor=self.actor, data=values)
        secret = webhook_secret_rotate(endpoint=endpoint, actor=self.actor) if rotate else None
        return Response(_webhook_payload(endpoint, secret))

    @extend_schema(
        tags=[TAG],
        summary="Delete a webhook (soft delete)",
        request=None,
        responses={200: s.WebhookDeleteResponse, **MEGA.error_responses(401, 403, 404, 429)},
    )
    def delete(self, request: Request, webhook_id: str) -> Response:
        endpoint = webhook_endpoint_delete(endpoint=self.endpoint(webhook_id), actor=self.actor)
        return Response({"deleted": True, "webhook": s.WebhookOutput(endpoint).data})
