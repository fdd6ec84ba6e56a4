from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    name = "checklists"
    verbose_name = "Checklists"

    def ready(self) -> None:
        # The lead page shows the checklist, status and documents panels; leads cannot
        # import this app (dependencies point one way), so the panel is registered here.
        from checklists.views import lead_section_context
        from leads.views.lead_detail import register_lead_page_section

        register_lead_page_section(
            template="checklists/_lead_checklist.html", context=lead_section_context
        )
