from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "mailing"
    verbose_name = _("Mailing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        from mailing import webhook_urls, webhooks

        tracking.connect(webhooks.tracking_received, dispatch_uid="mailing.tracking")
        inbound.connect(webhooks.inbound_received, dispatch_uid="mailing.inbound")
        checks.register(webhook_urls.esp_webhooks_check, checks.Tags.security)

        from contacts import gdpr_registry
        from mailing import gdpr, segments

        gdpr_registry.register("e-mail deliveries", gdpr.export_deliveries, gdpr.erase_deliveries)
        segments.register()
