from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import serializers, viewsets

from civic import selectors
from tests.scoped_feature.models import Notice

PUBLISHED = Q(status=Notice.Status.PUBLISHED)


def visible(user):
    return selectors.published_or_run_by(Notice.objects.all(), user, published=PUBLISHED)


def notice_page(request, pk):
    notice = get_object_or_404(visible(request.user), pk=pk)
    return HttpResponse(notice.title)


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "title", "status"]


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NoticeSerializer

    def get_queryset(self):
        return visible(self.request.user).order_by("pk")
