from django.apps import AppConfig


class ScopedFeatureConfig(AppConfig):
    """A test-only feature app, owned by departments, that shows the core's scoping end to end
    (admin, page and API) until the real feature apps exist. Installed only under pytest."""

    name = "tests.scoped_feature"
    label = "scoped_feature"
    default_auto_field = "django.db.models.BigAutoField"
