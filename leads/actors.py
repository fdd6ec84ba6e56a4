"""Who is acting: a signed-in person, an API key, or Leadbook itself."""

from dataclasses import dataclass, field

from leads.models import ApiKey, Membership, User


@dataclass(frozen=True)
class RequestMeta:
    """What the audit trail keeps of the HTTP request behind a change (secrets masked)."""

    method: str = ""
    path: str = ""
    ip: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Actor:
    user: User | None = None
    api_key: ApiKey | None = None
    membership: Membership | None = None
    source: str = "manual"  # api | manual | import | system | command_line
    request: RequestMeta | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(source="system")

    @classmethod
    def command_line(cls, user: User | None = None) -> "Actor":
        """Someone running a manage.py command on the server, optionally on behalf of
        `user` (who then owns what the command creates)."""
        return cls(user=user, source="command_line")

    @property
    def is_api(self) -> bool:
        return self.api_key is not None or self.source == "api"

    @property
    def email(self) -> str:
        """The email a Pulse client sees as createdBy/user for this actor."""
        if self.user is not None:
            return self.user.email
        if self.api_key is not None and self.api_key.created_by is not None:
            return self.api_key.created_by.email
        return ""

    @property
    def label(self) -> str:
        """A human description kept in the audit trail even if the user or key is deleted."""
        if self.source == "command_line":
            return f"command line ({self.user.email})" if self.user is not None else "command line"
        if self.user is not None:
            return self.user.email
        if self.api_key is not None:
            return f"API key {self.api_key.name} ({self.api_key.display_prefix})"
        return "Leadbook"

    @property
    def created_by_user(self) -> User | None:
        if self.user is not None:
            return self.user
        return self.api_key.created_by if self.api_key is not None else None
