"""The download of a person's data. The link's token is the authority: it was e-mailed to the
person, is unguessable, and stops working when it expires or the person is erased."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from contacts.models import DataRequest


@require_safe
@never_cache
def data_download(request: HttpRequest, token: str) -> HttpResponse:
    data_request = (
        DataRequest.objects.filter(kind=DataRequest.Kind.ACCESS, export_token=token).first()
        if token
        else None
    )
    if data_request is None:
        raise Http404
    if (
        data_request.status != DataRequest.Status.READY
        or not data_request.export_file
        or data_request.expires_at is None
        or data_request.expires_at <= timezone.now()
    ):
        return render(request, "contacts/gdpr/download_expired.html", status=410)
    response = FileResponse(
        data_request.export_file.open("rb"), as_attachment=True, filename="my-data.zip"
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
