"""What the API platform stores: idempotent responses and Pulse session tokens."""

from django.db import models
from django.utils import timezone

from leads.models import ApiKey, Membership, User, Workspace


class IdempotencyRecord(models.Model):
    """The response to a POST sent with an Idempotency-Key, written in the same
    transaction as the work it describes, so it exists exactly when the work does."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=300)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "endpoint", "key"], name="api_idempotency_unique_key"
            ),
        ]
        indexes = [
            # The periodic purge of records past their retention.
            models.Index(fields=["created_at"], name="api_idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class ApiSession(models.Model):
    """A Pulse session token from /api/auth/login. Only a hash of the token is stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="api_session_expires")]

    def __str__(self) -> str:
        return f"session {self.pk} for {self.api_key or self.user}"
