from django.urls import include, path
from rest_framework.routers import DefaultRouter

from civic.urls import urlpatterns as civic_urlpatterns
from tests.scoped_feature import views

router = DefaultRouter()
router.register("notices", views.NoticeViewSet, basename="notice")

urlpatterns = [
    path("notices/<int:pk>/", views.notice_page),
    path("api/v1/test/", include(router.urls)),
    *civic_urlpatterns,
]
