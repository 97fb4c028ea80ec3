from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = _("Participatory budgets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from budgets import gdpr
        from budgets.models import ACTIVITY_IDEA, ACTIVITY_SUPPORT, ACTIVITY_VOTE, SOURCE_BUDGET
        from budgets.views import open_items
        from civic import open_now
        from contacts import gdpr_registry, kinds

        open_now.register(
            open_now.OpenSection(
                key="budgets", heading=_("Participatory budgets"), order=30, items=open_items
            )
        )
        gdpr_registry.register("budget ideas and supports", gdpr.export_ideas, gdpr.erase_ideas)
        kinds.register_source(SOURCE_BUDGET, _("Participatory budget"))
        kinds.register_activity(ACTIVITY_IDEA, _("Budget idea"))
        kinds.register_activity(ACTIVITY_SUPPORT, _("Support for a budget idea"))
        kinds.register_activity(ACTIVITY_VOTE, _("Vote in a participatory budget"))
