from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from civic import views
from civic.discovery import app_modules

# Staff sign in through the same rate-limited allauth form as everyone else: Django's own admin
# login has no limit on failed attempts.
admin.site.login = views.admin_login

# Each app's api.py adds its viewsets with register(router), found as seed_demo finds demo.py;
# an api module without register() belongs to a third-party app, not to the open data API.
router = DefaultRouter()
for api_module in app_modules("api"):
    if callable(getattr(api_module, "register", None)):
        api_module.register(router)

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("contacts.urls")),
    path("", include("mailing.urls")),
    path("consultations/", include("consultations.urls")),
    path("", include("petitions.urls")),
    path("", include("budgets.urls")),
    path("", include("debates.urls")),
    path("", include("events.urls")),
    # allauth always routes reauthentication by an e-mailed code; civic asks for the password.
    *[
        path(
            f"accounts/reauthenticate/{rest}",
            RedirectView.as_view(pattern_name="account_reauthenticate", query_string=True),
        )
        for rest in ("code/", "code/confirm/")
    ],
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Only the webhooks of the ESP that sends our mail (mailing.webhook_urls).
    path("anymail/", include("mailing.webhook_urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler404 = "civic.views.page_not_found"
handler500 = "civic.views.server_error"
