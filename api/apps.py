from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Families render their webhook payloads; register them before any event is queued.
        from api.omni import webhooks  # noqa: F401
