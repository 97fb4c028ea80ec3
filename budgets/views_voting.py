"""The residents' ballot pages: the first step and the list of budgets a voter may vote in
(budgets:vote), a budget's ballot with its basket (budgets:ballot), and voting with a code
(budgets:code). Every rule is in budgets.voting; these views read the request and draw the
answer.

Without JavaScript, adding and removing a project are form posts. The basket is kept in the
session (per process and budget, for an account or for a code) so that it survives filtering
by category, a page reload and the error page; the form also carries it as hidden `projects`
fields, so what is submitted is exactly what the voter saw, and one POST of `projects` with
`submit` casts a ballot (as the load bench does). With JavaScript (static/budgets/ballot.js)
the buttons change the hidden fields and the totals in place and tell the server the new basket
in the background.

A voting code, once checked, is kept in the session, never in an address.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from budgets import voting
from budgets.forms import BallotFilterForm, CodeForm, ElectorForm
from budgets.models import Ballot, Budget, Idea, Process, VotingCode
from budgets.services import WINNERS_WORDING
from budgets.views import _describe, _process
from civic.form_guard import Refused, refusal_status
from civic.formatting import day, when
from civic.localcache import ProcessMemo
from civic.pagecache import drawn_alike, kept_copy, read_unchanged
from civic.ratelimits import client_ip


@dataclass(frozen=True)
class Voter:
    """Who is voting from this browser: an account, or a code kept in the session."""

    user: object | None
    code: VotingCode | None

    def who(self) -> dict:
        return {"code": self.code} if self.code is not None else {"user": self.user}


def _code_key(process: Process) -> str:
    return f"budgets:code:{process.pk}"


def _basket_key(process: Process, budget: Budget, voter: Voter) -> str:
    channel = f"code{voter.code.pk}" if voter.code is not None else "online"
    return f"budgets:basket:{process.pk}:{budget.pk}:{channel}"


def code_idle_seconds() -> int:
    """How long a browser keeps a voting code that is not used: a code typed at a library's
    computer must not be there for the next person (CIVIC_BUDGET_CODE_IDLE_MINUTES)."""
    return int(getattr(settings, "CIVIC_BUDGET_CODE_IDLE_MINUTES", 20)) * 60


def _code_keep(request: HttpRequest, process: Process, code_id: int, now) -> None:
    request.session[_code_key(process)] = [code_id, int(now.timestamp())]


def _voter(request: HttpRequest, process: Process, now) -> Voter:
    """The code this browser holds, while it is used at least every few minutes, or the
    account signed in."""
    kept = request.session.get(_code_key(process))
    if kept is not None:
        code_id, seen = kept if isinstance(kept, list) and len(kept) == 2 else (None, 0)
        code = None
        if now.timestamp() - seen <= code_idle_seconds():
            code = (
                VotingCode.objects.select_related("batch")
                .filter(pk=code_id, batch__process=process)
                .first()
            )
        else:
            messages.info(
                request,
                _(
                    "This browser has forgotten your voting code, because it was not used for "
                    "%(minutes)s minutes. Enter it again to go on voting."
                )
                % {"minutes": code_idle_seconds() // 60},
            )
        if code is not None:
            _code_keep(request, process, code.pk, now)
            return Voter(user=None, code=code)
        request.session.pop(_code_key(process), None)
    user = request.user if request.user.is_authenticated else None
    return Voter(user=user, code=None)


# What every voter of a process reads alike ------------------------------------------------------
# A ballot's page and its POST come many a second in a voting spike, and all read the same rows:
# the process, its budgets and the projects on a budget's ballot. A published process's are kept
# in each web process while no shown table changes (civic.pagecache.read_unchanged: at most a
# second, and a ballot cast changes none of them), and each request works on copies of its own.


def _published_with_budgets(slug: str) -> Process | None:
    process = (
        Process.objects.published()
        .select_related("department__organisation")
        .filter(slug=slug)
        .first()
    )
    if process is not None:
        voting.process_budgets(process)  # kept on the process
    return process


def _voting_process(request: HttpRequest, slug: str, now) -> Process:
    """The process the voting pages are about, as `_process` finds it, described for `now`."""
    # A copy of the one this process keeps, so that what a request keeps on it (its electors)
    # stays its own; a draft, which only its officers see, is read for them.
    process = kept_copy(
        f"budgets:voting:{slug}",
        lambda: _published_with_budgets(slug),
        lambda: _process(request, slug),
    )
    return _describe(process, now)


def _budget_of(process: Process, budget: Budget) -> Budget:
    """The request's own copy of one of the process's budgets, pointing to the request's process."""
    own = copy.copy(budget)
    own.process = process
    return own


def _ballot_projects(budget: Budget) -> list[Idea]:
    """The projects on the budget's ballot paper, by title (shared: never changed by a caller)."""
    return read_unchanged(
        f"budgets:ballot-paper:{budget.pk}",
        lambda: list(
            Idea.objects.filter(budget=budget, status=Idea.Status.ON_BALLOT)
            .select_related("category")
            .order_by("title", "pk")
        ),
    )


def _style_words(budget: Budget) -> str:
    """What a ballot in the budget may hold, in a sentence."""
    if budget.style == Budget.Style.APPROVAL:
        if budget.min_projects and budget.max_projects:
            return _("Choose between %(least)s and %(most)s projects.") % {
                "least": budget.min_projects,
                "most": budget.max_projects,
            }
        if budget.max_projects:
            return _("Choose up to %(most)s projects.") % {"most": budget.max_projects}
        if budget.min_projects:
            return _("Choose at least %(least)s projects.") % {"least": budget.min_projects}
        return _("Choose as many projects as you like.")
    words = _("Choose projects whose costs add up to no more than %(amount)s.") % {
        "amount": voting.pounds(budget.amount)
    }
    least = voting.least_spend(budget)
    if least:
        words += " " + _("Your choices must come to at least %(least)s.") % {
            "least": voting.pounds(least)
        }
    return words


# Each project on a ballot is drawn once with its Add and once with its Remove button, and kept
# by a digest of all it shows (so a change to a project draws it again), in the shared cache and
# for a minute in each process: a page joins them by what is in the voter's basket, whatever it
# holds, rather than drawing the list again for every basket.
_drawn_projects = ProcessMemo(60, size=64)
PROJECTS_SECONDS = 600


def _projects_html(process: Process, budget: Budget, shown: list[Idea], basket: list[int]) -> str:
    seen = (
        get_language(),
        process.slug,
        budget.name,
        [
            (project.pk, project.title, project.cost, project.description, str(project.image),
             project.image_alt, project.category.name if project.category else "")
            for project in shown
        ],
    )  # fmt: skip
    digest = hashlib.blake2b(repr(seen).encode(), digest_size=16).hexdigest()
    key = f"budgets:ballot-projects:{digest}"
    drawn = _drawn_projects.get(key)
    if drawn is None:
        drawn = cache.get(key)
        if drawn is None:
            context = {"process": process, "budget": budget}
            drawn = {
                project.pk: tuple(
                    render_to_string(
                        "budgets/_ballot_project.html",
                        {**context, "project": project, "chosen": chosen},
                    )
                    for chosen in (False, True)
                )
                for project in shown
            }
            cache.set(key, drawn, PROJECTS_SECONDS)
        _drawn_projects.set(key, drawn)
    chosen = set(basket)
    return mark_safe("".join(drawn[project.pk][project.pk in chosen] for project in shown))  # noqa: S308


def _refused(request, process, refusal: Refused, status: int = 200) -> HttpResponse:
    return render(
        request,
        "budgets/vote_refused.html",
        {"process": process, "refusal": refusal},
        status=status,
    )


# The first step and the budgets a voter may vote in ----------------------------------------------


@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    process = _voting_process(request, slug, now)
    voter = _voter(request, process, now)
    context = {
        "process": process,
        "voter": voter,
        "closes": when(process.voting_closes_at) if process.voting_closes_at else "",
    }
    refusal = voting.voting_refusal(process, now)
    # The voter's first step, read first: whether an account's address is verified comes with it.
    elector = voting.elector_of(process, **voter.who()) if refusal is None else None
    if refusal is None and voter.code is None:
        refusal = voting.account_refusal(request.user)
    if refusal is not None:
        return render(request, "budgets/vote.html", {**context, "refusal": refusal})

    form = None
    step_refusal = None
    if elector is None:
        chooses = (
            process.voters == Process.Voters.ANY_ONE_AREA
            if voter.code is None
            else voter.code.batch.area_id is None
        )
        form = ElectorForm(
            request.POST if request.method == "POST" else None,
            areas=voting.area_choices(process) if chooses else [],
            asks_postcode=voter.code is None,
            chooses_area=chooses,
            min_age=process.min_age,
        )
        if request.method == "POST" and form.is_valid():
            try:
                voting.elector_register(process=process, now=now, **voter.who(),
                                        **form.service_arguments())  # fmt: skip
            except Refused as error:
                step_refusal = error
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("budgets:vote", process.slug)
    elif request.method == "POST":
        return redirect("budgets:vote", process.slug)

    rows = []
    if elector is not None:
        budgets = voting.budgets_for(elector)
        who = {"code": voter.code} if voter.code is not None else {"voter": voter.user}
        ballots = {
            ballot.budget_id: ballot
            for ballot in Ballot.objects.filter(budget__in=[b.pk for b in budgets], **who)
        }
        for budget in budgets:
            rows.append(
                {
                    "budget": budget,
                    "rules": _style_words(budget),
                    "ballot": ballots.get(budget.pk),
                    "voted_on": day(ballots[budget.pk].submitted_at)
                    if budget.pk in ballots
                    else "",
                }
            )
    # A code that has voted in every budget it opens can do nothing more: this browser lets
    # it go now rather than keep it for whoever sits down next.
    code_finished = voter.code is not None and bool(rows) and all(row["ballot"] for row in rows)
    if code_finished:
        request.session.pop(_code_key(process), None)
    return render(
        request,
        "budgets/vote.html",
        {
            **context,
            "elector": elector,
            "form": form,
            "step_refusal": step_refusal,
            "rows": rows,
            "code_finished": code_finished,
        },
    )


# A budget's ballot -------------------------------------------------------------------------------


def _ids(values, known: dict) -> list[int]:
    """The ids among `values` that are projects of this ballot, once each, in the order given."""
    chosen = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number in known and number not in chosen:
            chosen.append(number)
    return chosen


@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, slug: str, budget_id: int) -> HttpResponse:
    now = timezone.now()
    process = _voting_process(request, slug, now)
    voter = _voter(request, process, now)
    refusal = voting.voting_refusal(process, now)
    if refusal is not None:
        return _refused(request, process, refusal)
    # The voter's first step, read first: whether an account's address is verified comes with it.
    elector = voting.elector_of(process, **voter.who(), budget_id=budget_id)
    if voter.code is None:
        refusal = voting.account_refusal(request.user)
        if refusal is not None and refusal.code == "sign_in":
            return redirect_to_login(request.get_full_path())
        if refusal is not None:
            return _refused(request, process, refusal, status=403)
    if elector is None:
        return redirect("budgets:vote", process.slug)
    budgets = voting.process_budgets(process)
    budget = next((budget for budget in budgets if budget.pk == budget_id), None)
    if budget is None:
        raise Http404(_("There is no budget here."))
    budget = _budget_of(process, budget)
    if budget not in voting.budgets_for(elector, budgets):
        refusal = Refused(
            _("You cannot vote in the budget for %(budget)s. You vote in %(area)s's.")
            % {"budget": budget.name, "area": elector.area.name},
            code="not_yours",
        )
        return _refused(request, process, refusal, status=403)

    projects = _ballot_projects(budget)
    by_id = {project.pk: project for project in projects}
    # An account's ballot being cast replaces any earlier one, whatever it held: the earlier one
    # is read only if the page is drawn again (an error), not on the way to counting the vote.
    casting = request.method == "POST" and "submit" in request.POST and voter.code is None
    current = None if casting else voting.ballot_of(budget, voter=voter.user, code=voter.code)
    current_ids = (
        sorted(choice.idea_id for choice in current.choices.all()) if current is not None else []
    )
    key = _basket_key(process, budget, voter)
    saved = request.session.get(key)
    basket = _ids(saved["projects"], by_id) if saved else list(current_ids)
    hears = bool(saved and saved.get("hears"))
    problems: list[str] = []
    cast_refusal = None
    code_used = voter.code is not None and current is not None

    if request.method == "POST" and not code_used:
        posted = request.POST.getlist("projects")
        hears = voter.user is not None and request.POST.get("hears_winners") == "on"
        if "submit" in request.POST:
            try:
                voting.ballot_cast(budget=budget, idea_ids=posted, voter=voter.user,
                                   code=voter.code, hears_winners=hears, on_ballot=by_id,
                                   now=now)  # fmt: skip
            except Refused as error:
                cast_refusal = error
                basket = _ids(posted, by_id)
            except ValidationError as error:
                problems = error.message_dict.get("projects", error.messages)
                basket = _ids(posted, by_id)
                request.session[key] = {"projects": basket, "hears": hears}
            else:
                request.session.pop(key, None)
                messages.success(
                    request,
                    _("Your vote in %(budget)s is counted.") % {"budget": budget.name}
                    + (
                        " "
                        + _("You can change it until %(closes)s.")
                        % {"closes": when(process.voting_closes_at)}
                        if voter.code is None and process.voting_closes_at
                        else ""
                    ),
                )
                return redirect("budgets:vote", process.slug)
        else:
            basket = _ids(posted, by_id)
            for name, change in (("add", basket.append), ("remove", basket.remove)):
                try:
                    number = int(request.POST.get(name, ""))
                except ValueError:
                    continue
                if number in by_id and (number in basket) == (name == "remove"):
                    change(number)
            request.session[key] = {"projects": basket, "hears": hears}
            if request.headers.get("X-Civic-Basket"):
                return JsonResponse({"projects": basket})
            anchor = request.POST.get("add") or request.POST.get("remove") or ""
            anchor = f"#project-{anchor}" if anchor.isascii() and anchor.isdigit() else ""
            anchor = anchor if len(anchor) <= 30 else ""
            return redirect(request.get_full_path() + anchor)

    if casting:
        current = voting.ballot_of(budget, voter=voter.user)
    categories = sorted(
        {project.category for project in projects if project.category is not None},
        key=lambda category: (category.name, category.pk),
    )
    form = BallotFilterForm(request.GET or None, categories=categories)
    category = form.chosen.get("category")
    shown = [project for project in projects if not category or project.category_id == category]
    chosen = [by_id[number] for number in basket]
    total = sum(project.cost for project in chosen)
    status = 403 if cast_refusal is not None and cast_refusal.code == "not_yours" else 200

    def draw() -> HttpResponse:
        return render(
            request,
            "budgets/ballot.html",
            {
                "process": process,
                "budget": budget,
                "voter": voter,
                "rules": _style_words(budget),
                "projects": shown,
                "projects_html": _projects_html(process, budget, shown, basket),
                "project_count": len(projects),
                "form": form,
                "filtered": form.filtered,
                "basket": chosen,
                "total": total,
                "left": budget.amount - total,
                "over": total - budget.amount,
                "least": voting.least_spend(budget),
                "count": len(chosen),
                "knapsack": budget.style == Budget.Style.KNAPSACK,
                "current": current,
                "voted_on": day(current.submitted_at) if current is not None else "",
                "closes": when(process.voting_closes_at) if process.voting_closes_at else "",
                "problem_links": [("#ballot-basket", problem) for problem in problems],
                "refusal": cast_refusal,
                "code_used": code_used,
                "hears": hears,
                "winners_wording": WINNERS_WORDING,
            },
            status=status,
        )

    # A voter who has chosen nothing yet and has not voted sees the page every such voter of
    # the budget sees: drawn once and kept a few seconds in this process (the busiest page of a
    # voting spike).
    if voter.code is None and current is None and not basket and not saved and not request.GET:
        return drawn_alike(request, f"budgets:ballot:{budget.pk}:{request.user.is_staff}", draw)
    return draw()


# Voting with a code ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def code(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    process = _describe(_process(request, slug), now)
    if request.method == "POST" and "forget" in request.POST:
        request.session.pop(_code_key(process), None)
        messages.success(request, _("This browser has forgotten your voting code."))
        return redirect("budgets:code", process.slug)
    closed = voting.voting_refusal(process, now)
    refusal = None
    form = CodeForm(request.POST if request.method == "POST" else None)
    if closed is None and request.method == "POST" and form.is_valid():
        try:
            found = voting.code_check(
                process=process,
                text=form.cleaned_data["code"],
                honeypot=request.POST.get("website", ""),
                token=request.POST.get("started", ""),
                ip=client_ip(request),
                now=now,
            )
        except Refused as error:
            refusal = error
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            request.session.cycle_key()
            _code_keep(request, process, found.pk, now)
            # The code's area is its batch's: nothing to ask unless it lets them choose (or the
            # process asks their age), which the first step then asks.
            with contextlib.suppress(ValidationError):
                voting.elector_register(process=process, code=found, now=now)
            return redirect("budgets:vote", process.slug)
    status = refusal_status(refusal)
    return render(
        request,
        "budgets/code.html",
        {
            "process": process,
            "form": form,
            "refusal": refusal,
            "closed": closed,
            "token": voting.code_token(),
            "has_code": request.session.get(_code_key(process)) is not None,
        },
        status=status,
    )
