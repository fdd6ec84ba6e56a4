"""Tenants, the people in them and the keys integrations use."""

import secrets
import uuid
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from leads.models.base import TimeStampedModel, choices_check


def validate_timezone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as America/New_York.")


def generate_account_id() -> str:
    """A 16-digit public account number (Pulse's x-account-id)."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="May sign in to the Django admin (scoped to their workspaces)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="leads_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Workspace(TimeStampedModel):
    """The tenant: everything else belongs to exactly one workspace."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account_id = models.CharField(
        max_length=20, unique=True, default=generate_account_id, editable=False
    )
    name = models.CharField(max_length=120, unique=True)
    default_region = models.CharField(
        max_length=2, default="US", help_text="Country used to read phone numbers without +prefix."
    )
    default_timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="API requests per key per minute (blank: server default)."
    )
    rate_limit_per_hour = models.PositiveIntegerField(
        null=True, blank=True, help_text="API requests per key per hour (blank: server default)."
    )
    bulk_rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bulk API requests per key per minute (blank: default)."
    )
    agents_can_import = models.BooleanField(
        default=False, help_text="Agents may import leads from files (managers and up always may)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    AGENT = "agent", "Agent"
    VIEWER = "viewer", "Viewer"


class Membership(TimeStampedModel):
    """A user's place in a workspace. Leads are assigned to memberships."""

    Role = MembershipRole

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["workspace", "display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="leads_membership_unique"),
            choices_check("role", MembershipRole, "leads_membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()}, {self.workspace_id})"

    @property
    def name(self) -> str:
        return self.display_name or self.user.full_name or self.user.email

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def manages_settings(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)

    @property
    def sees_all_leads(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN, self.Role.MANAGER)

    @property
    def can_edit(self) -> bool:
        return self.role != self.Role.VIEWER


class ApiKeyScope(models.TextChoices):
    LEADS_READ = "leads:read", "Read leads"
    LEADS_WRITE = "leads:write", "Create and change leads"
    CAMPAIGNS_READ = "campaigns:read", "Read campaigns and campaign leads"
    CAMPAIGNS_WRITE = "campaigns:write", "Change campaigns and campaign leads"
    WEBHOOKS_MANAGE = "webhooks:manage", "Manage webhooks"
    SETTINGS_MANAGE = "settings:manage", "Manage teams, lead sources and rotations"


class ApiKey(TimeStampedModel):
    """A workspace credential for integrations. Only a hash of the secret is stored."""

    Scope = ApiKeyScope

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "API key"
        ordering = ["workspace", "name"]

    def __str__(self) -> str:
        return f"{self.name} (lb_{self.prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"lb_{self.prefix}"

    def is_usable(self, now: "timezone.datetime | None" = None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at", "updated_at"])
