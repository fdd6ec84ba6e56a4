"""The Pulse family (/api/…): login, leads with their audit log, teams, lead sources and
lead rotations, as the Pulse CRM API documents them."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.pulse import filters
from api.pulse.errors import PULSE
from api.pulse.pagination import Page, page_params, page_serializer, paginate
from api.pulse.serializers import (
    PulseLead,
    PulseLeadInput,
    PulseLeadSource,
    PulseLeadSourceInput,
    PulseLoginInput,
    PulseNextUser,
    PulseRotation,
    PulseRotationInput,
    PulseRotationStatusInput,
    PulseRotationUpdateInput,
    PulseSession,
    PulseTeam,
    PulseTeamInput,
    audit_member_emails,
)
from api.pulse.sessions import (
    credential_payload,
    login_payload,
    login_with_key,
    login_with_password,
)
from api.views import FamilyAPIView
from leads.models import ActionLog, Lead, LeadSource, Membership, Rotation, RotationMember, Team
from leads.services.leads import lead_create, lead_delete, lead_update
from leads.services.teams import (
    lead_source_create,
    lead_source_update,
    rotation_create,
    rotation_delete,
    rotation_seats_parse,
    rotation_status_set,
    rotation_turn_take,
    rotation_update,
    team_create,
    team_update,
)

TAG = "Pulse"
LEADS_READ, LEADS_WRITE, SETTINGS = "leads:read", "leads:write", "settings:manage"
SKIP_FLAG = "skipTeamAndSourceRequirement"


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return PULSE.error_responses(*statuses)


def _query(name: str, kind: Any = OpenApiTypes.STR, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description)


PAGING = [
    _query("page", OpenApiTypes.INT, "Page number (default 1)."),
    _query("pageSize", OpenApiTypes.INT, "Rows per page (default 10, at most 100)."),
    _query("search", description="Case-insensitive text search."),
    _query("sort", description="Comma-separated fields, `-` for descending."),
]
ID_PATH = [OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)]


def _filter(filterset_class: type, request: Request, queryset: QuerySet) -> QuerySet:
    filterset = filterset_class(request.query_params, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(
            {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        )
    return filterset.qs


class PulseView(FamilyAPIView):
    family = PULSE

    def page_response(self, page: Page, data: list[dict[str, Any]]) -> Response:
        return Response(page.body(data), headers=page.headers())

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"workspace": self.workspace, **extra}


# --- auth -------------------------------------------------------------------------------


class PulseLoginView(PulseView):
    """POST /api/auth/login: credentials in, a session token out."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []
    idempotent_post = False
    # A failed attempt must be remembered (django-axes lockout) though the answer is 401.
    atomic_writes = False

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_auth_login",
        summary="Exchange apiKey + apiSecret (or username + password) for a session token",
        request=PulseLoginInput,
        responses={200: PulseSession, **_errors(400, 401, 403, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = PulseLoginInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        if "apiKey" in values:
            login = login_with_key(
                request, api_key=values["apiKey"], api_secret=values["apiSecret"]
            )
        else:
            login = login_with_password(
                request, username=values["username"], password=values["password"]
            )
        return Response(PulseSession(login_payload(login)).data)


class PulseSessionView(PulseView):
    """GET /api/auth/session: the login payload for the credential in use."""

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_auth_session",
        summary="Echo the current session",
        responses={200: PulseSession, **_errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        _, _, token = request.headers.get("Authorization", "").partition(" ")
        return Response(PulseSession(credential_payload(self.credential, token.strip())).data)


# --- leads ------------------------------------------------------------------------------


def _audit_prefetch() -> Prefetch:
    # Served by the (lead, -created_at) index; only rows with an event are audit entries.
    return Prefetch(
        "action_logs",
        queryset=ActionLog.objects.exclude(event="")
        .select_related("actor_user", "actor_key__created_by")
        .order_by("-created_at", "-id"),
        to_attr="audit_entries",
    )


class PulseLeadView(PulseView):
    """Base of the lead views. Leads the caller may see: the workspace's, and for an
    agent's own session only their leads and unassigned ones (as in the staff pages)."""

    def leads(self) -> QuerySet:
        membership: Membership | None = self.credential.membership
        qs = (
            Lead.objects.visible_to(membership)
            if membership is not None
            else Lead.objects.for_workspace(self.workspace)
        )
        return qs.select_related("assignee__user", "created_by")

    def lead_or_404(self, pk: int) -> Lead:
        return self.get_scoped_or_404(
            self.leads().select_related("team", "lead_source"), "Lead not found", pk=pk
        )

    def render_leads(self, leads: list[Lead]) -> list[dict[str, Any]]:
        context = self.context(member_emails=audit_member_emails(leads))
        return PulseLead(leads, many=True, context=context).data

    def render_lead(self, pk: int) -> dict[str, Any]:
        """The lead as it is now. Not narrowed to what an agent sees: the caller has just
        read or written it, and a rotation may have handed a new lead to someone else."""
        lead = (
            Lead.objects.for_workspace(self.workspace)
            .select_related("assignee__user", "created_by")
            .prefetch_related(_audit_prefetch())
            .get(pk=pk)
        )
        return self.render_leads([lead])[0]

    def skip_requirements(self, request: Request) -> bool:
        raw = request.query_params.get(SKIP_FLAG, "false").strip().lower()
        if raw not in ("true", "false", "1", "0", ""):
            raise ValidationError({SKIP_FLAG: ["Use true or false."]})
        return raw in ("true", "1")


LEAD_FILTERS = [
    _query("archived", description="false (default), true, or all."),
    _query("teamId", OpenApiTypes.INT),
    _query("leadSourceId", OpenApiTypes.INT),
    _query("createdAt", description="YYYY-MM-DD (that UTC day) or FROM,TO."),
    _query("updatedAt", description="YYYY-MM-DD or FROM,TO."),
    _query("lastContacted", description="YYYY-MM-DD or FROM,TO."),
    _query("email"),
    _query("phone", description="Any format; matched by its last ten digits."),
    _query("assignedTo", description="A member's email."),
    _query("createdBy", description="A member's email."),
    *[
        _query(name, description="Exact match (case-insensitive).")
        for name in filters.LEAD_TEXT_FIELDS
    ],
    _query("numberOfEmployees", OpenApiTypes.INT),
    _query("monthlyTransactionVolume", OpenApiTypes.INT),
    _query("interestedInSwitching", OpenApiTypes.BOOL),
]
SKIP_PARAM = _query(
    SKIP_FLAG,
    OpenApiTypes.BOOL,
    "Create the lead without a team / lead source even when the account has teams.",
)


class PulseLeadListView(PulseLeadView):
    required_scopes = {"GET": LEADS_READ, "POST": LEADS_WRITE}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_list",
        summary="List leads",
        parameters=PAGING + LEAD_FILTERS,
        responses={200: page_serializer("PulseLeadPage", PulseLead), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = page_params(request.query_params)
        qs = _filter(filters.LeadFilter, request, self.leads())
        page = paginate(qs.prefetch_related(_audit_prefetch()), params)
        return self.page_response(page, self.render_leads(page.rows))

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_create",
        summary="Create a lead (routed by the team's rotation when nobody is named)",
        parameters=[SKIP_PARAM],
        request=PulseLeadInput,
        responses={201: PulseLead, **_errors(400, 401, 403, 409, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        payload = PulseLeadInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data, created_by = payload.canonical(
            workspace=self.workspace, enforce_placement=not self.skip_requirements(request)
        )
        archived = data.pop("archived", False)
        write = lead_create(
            workspace=self.workspace, actor=self.actor, data=data, created_by=created_by
        )
        if archived:
            # Created, then archived in the same transaction: the audit log shows both
            # lead_created and the lead_archived that integrations watch for.
            lead_update(lead=write.lead, actor=self.actor, data={"archived": True})
        return Response(self.render_lead(write.lead.pk), status=201)


class PulseLeadDetailView(PulseLeadView):
    required_scopes = {"GET": LEADS_READ, "PATCH": LEADS_WRITE, "DELETE": LEADS_WRITE}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_retrieve",
        summary="Get a lead with its audit log",
        parameters=ID_PATH,
        responses={200: PulseLead, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        lead = self.lead_or_404(pk)
        return Response(self.render_lead(lead.pk))

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_partial_update",
        summary="Change some fields of a lead (createdBy cannot change)",
        parameters=[*ID_PATH, SKIP_PARAM],
        request=PulseLeadInput(partial=True),
        responses={200: PulseLead, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        lead = self.lead_or_404(pk)
        payload = PulseLeadInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data, _ = payload.canonical(
            workspace=self.workspace,
            lead=lead,
            enforce_placement=not self.skip_requirements(request),
        )
        if data:  # an empty PATCH changes nothing and leaves no audit entry
            lead_update(lead=lead, actor=self.actor, data=data)
        return Response(self.render_lead(lead.pk))

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_destroy",
        summary="Delete a lead for good (its audit entries are kept)",
        parameters=ID_PATH,
        responses={200: PulseLead, **_errors(401, 403, 404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        lead = self.leads().prefetch_related(_audit_prefetch()).filter(pk=pk).first()
        if lead is None:
            raise ApiError(404, "not_found", "Lead not found")
        log = lead_delete(lead=lead, actor=self.actor)
        # Answer with the lead as it was, its audit log closed by the deletion.
        lead.pk = log.lead_pk
        lead.audit_entries.insert(0, log)
        return Response(self.render_leads([lead])[0])


class PulseLeadArchiveView(PulseLeadView):
    """POST archives a lead, DELETE brings it back; both answer with the lead."""

    required_scopes = {"POST": LEADS_WRITE, "DELETE": LEADS_WRITE}

    def _set(self, pk: int, *, archived: bool) -> Response:
        lead = self.lead_or_404(pk)
        if lead.is_archived != archived:  # lead_archived / lead_unarchived
            lead_update(lead=lead, actor=self.actor, data={"archived": archived})
        return Response(self.render_lead(lead.pk))

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_archive",
        summary="Archive a lead",
        parameters=ID_PATH,
        request=None,
        responses={200: PulseLead, **_errors(401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        return self._set(pk, archived=True)

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_leads_unarchive",
        summary="Unarchive a lead",
        parameters=ID_PATH,
        responses={200: PulseLead, **_errors(401, 403, 404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        return self._set(pk, archived=False)


# --- teams ------------------------------------------------------------------------------


def _teams(workspace: Any) -> QuerySet:
    return (
        Team.objects.filter(workspace=workspace)
        .select_related("created_by", "updated_by")
        .prefetch_related(
            Prefetch("members", queryset=Membership.objects.select_related("user").order_by("id"))
        )
    )


class PulseTeamListView(PulseView):
    required_scopes = {"GET": LEADS_READ, "POST": SETTINGS}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_teams_list",
        summary="List teams (active ones unless active=false|all)",
        parameters=[
            *PAGING,
            _query("active", description="true (default), false, or all."),
            _query("name", description="Exact name (case-insensitive)."),
        ],
        responses={200: page_serializer("PulseTeamPage", PulseTeam), **_errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = page_params(request.query_params)
        page = paginate(_filter(filters.TeamFilter, request, _teams(self.workspace)), params)
        return self.page_response(
            page, PulseTeam(page.rows, many=True, context=self.context()).data
        )

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_teams_create",
        summary="Create a team",
        request=PulseTeamInput,
        responses={201: PulseTeam, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        payload = PulseTeamInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        team = team_create(
            workspace=self.workspace,
            actor=self.actor,
            name=values["name"],
            is_active=values.get("is_active", True),
            member_emails=values.get("members"),
        )
        team = _teams(self.workspace).get(pk=team.pk)
        return Response(PulseTeam(team, context=self.context()).data, status=201)


class PulseTeamDetailView(PulseView):
    required_scopes = {"GET": LEADS_READ, "PATCH": SETTINGS}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_teams_retrieve",
        summary="Get a team",
        parameters=ID_PATH,
        responses={200: PulseTeam, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        team = self.get_scoped_or_404(_teams(self.workspace), "Team not found", pk=pk)
        return Response(PulseTeam(team, context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_teams_partial_update",
        summary="Rename, (de)activate or set the members of a team",
        parameters=ID_PATH,
        request=PulseTeamInput(partial=True),
        responses={200: PulseTeam, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        team = self.get_scoped_or_404(Team, "Team not found", pk=pk)
        payload = PulseTeamInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        members = values.pop("members", None)
        team_update(team=team, actor=self.actor, data=values, member_emails=members)
        team = _teams(self.workspace).get(pk=team.pk)
        return Response(PulseTeam(team, context=self.context()).data)


# --- lead sources -----------------------------------------------------------------------


def _sources(workspace: Any) -> QuerySet:
    return LeadSource.objects.filter(workspace=workspace).select_related("created_by", "updated_by")


class PulseLeadSourceListView(PulseView):
    required_scopes = {"GET": LEADS_READ, "POST": SETTINGS}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_sources_list",
        summary="List lead sources (all unless active=true|false)",
        parameters=[
            *PAGING,
            _query("active", description="true, false, or all (default)."),
            _query("name", description="Exact name (case-insensitive)."),
            _query("teamId", OpenApiTypes.INT),
        ],
        responses={
            200: page_serializer("PulseLeadSourcePage", PulseLeadSource),
            **_errors(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        params = page_params(request.query_params)
        qs = _filter(filters.LeadSourceFilter, request, _sources(self.workspace))
        page = paginate(qs, params)
        return self.page_response(
            page, PulseLeadSource(page.rows, many=True, context=self.context()).data
        )

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_sources_create",
        summary="Create a lead source, optionally for one team",
        request=PulseLeadSourceInput,
        responses={201: PulseLeadSource, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        payload = PulseLeadSourceInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        source = lead_source_create(
            workspace=self.workspace,
            actor=self.actor,
            name=values["name"],
            is_active=values.get("is_active", True),
            team_id=values.get("team"),
        )
        source = _sources(self.workspace).get(pk=source.pk)
        return Response(PulseLeadSource(source, context=self.context()).data, status=201)


class PulseLeadSourceDetailView(PulseView):
    required_scopes = {"GET": LEADS_READ, "PATCH": SETTINGS}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_sources_retrieve",
        summary="Get a lead source",
        parameters=ID_PATH,
        responses={200: PulseLeadSource, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        source = self.get_scoped_or_404(_sources(self.workspace), "Lead source not found", pk=pk)
        return Response(PulseLeadSource(source, context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_sources_partial_update",
        summary="Rename, (de)activate or move a lead source to a team (teamId null: none)",
        parameters=ID_PATH,
        request=PulseLeadSourceInput(partial=True),
        responses={200: PulseLeadSource, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        source = self.get_scoped_or_404(LeadSource, "Lead source not found", pk=pk)
        payload = PulseLeadSourceInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        lead_source_update(source=source, actor=self.actor, data=payload.validated_data)
        source = _sources(self.workspace).get(pk=source.pk)
        return Response(PulseLeadSource(source, context=self.context()).data)


# --- lead rotations ---------------------------------------------------------------------


def _rotations(workspace: Any) -> QuerySet:
    return (
        Rotation.objects.filter(workspace=workspace)
        .select_related("created_by", "updated_by", "team__created_by", "team__updated_by")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=RotationMember.objects.select_related("membership__user").order_by(
                    "order", "id"
                ),
            ),
            Prefetch(
                "team__members",
                queryset=Membership.objects.select_related("user").order_by("id"),
            ),
        )
    )


class PulseRotationListView(PulseView):
    required_scopes = {"GET": LEADS_READ, "POST": SETTINGS}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_list",
        summary="List lead rotations (active ones unless status=…)",
        parameters=[
            *PAGING,
            _query("status", description="active (default), archived, queued, or all."),
            _query("teamId", OpenApiTypes.INT),
            _query("name", description="Exact name (case-insensitive)."),
        ],
        responses={
            200: page_serializer("PulseRotationPage", PulseRotation),
            **_errors(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        params = page_params(request.query_params)
        qs = _filter(filters.RotationFilter, request, _rotations(self.workspace))
        page = paginate(qs, params)
        return self.page_response(
            page, PulseRotation(page.rows, many=True, context=self.context()).data
        )

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_create",
        summary="Create a rotation for a team, or the account's “default” fallback",
        request=PulseRotationInput,
        responses={201: PulseRotation, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        payload = PulseRotationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        rotation = rotation_create(
            workspace=self.workspace,
            actor=self.actor,
            name=values["name"],
            team_id=values.get("team"),
            status=values.get("status", Rotation.Status.ACTIVE),
            seats=rotation_seats_parse(values.get("userRotationArray", [])),
        )
        rotation = _rotations(self.workspace).get(pk=rotation.pk)
        return Response(PulseRotation(rotation, context=self.context()).data, status=201)


class PulseRotationDetailView(PulseView):
    required_scopes = {"GET": LEADS_READ, "PATCH": SETTINGS, "DELETE": SETTINGS}

    def rotation(self, pk: int) -> Rotation:
        return self.get_scoped_or_404(_rotations(self.workspace), "Lead rotation not found", pk=pk)

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_retrieve",
        summary="Get a lead rotation",
        parameters=ID_PATH,
        responses={200: PulseRotation, **_errors(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(PulseRotation(self.rotation(pk), context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_partial_update",
        summary="Change a rotation: name, team, status, members in turn order, weights",
        parameters=ID_PATH,
        request=PulseRotationUpdateInput(partial=True),
        responses={200: PulseRotation, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        rotation = self.get_scoped_or_404(Rotation, "Lead rotation not found", pk=pk)
        payload = PulseRotationUpdateInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        seats = values.pop("userRotationArray", None)
        rotation_update(
            rotation=rotation,
            actor=self.actor,
            data=values,
            seats=rotation_seats_parse(seats) if seats is not None else None,
        )
        return Response(PulseRotation(self.rotation(pk), context=self.context()).data)

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_destroy",
        summary="Delete a rotation; answers with the deleted rotation",
        parameters=ID_PATH,
        responses={200: PulseRotation, **_errors(401, 403, 404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        rotation = self.rotation(pk)
        body = PulseRotation(rotation, context=self.context()).data
        rotation_delete(rotation=rotation, actor=self.actor)
        return Response(body)


class PulseRotationStatusView(PulseView):
    required_scopes = {"PATCH": SETTINGS}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_status",
        summary="Set a rotation's status: active, archived or queued",
        parameters=ID_PATH,
        request=PulseRotationStatusInput,
        responses={200: PulseRotation, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        rotation = self.get_scoped_or_404(Rotation, "Lead rotation not found", pk=pk)
        body = request.data if isinstance(request.data, Mapping) else {}
        rotation_status_set(rotation=rotation, actor=self.actor, status=body.get("status"))
        rotation = _rotations(self.workspace).get(pk=pk)
        return Response(PulseRotation(rotation, context=self.context()).data)


class PulseRotationNextUserView(PulseView):
    """GET /api/lead-rotations/{id}/next-user: takes the turn (advances the pointer).

    Taking a turn is assigning work, not changing settings, so it needs leads:write."""

    required_scopes = {"GET": LEADS_WRITE}

    @extend_schema(
        tags=[TAG],
        operation_id="pulse_lead_rotations_next_user",
        summary="Take the next turn of a rotation (advances its position)",
        parameters=ID_PATH,
        responses={200: PulseNextUser, **_errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        rotation = self.get_scoped_or_404(Rotation, "Lead rotation not found", pk=pk)
        turn = rotation_turn_take(rotation=rotation)
        rotation = _rotations(self.workspace).get(pk=pk)
        member = turn.pick.member
        seat = next((s for s in rotation.members.all() if s.membership_id == member.pk), None)
        body = {
            "user": {
                "userId": member.user_id,
                "email": member.email,
                "name": member.name,
                "weight": seat.weight if seat else 1,
                "id": member.pk,
            },
            "rotationId": rotation.pk,
            "currentPosition": turn.pick.turn - 1,
            "totalUsers": len(rotation.members.all()),
            "rotation": rotation,
            "newPosition": rotation.position,
            "currentUser": member.email,
            "nextUser": turn.next_member.email if turn.next_member else None,
        }
        return Response(PulseNextUser(body, context=self.context()).data)
