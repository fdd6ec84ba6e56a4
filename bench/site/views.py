"""Reference views measured in the same run as Leadbook's endpoints: what a Django + DRF
view costs with no product logic at all, so that ratios survive a noisy machine."""

import uuid

from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.models import Lead, Workspace


class ReferenceInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class ReferenceJson(APIView):
    """DRF parse + serializer validation, no database."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        data = ReferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"ok": True, **data.validated_data}, status=201)


class ReferenceInsert(ReferenceJson):
    """The same, plus one INSERT of a lead row (autocommit): the single-INSERT reference."""

    _workspace_id: int | None = None

    def post(self, request: Request) -> Response:
        data = ReferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        if ReferenceInsert._workspace_id is None:
            ReferenceInsert._workspace_id = Workspace.objects.values_list("pk", flat=True).first()
        values = data.validated_data
        now = timezone.now()
        lead = Lead.objects.create(
            uuid=uuid.uuid4(),
            workspace_id=ReferenceInsert._workspace_id,
            first_name=values["first_name"],
            last_name=values.get("last_name", ""),
            email=values.get("email", ""),
            email_normalized=values.get("email", "").lower(),
            phone=values.get("phone", ""),
            phone_last10=values.get("phone", "")[-10:],
            created_at=now,
        )
        return Response({"id": lead.pk}, status=201)
