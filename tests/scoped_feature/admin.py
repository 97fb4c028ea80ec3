from django.contrib import admin

from civic.admin_base import ScopedModelAdmin
from tests.scoped_feature.models import Notice


@admin.register(Notice)
class NoticeAdmin(ScopedModelAdmin):
    department_path = "department"
    list_display = ["title", "status", "department"]
