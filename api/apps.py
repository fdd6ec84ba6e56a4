from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Families register the webhook payloads their endpoints receive. Every process
        # that changes leads (web, worker, management commands) must know them.
        from api.mega import payloads  # noqa: F401
        from api.omni import webhooks  # noqa: F401
