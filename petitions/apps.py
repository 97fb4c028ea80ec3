from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civic import open_now
        from contacts import gdpr_registry, kinds
        from petitions import gdpr
        from petitions.models import ACTIVITY_SIGNATURE, SOURCE_PETITION
        from petitions.views import open_items

        open_now.register(
            open_now.OpenSection(
                key="petitions", heading=_("Petitions"), order=20, items=open_items
            )
        )
        gdpr_registry.register("petition signatures", gdpr.export_signatures, gdpr.erase_signatures)
        kinds.register_source(SOURCE_PETITION, _("Petition"))
        kinds.register_activity(ACTIVITY_SIGNATURE, _("Petition signature"))
