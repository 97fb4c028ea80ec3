from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    name = "civic"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from civic import pagecache

        # Every write, from any process, tells the shared pages that they may have changed.
        connection_created.connect(pagecache.watch_writes, dispatch_uid="civic.pagecache")
