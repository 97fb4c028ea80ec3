from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civic import open_now
        from contacts import gdpr_registry, kinds
        from events import gdpr
        from events.models import ACTIVITY_ATTENDANCE, ACTIVITY_REGISTRATION, SOURCE_EVENT
        from events.views import open_items

        open_now.register(
            open_now.OpenSection(key="events", heading=_("Events"), order=45, items=open_items)
        )
        gdpr_registry.register(
            "event registrations", gdpr.export_registrations, gdpr.erase_registrations
        )
        kinds.register_source(SOURCE_EVENT, _("Event"))
        kinds.register_activity(ACTIVITY_REGISTRATION, _("Registration for an event"))
        kinds.register_activity(ACTIVITY_ATTENDANCE, _("Attended an event"))
