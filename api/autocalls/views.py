"""Autocalls family: /api/user/… (campaign leads, campaigns, the call queue and outcomes).

A "lead" here is a campaign lead (a number to call in one campaign); each belongs to a
canonical lead of the workspace, so it is visible in every other family and the staff
pages too."""

import datetime
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.autocalls import serializers as s
from api.autocalls.errors import AUTOCALLS
from api.autocalls.pagination import laravel_page
from api.views import FamilyAPIView
from campaigns.models import Campaign, CampaignLead
from campaigns.services import (
    CallQueue,
    Contact,
    campaign_call_record,
    campaign_create,
    campaign_enroll,
    campaign_lead_delete,
    campaign_lead_update,
    campaign_queue,
    campaign_queue_claim,
    campaign_start,
    campaign_stop,
)

TAG = "Autocalls"
READ = "campaigns:read"
WRITE = "campaigns:write"
ERRORS = (401, 403, 429)


class AutocallsView(FamilyAPIView):
    family = AUTOCALLS

    def get_campaign(self, campaign_id: Any) -> Campaign:
        return self.get_scoped_or_404(Campaign, "Campaign not found", pk=campaign_id)

    def get_lead(self, lead_id: Any, queryset: QuerySet | None = None) -> CampaignLead:
        source = queryset if queryset is not None else CampaignLead.objects.all()
        return self.get_scoped_or_404(
            source.select_related("campaign", "lead"), "Lead not found", pk=lead_id
        )

    def serializer_context(self) -> dict[str, Any]:
        return {"region": self.workspace.default_region, "request": self.request}


class LeadCreateView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"POST": WRITE}

    @extend_schema(
        tags=[TAG],
        summary="Create a lead in a campaign (with secondary contacts)",
        request=s.LeadCreateInput,
        responses={
            200: s.LeadCreateResponse,
            **AUTOCALLS.error_responses(400, *ERRORS, 404, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.validate_or_raise(
            s.LeadCreateInput(data=request.data, context=self.serializer_context())
        )
        campaign = self.get_campaign(data["campaign_id"])
        entry = campaign_enroll(
            campaign=campaign,
            actor=self.actor,
            phone=data["phone_number"],
            variables=data.get("variables") or {},
            secondary_contacts=[
                Contact(phone=c["phone_number"], variables=c.get("variables") or {})
                for c in data.get("secondary_contacts", [])
            ],
            allow_duplicate=data["allow_duplicate"],
        )
        entry.secondary_list = list(entry.secondary_contacts.order_by("id"))
        body = {
            "message": "Lead created successfully",
            "data": s.LeadCreatedOutput(entry).data,
        }
        return Response(body, status=200)


def _lead_list(view: AutocallsView, filters: dict[str, Any]) -> QuerySet:
    qs = view.scoped(CampaignLead).select_related("campaign").order_by("-created_at", "-id")
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    if "campaign_id" in filters:
        qs = qs.filter(campaign_id=filters["campaign_id"])
    if "phone_number" in filters:  # its digits (AutocallsLeadListQuery)
        qs = qs.filter(phone__contains=filters["phone_number"])
    zone = datetime.UTC
    if filters.get("date_from"):
        start = datetime.datetime.combine(filters["date_from"], datetime.time(), zone)
        qs = qs.filter(created_at__gte=start)
    if filters.get("date_to"):
        end = datetime.datetime.combine(filters["date_to"], datetime.time(), zone)
        qs = qs.filter(created_at__lt=end + datetime.timedelta(days=1))
    return qs


class LeadListView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"GET": READ}

    @extend_schema(
        tags=[TAG],
        summary="List campaign leads (Laravel paginator)",
        parameters=[s.AutocallsLeadListQuery],
        responses={200: s.LeadPage, **AUTOCALLS.error_responses(*ERRORS, 422)},
    )
    def get(self, request: Request) -> Response:
        filters = s.validate_or_raise(s.AutocallsLeadListQuery(data=request.query_params))
        rows, meta = laravel_page(
            request,
            _lead_list(self, filters),
            page=filters["page"],
            per_page=filters["per_page"],
        )
        return Response(
            {
                "current_page": meta.pop("current_page"),
                "data": s.AutocallsLeadOutput(rows, many=True).data,
                **meta,
            }
        )


class LeadDetailView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"PUT": WRITE, "DELETE": WRITE}

    @extend_schema(
        tags=[TAG],
        summary="Update a lead (only the given fields; variables are merged)",
        request=s.LeadUpdateInput,
        responses={
            200: s.MessageResponse,
            **AUTOCALLS.error_responses(400, *ERRORS, 404, 413, 415, 422),
        },
    )
    def put(self, request: Request, lead_id: str) -> Response:
        entry = self.get_lead(lead_id)
        data = s.validate_or_raise(
            s.LeadUpdateInput(data=request.data, context=self.serializer_context())
        )
        changes: dict[str, Any] = {}
        if "campaign_id" in data:
            changes["campaign"] = self.get_campaign(data["campaign_id"])
        if "phone_number" in data:
            changes["phone"] = data["phone_number"]
        for name in ("status", "variables"):
            if name in data:
                changes[name] = data[name]
        campaign_lead_update(
            campaign_lead=entry,
            actor=self.actor,
            data=changes,
            allow_duplicate=data["allow_duplicate"],
        )
        return Response({"message": "Lead updated successfully"})

    @extend_schema(
        tags=[TAG],
        summary="Delete a lead (its call history stays in the lead's timeline)",
        responses={200: s.MessageResponse, **AUTOCALLS.error_responses(*ERRORS, 404)},
    )
    def delete(self, request: Request, lead_id: str) -> Response:
        campaign_lead_delete(campaign_lead=self.get_lead(lead_id), actor=self.actor)
        return Response({"message": "Lead deleted successfully"})


class LeadCallsView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"POST": WRITE}

    @extend_schema(
        tags=[TAG],
        summary="Record a call's outcome (Leadbook extension for external dialers)",
        request=s.CallInput,
        responses={
            200: s.CallResponse,
            **AUTOCALLS.error_responses(400, *ERRORS, 404, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request, lead_id: str) -> Response:
        entry = self.get_lead(lead_id)
        data = s.validate_or_raise(s.CallInput(data=request.data))
        call = campaign_call_record(
            campaign_lead=entry,
            actor=self.actor,
            outcome=data["outcome"],
            duration_seconds=data["duration"],
            notes=data["notes"],
            variables=data.get("variables") or {},
            retry_at=data.get("retry_at"),
        )
        return Response({"message": "Call recorded successfully", "data": s.CallOutput(call).data})


class CampaignListView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"GET": READ}

    @extend_schema(
        tags=[TAG],
        summary="List campaigns (a plain array)",
        responses={200: s.CampaignOutput(many=True), **AUTOCALLS.error_responses(*ERRORS)},
    )
    def get(self, request: Request) -> Response:
        campaigns = self.scoped(Campaign).order_by("-created_at", "-id")
        return Response(s.CampaignOutput(campaigns, many=True).data)


class CampaignCreateView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"POST": WRITE}

    @extend_schema(
        tags=[TAG],
        summary="Create a campaign (as a draft)",
        request=s.CampaignCreateInput,
        responses={
            201: s.CampaignCreateResponse,
            **AUTOCALLS.error_responses(400, *ERRORS, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = s.CampaignCreateInput(data=request.data)
        s.validate_or_raise(serializer)
        campaign = campaign_create(
            workspace=self.workspace, actor=self.actor, data=serializer.canonical()
        )
        body = {"message": "Campaign created successfully", "data": s.CampaignOutput(campaign).data}
        return Response(body, status=201)


class CampaignStatusView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"POST": WRITE}

    @extend_schema(
        tags=[TAG],
        summary="Start or stop a campaign",
        request=s.CampaignStatusInput,
        responses={
            200: s.CampaignStatusResponse,
            **AUTOCALLS.error_responses(400, *ERRORS, 404, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.validate_or_raise(s.CampaignStatusInput(data=request.data))
        campaign = self.get_campaign(data["campaign_id"])
        if data["action"] == "start":
            campaign = campaign_start(campaign=campaign, actor=self.actor)
            message = "Campaign started successfully."
        else:
            campaign = campaign_stop(campaign=campaign, actor=self.actor)
            message = "Campaign stopped successfully."
        return Response(
            {
                "message": message,
                "success": True,
                "data": {"campaign_id": campaign.pk, "status": campaign.status},
            }
        )


def _queue_response(
    campaign: Campaign, queue: CallQueue, output: type[s.QueueLeadOutput]
) -> Response:
    return Response(
        {
            "data": output(queue.entries, many=True).data,
            "processing": queue.processing,
            "max_calls_in_parallel": campaign.max_calls_in_parallel,
        }
    )


class CampaignQueueView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"GET": READ}

    @extend_schema(
        tags=[TAG],
        summary="The campaign's leads callable now, in order (Leadbook extension)",
        parameters=[
            s.QueueQuery,
            OpenApiParameter("campaign_id", int, OpenApiParameter.PATH),
        ],
        responses={200: s.QueueResponse, **AUTOCALLS.error_responses(*ERRORS, 404, 422)},
    )
    def get(self, request: Request, campaign_id: str) -> Response:
        campaign = self.get_campaign(campaign_id)
        query = s.validate_or_raise(s.QueueQuery(data=request.query_params))
        queue = campaign_queue(campaign=campaign, limit=query.get("limit"))
        return _queue_response(campaign, queue, s.QueueLeadOutput)


class CampaignQueueClaimView(AutocallsView):
    required_scopes: ClassVar[dict[str, str]] = {"POST": WRITE}

    @extend_schema(
        tags=[TAG],
        summary="Take the next numbers to call, held for you (Leadbook extension)",
        request=s.ClaimInput,
        parameters=[OpenApiParameter("campaign_id", int, OpenApiParameter.PATH)],
        responses={
            200: s.ClaimResponse,
            **AUTOCALLS.error_responses(400, *ERRORS, 404, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request, campaign_id: str) -> Response:
        campaign = self.get_campaign(campaign_id)
        data = s.validate_or_raise(s.ClaimInput(data=request.data))
        claimed = campaign_queue_claim(campaign=campaign, agent=None, count=data["count"])
        return _queue_response(campaign, claimed, s.ClaimedLeadOutput)


class MeView(AutocallsView):
    # Any valid key may ask who it is: integrations call this to check a key.
    required_scopes: ClassVar[dict[str, str]] = {}

    @extend_schema(
        tags=[TAG],
        summary="Who this API key belongs to",
        responses={200: s.MeResponse, **AUTOCALLS.error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        credential = self.credential
        user = credential.user or (credential.api_key.created_by if credential.api_key else None)
        key = credential.api_key
        workspace = self.workspace
        return Response(
            {
                "id": user.pk if user else None,
                "name": (user.full_name or user.email) if user else workspace.name,
                "email": user.email if user else "",
                "timezone": workspace.default_timezone,
                "workspace": {"id": workspace.pk, "name": workspace.name},
                "api_key": (
                    {"name": key.name, "prefix": key.display_prefix, "scopes": key.scopes}
                    if key
                    else None
                ),
            }
        )
