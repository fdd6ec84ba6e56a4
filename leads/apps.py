from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        # Committed webhook deliveries are handed to a worker by a hook this module
        # registers; every process that writes leads needs it.
        from leads.services import webhooks  # noqa: F401
