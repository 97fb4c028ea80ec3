"""Petitions' public pages: the listing, a petition's page, signing and confirming, starting a
petition and gathering its supporters, and the open data as JSON.

Every rule is in petitions.services; these views read the request and draw the answer, with
plain forms (POST, redirect, GET) so that everything works without JavaScript. Whatever happens
to a signature, the signer sees the same "check your e-mail" page: nothing here tells anyone who
has signed.

A petition's page reads two queries for a visitor, the petition (with its council and area) and
its council's thresholds: the count and the counts by ward were written onto the petition by a
worker. Its JSON is kept in the cache for a few seconds, so that a petition everyone is watching
costs the database nothing per request.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from civic import open_now, pagecache, search
from civic.form_guard import refusal_status
from civic.formatting import day, when
from civic.models import Area, Organisation
from civic.pagecache import shared_page
from civic.pagination import paginate
from civic.ratelimits import client_ip
from petitions.api import PetitionDetailSerializer, PetitionSerializer, newest_first
from petitions.forms import DEBATE, PetitionFilterForm, SignatureForm, StartForm
from petitions.models import Petition, Signature, Threshold
from petitions.services import (
    petition_create,
    petition_from_support_token,
    policy_for,
    support_url,
)
from petitions.services.counting import petition_key, recent_petitions
from petitions.services.signing import (
    Refused,
    confirm_days,
    signature_confirm,
    signature_from_token,
    signature_sign,
    start_token,
)

PER_PAGE = 20
JSON_PER_PAGE = 50
JSON_CACHE_SECONDS = 5
PAGE_CACHE_SECONDS = 10  # a petition's page and row, for visitors not signed in
Status = Petition.Status
Stage = Petition.Stage
STAGE_TAGS = {
    Stage.SPONSORING: "govuk-tag--grey",
    Stage.PENDING: "govuk-tag--grey",
    Stage.OPEN: "govuk-tag--green",
    Stage.AWAITING_RESPONSE: "govuk-tag--yellow",
    Stage.DEBATE_SCHEDULED: "govuk-tag--blue",
    Stage.RESPONDED: "govuk-tag--purple",
    Stage.DEBATED: "govuk-tag--purple",
    Stage.CLOSED: "govuk-tag--grey",
    Stage.REJECTED: "govuk-tag--red",
}
# Not public yet: only its creator sees its page, to follow it.
UNPUBLISHED = {Status.SPONSORING, Status.PENDING}


# Helpers ----------------------------------------------------------------------------------------


def _is_creator(request: HttpRequest, petition: Petition) -> bool:
    return (
        request.user.is_authenticated
        and petition.creator_id is not None
        and petition.creator_id == request.user.pk
    )


def _describe(petition: Petition, now) -> Petition:
    """The stage in words and its dates, for the templates."""
    petition.current_stage = petition.stage_at(now)
    petition.stage_label = Stage(petition.current_stage).label
    petition.stage_tag = STAGE_TAGS.get(petition.current_stage, "")
    lines = []
    if petition.opened_at:
        lines.append(_("Opened on %(date)s") % {"date": day(petition.opened_at)})
    if petition.closes_at:
        closes = day(petition.closes_at)
        if petition.closes_at > now:
            lines.append(_("Closes on %(date)s") % {"date": closes})
        else:
            lines.append(_("Closed on %(date)s") % {"date": closes})
    petition.date_lines = lines
    return petition


def _removed(request: HttpRequest, petition: Petition) -> HttpResponse:
    return render(request, "petitions/removed.html", {"petition": petition}, status=410)


def _petition_for(request: HttpRequest, petition_id: int) -> Petition:
    """The petition this visitor may see, or Http404; a removed petition is returned for the
    caller to answer 410."""
    petition = (
        Petition.objects.select_related("organisation", "area").filter(pk=petition_id).first()
    )
    if petition is None or petition.status == Status.HIDDEN:
        raise Http404(_("There is no petition here."))
    if petition.status in UNPUBLISHED and not _is_creator(request, petition):
        raise Http404(_("There is no petition here."))
    return petition


def _petition_to_sign(request: HttpRequest, petition_id: int) -> Petition:
    """The petition for its signing form, since everyone signing a viral petition asks for the
    same row: while it is open, from the shared cache (forgotten whenever an officer acts on it,
    kept for PAGE_CACHE_SECONDS at most), and what this process read a second ago. Whether it
    still takes signatures follows from its closing time, which the cached row holds."""
    return recent_petitions.read_through(
        petition_key(petition_id),
        lambda: _petition_for(request, petition_id),
        seconds=PAGE_CACHE_SECONDS,
        keep=lambda petition: petition.status == Status.OPEN,
    )


def _sign_form(petition: Petition, data=None) -> SignatureForm:
    return SignatureForm(data, organisation=petition.organisation)


def _sign(
    request: HttpRequest, petition: Petition, *, supporter: bool
) -> tuple[SignatureForm | None, Refused | None, HttpResponse | None]:
    """Take a signature from the POST: the form with its errors, a refusal to show, or the
    redirect to "check your e-mail" (for a new signature and for a repeat alike). The form is
    only built to show what went wrong: the service checks every field."""
    try:
        signature_sign(
            petition=petition,
            supporter=supporter,
            ip=client_ip(request),
            **SignatureForm.service_arguments(request.POST),
        )
    except Refused as refusal:
        form = _sign_form(petition, request.POST)
        form.is_valid()
        return form, refusal, None
    except ValidationError as error:
        form = _sign_form(petition, request.POST)
        form.is_valid()  # the service checks the fields; this only makes the errors addable
        form.add_service_errors(error)
        return form, None, None
    return None, None, redirect("petitions:signed", petition.pk)


# The listing ------------------------------------------------------------------------------------


def _search(petitions: QuerySet, text: str) -> QuerySet:
    """Full-text search in PostgreSQL, ranked; stemmed words elsewhere (SQLite, civic.search)."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "background", weight="B", config="english"
        )
        query = SearchQuery(text, config="english", search_type="websearch")
        return petitions.annotate(search=vector, rank=SearchRank(vector, query)).filter(
            search=query
        )
    return search.matching(petitions, text, ["title", "background"])


def _in_stage(petitions: QuerySet, stage: str, now) -> QuerySet:
    if stage == DEBATE:
        return petitions.in_stage(Stage.DEBATED, now) | petitions.in_stage(
            Stage.DEBATE_SCHEDULED, now
        )
    return petitions.in_stage(stage, now)


@require_safe
@shared_page
def petition_list(request: HttpRequest) -> HttpResponse:
    """Three queries whatever it lists: the areas to filter by, the count, and the page."""
    now = timezone.now()
    public = Petition.objects.public()
    areas = list(
        Area.objects.filter(pk__in=public.values("area"))
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    form = PetitionFilterForm(request.GET or None, areas=areas)
    chosen = form.chosen

    petitions = public.select_related("organisation", "area")
    if chosen.get("stage"):
        petitions = _in_stage(petitions, chosen["stage"], now)
    if chosen.get("area"):
        petitions = petitions.filter(area_id=chosen["area"])
    text = chosen.get("q", "").strip()
    if text:
        petitions = _search(petitions, text)
    petitions = newest_first(petitions, ranked=bool(text) and connection.vendor == "postgresql")

    pages = paginate(request, petitions, per_page=PER_PAGE)
    for petition in pages["page"].object_list:
        _describe(petition, now)
    return render(
        request,
        "petitions/list.html",
        {
            "heading": _("Petitions"),
            "form": form,
            **pages,
            "filtered": form.filtered,
            "several_councils": len({area.organisation_id for area in areas}) > 1,
        },
    )


# A petition's page ------------------------------------------------------------------------------


def _wards(petition: Petition) -> dict:
    """The counts by ward for the table, and bars for the chart (widths as a share of the
    largest, in per cent)."""
    rows = [
        {"name": name or _("Unknown"), "count": count}
        for _area, name, count in (petition.ward_counts or [])
    ]
    largest = max((row["count"] for row in rows), default=0)
    bar_height, step = 16, 44
    for index, row in enumerate(rows):
        row["width"] = round(80 * row["count"] / largest, 1) if largest else 0
        row["y"] = index * step
        row["bar_y"] = index * step + 20
        row["text_y"] = index * step + 14
        row["value_y"] = index * step + 33
    return {"rows": rows, "height": len(rows) * step, "bar_height": bar_height}


def _progress(petition: Petition, thresholds: list[Threshold]) -> dict | None:
    """The next threshold the count has not reached, and how far towards it the count is."""
    count = petition.signature_count
    for threshold in thresholds:
        if count < threshold.signatures:
            return {
                "threshold": threshold,
                "percent": floatformat(100 * count / threshold.signatures, 0),
                "needed": threshold.signatures - count,
            }
    return None


@require_safe
@shared_page(fill={"token": start_token})
def petition_detail(request: HttpRequest, petition_id: int) -> HttpResponse:
    """The petition's page: for visitors who are not signed in, from the shared cache (drawn
    again as soon as the worker counts it or an officer acts on it), with this visitor's CSRF
    token and a fresh start time for the form."""
    petition = _petition_for(request, petition_id)
    if petition.status == Status.REMOVED:
        return _removed(request, petition)
    now = timezone.now()
    _describe(petition, now)
    thresholds = []
    if petition.status == Status.OPEN:
        thresholds = list(
            Threshold.objects.filter(policy__organisation_id=petition.organisation_id).order_by(
                "signatures"
            )
        )
    signable = petition.status == Status.OPEN and petition.is_signable
    return render(
        request,
        "petitions/detail.html",
        {
            "petition": petition,
            "is_creator": _is_creator(request, petition),
            "thresholds": [
                {
                    "threshold": threshold,
                    "reached": petition.signature_count >= threshold.signatures,
                }
                for threshold in thresholds
            ],
            "progress": _progress(petition, thresholds) if petition.status == Status.OPEN else None,
            "wards": _wards(petition),
            "counted_at": when(petition.counted_at) if petition.counted_at else "",
            "form": _sign_form(petition) if signable else None,
            "token": pagecache.value(request, "token") if signable else "",
            "Stage": Stage,
            "Status": Status,
            "debate_day": day(petition.debate_date),
        },
    )


# Signing ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def petition_sign(request: HttpRequest, petition_id: int) -> HttpResponse:
    """The signing form on a page of its own (the petition's page posts here too), with its
    errors; a petition gathering supporters is signed through its creator's link instead."""
    petition = _petition_to_sign(request, petition_id)
    if petition.status == Status.REMOVED:
        return _removed(request, petition)
    if petition.status in UNPUBLISHED:  # supporters sign through the creator's link
        raise Http404(_("There is no petition here."))
    refusal = None
    if request.method == "POST" and petition.is_signable:
        form, refusal, done = _sign(request, petition, supporter=False)
        if done is not None:
            return done
    else:
        form = _sign_form(petition)
    return render(
        request,
        "petitions/sign.html",
        {
            "petition": _describe(petition, timezone.now()),
            "form": form,
            "token": start_token(),
            "refusal": refusal,
            "closed": not petition.is_signable
            or (refusal is not None and refusal.code == "closed"),
            "action": reverse("petitions:sign", args=[petition.pk]),
        },
        status=refusal_status(refusal),
    )


@require_safe
@shared_page
def petition_signed(request: HttpRequest, petition_id: int) -> HttpResponse:
    """Check your e-mail: the same page whether the signature is new or a repeat, so that it
    tells nobody who has signed. A petition that is not public is not named."""
    petition = (
        Petition.objects.select_related("organisation")
        .exclude(status__in=[Status.HIDDEN, Status.REMOVED])
        .filter(pk=petition_id)
        .first()
    )
    if petition is None:
        raise Http404(_("There is no petition here."))
    return render(
        request,
        "petitions/signed.html",
        {
            "petition": petition,
            "public": petition.status in (Status.OPEN, Status.REJECTED),
            "confirm_days": confirm_days(),
        },
    )


@require_http_methods(["GET", "POST"])
def signature_confirm_page(request: HttpRequest, petition_id: int, token: str) -> HttpResponse:
    """The link in the e-mail opens a page with a button: only pressing it confirms (so that a
    mail scanner opening every link confirms nothing). Once confirmed, the page thanks the
    signer."""
    signature = signature_from_token(token=token, petition_id=petition_id)
    if signature is None or signature.status == Signature.Status.INVALIDATED:
        return render(
            request,
            "petitions/confirm_invalid.html",
            {"confirm_days": confirm_days()},
            status=404,
        )
    petition = signature.petition
    if petition.status in (Status.HIDDEN, Status.REMOVED):
        return render(request, "petitions/confirm_invalid.html", {"gone": True}, status=410)
    refusal = None
    if request.method == "POST":
        try:
            signature_confirm(signature=signature)
        except Refused as error:
            refusal = error
        else:
            return redirect(request.path)
    context = {
        "petition": petition,
        "public": petition.status in (Status.OPEN, Status.REJECTED),
        "refusal": refusal,
    }
    if refusal is None and signature.status == Signature.Status.CONFIRMED:
        return render(request, "petitions/confirmed.html", context)
    if refusal is None and not petition.is_signable:
        context["refusal"] = Refused(
            _("This petition closed before the signature was confirmed."), code="closed"
        )
    return render(request, "petitions/confirm.html", context)


# Starting and supporting ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def petition_start(request: HttpRequest) -> HttpResponse:
    organisations = list(
        Organisation.objects.filter(petition_policy__isnull=False).order_by("name")
    )
    if not organisations:
        return render(request, "petitions/start_unavailable.html")
    areas = list(
        Area.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    if request.method == "POST":
        form = StartForm(request.POST, organisations=organisations, areas=areas)
        if form.is_valid():
            try:
                started = petition_create(user=request.user, **form.service_arguments())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("petitions:share", started.petition.pk)
    else:
        name = request.user.get_full_name() if hasattr(request.user, "get_full_name") else ""
        form = StartForm(initial={"name": name}, organisations=organisations, areas=areas)
    return render(
        request,
        "petitions/start.html",
        {"form": form, "supporters": _supporters_required(organisations)},
    )


def _supporters_required(organisations) -> int | None:
    """How many supporters a new petition needs, where only one council takes petitions."""
    if len(organisations) != 1:
        return None
    return policy_for(organisations[0]).supporters_required


@login_required
@require_safe
def petition_share(request: HttpRequest, petition_id: int) -> HttpResponse:
    """The creator's page: the link to share with supporters, and how many are still needed."""
    petition = (
        Petition.objects.select_related("organisation")
        .filter(pk=petition_id, creator=request.user)
        .exclude(status=Status.HIDDEN)
        .first()
    )
    if petition is None:
        raise Http404(_("There is no petition here."))
    if petition.status == Status.REMOVED:
        return _removed(request, petition)
    required = policy_for(petition.organisation).supporters_required
    supporters = petition.signatures.filter(
        is_supporter=True, status=Signature.Status.CONFIRMED
    ).count()
    return render(
        request,
        "petitions/share.html",
        {
            "petition": _describe(petition, timezone.now()),
            "link": support_url(petition),
            "required": required,
            "supporters": supporters,
            "still_needed": max(required - supporters, 0),
            "Status": Status,
        },
    )


@require_http_methods(["GET", "POST"])
def petition_support(request: HttpRequest, petition_id: int, token: str) -> HttpResponse:
    """A supporter's page, reached through the creator's link: the petition and the form to
    sign it while it gathers supporters; then, that it is being checked."""
    petition = petition_from_support_token(token)
    if petition is None or petition.pk != petition_id or petition.status == Status.HIDDEN:
        raise Http404(_("There is no petition here."))
    if petition.status == Status.REMOVED:
        return _removed(request, petition)
    if petition.status in (Status.OPEN, Status.REJECTED):
        return redirect("petitions:detail", petition.pk)
    refusal = None
    form = None
    if petition.status == Status.SPONSORING:
        if request.method == "POST":
            form, refusal, done = _sign(request, petition, supporter=True)
            if done is not None:
                return done
        else:
            form = _sign_form(petition)
    return render(
        request,
        "petitions/support.html",
        {
            "petition": petition,
            "form": form,
            "token": start_token(),
            "refusal": refusal,
            "closed": refusal is not None and refusal.code == "closed",
            "action": request.path,
            "Status": Status,
        },
        status=refusal_status(refusal),
    )


# Open data --------------------------------------------------------------------------------------


def _cached_json(key: str, build) -> JsonResponse:
    """The JSON answer from the cache, built (reading the database) at most every few seconds.
    `build` returns (data, status)."""
    key = f"{key}:{get_language()}"
    cached = cache.get(key)
    if cached is None:
        data, status = build()
        cached = (data, status)
        cache.set(key, cached, JSON_CACHE_SECONDS)
    data, status = cached
    response = JsonResponse(data, status=status, encoder=DjangoJSONEncoder)
    response["Cache-Control"] = f"public, max-age={JSON_CACHE_SECONDS}"
    return response


@require_safe
def petition_list_json(request: HttpRequest) -> JsonResponse:
    """Published and rejected petitions, fifty a page, newest first, with a link to the next."""
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        number = 1

    def build():
        petitions = newest_first(Petition.objects.public().select_related("organisation", "area"))
        paginator = Paginator(petitions, JSON_PER_PAGE)
        if number > paginator.num_pages and number != 1:
            return {"detail": _("There is no such page.")}, 404
        page = paginator.page(number)
        path = reverse("petitions:list_json")

        def link(page_number):
            return request.build_absolute_uri(f"{path}?page={page_number}")

        return {
            "count": paginator.count,
            "next": link(number + 1) if page.has_next() else None,
            "previous": link(number - 1) if page.has_previous() else None,
            "results": PetitionSerializer(
                page.object_list, many=True, context={"request": request}
            ).data,
        }, 200

    return _cached_json(f"petitions:json:list:{number}", build)


@require_safe
def petition_detail_json(request: HttpRequest, petition_id: int) -> JsonResponse:
    """One published or rejected petition: its stage, counts and thresholds, the council's
    answer, and the signatures by ward; never who signed or started it."""

    def build():
        petition = (
            Petition.objects.select_related("organisation", "area")
            .filter(pk=petition_id, status__in=[Status.OPEN, Status.REJECTED, Status.REMOVED])
            .first()
        )
        if petition is None:
            return {"detail": _("There is no petition here.")}, 404
        if petition.status == Status.REMOVED:
            return {"detail": _("This petition has been removed.")}, 410
        data = PetitionDetailSerializer(petition, context={"request": request}).data
        return data, 200

    return _cached_json(f"petitions:json:detail:{petition_id}", build)


# The home page ----------------------------------------------------------------------------------


def open_items(*, organisation=None, limit: int = 5) -> list[open_now.OpenItem]:
    """Petitions that take signatures, for the home page, most recently published first (one
    query). One awaiting a response, or scheduled for debate, may still be signed."""
    petitions = (
        Petition.objects.filter(status=Status.OPEN, closes_at__gt=timezone.now())
        .select_related("organisation")
        .order_by("-opened_at", "-pk")
    )
    if organisation is not None:
        petitions = petitions.filter(organisation=organisation)
    items = []
    for petition in petitions[:limit]:
        count = ngettext(
            "%(count)s signature", "%(count)s signatures", petition.signature_count
        ) % {"count": f"{petition.signature_count:,}"}
        items.append(
            open_now.OpenItem(
                title=petition.title,
                url=reverse("petitions:detail", args=[petition.pk]),
                organisation=petition.organisation.name,
                summary=petition.background[:200],
                status=_("%(count)s · Closes on %(date)s")
                % {"count": count, "date": day(petition.closes_at)},
            )
        )
    return items
