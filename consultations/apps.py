from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civic import open_now
        from consultations import gdpr
        from consultations.models import ACTIVITY_RESPONSE, SOURCE_SURVEY
        from consultations.views import open_items
        from contacts import gdpr_registry, kinds

        open_now.register(
            open_now.OpenSection(
                key="consultations", heading=_("Consultations"), order=10, items=open_items
            )
        )
        gdpr_registry.register(
            "consultation responses", gdpr.export_responses, gdpr.erase_responses
        )
        kinds.register_source(SOURCE_SURVEY, _("Survey"))
        kinds.register_activity(ACTIVITY_RESPONSE, _("Survey response"))
