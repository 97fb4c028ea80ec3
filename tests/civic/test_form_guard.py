"""The guard for public forms (civic.form_guard): the honeypot, the least fill time, the limits
per address over a burst and a sustained window with the allow-list, and the refusals.

The checks that every form shares run once for each guard the site makes, so a new public form
(a ballot, a comment, a registration) is covered here as soon as its service makes a FormGuard.
A made-up ballot form stands for those to come; the rest are the real ones. A last test makes
sure no app outside civic/ writes these checks for itself again."""

from __future__ import annotations

import ast
import time
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from civic.form_guard import SPAM_MESSAGE, FormGuard, Limit, Refused, Setting, guards
from civic.ratelimits import _redis_client

# Every public page's module, so that every form's guard is made before the tests are chosen.
import_module(django_settings.ROOT_URLCONF)

BALLOT = FormGuard(
    action="tests:ballot",
    salt="tests.ballot-start",
    least_seconds=Setting("TESTS_BALLOT_MIN_SECONDS", 4),
    limits=[
        Limit("burst", "TESTS_BALLOT_BURST", "3/m"),
        Limit("sustained", "TESTS_BALLOT_SUSTAINED", "5/h"),
    ],
    allow_list="TESTS_BALLOT_ALLOWLIST",
    too_many="There have been too many ballots from your internet connection. Try again later.",
    spam_looks_like_success=True,
)
EVERY_GUARD = pytest.mark.parametrize("guard", guards(), ids=lambda guard: guard.action)
WITH_ALLOW_LIST = pytest.mark.parametrize(
    "guard", [guard for guard in guards() if guard.allow_list], ids=lambda guard: guard.action
)
ADDRESS, NEIGHBOUR = "198.51.100.7", "198.51.100.8"


def drawn(guard: FormGuard, *, seconds_ago: float) -> str:
    return guard.token(now=time.time() - seconds_ago)


def refusal_of(check) -> Refused:
    with pytest.raises(Refused) as caught:
        check()
    return caught.value


def test_the_sites_forms_each_have_a_guard_with_counters_and_a_salt_of_their_own():
    actions = [guard.action for guard in guards()]

    assert {"petitions:sign", "consultations:respond", "tests:ballot"} <= set(actions)
    assert len(set(actions)) == len(actions)
    assert len({guard.salt for guard in guards()}) == len(actions)


# The honeypot and the least fill time -----------------------------------------------------------


@EVERY_GUARD
def test_a_form_sent_after_the_least_fill_time_passes_and_says_when_it_was_drawn(guard):
    seconds = float(guard.least_seconds.value())
    drawn_at = guard.check(honeypot="", token=drawn(guard, seconds_ago=seconds + 2), ip=None)

    assert 0 < (timezone.now() - drawn_at).total_seconds() - seconds < 4


@EVERY_GUARD
def test_a_filled_honeypot_is_refused_as_spam_without_saying_why(guard, settings):
    for limit in guard.limits:
        setattr(settings, limit.setting, "1/h")

    refusal = refusal_of(
        lambda: guard.check(
            honeypot="http://spam.example", token=drawn(guard, seconds_ago=600), ip=ADDRESS
        )
    )

    assert refusal.code == "spam"
    assert refusal.messages == ["We could not accept that just now. Wait a moment, then try again."]
    assert guard.allows(ADDRESS)  # the refused form did not use up the address's one attempt


@EVERY_GUARD
def test_a_form_the_site_did_not_draw_is_refused_as_spam(guard):
    someone_elses = next(other for other in guards() if other.salt != guard.salt)
    for token in ("", "forged", drawn(someone_elses, seconds_ago=600)):
        refusal = refusal_of(lambda token=token: guard.check(honeypot="", token=token, ip=None))
        assert refusal.code == "spam"
    assert guard.drawn_at("forged") is None


@EVERY_GUARD
def test_a_form_sent_sooner_than_its_setting_allows_is_refused_as_spam(guard, settings):
    setattr(settings, guard.least_seconds.name, 3)

    too_soon = drawn(guard, seconds_ago=1)
    refusal = refusal_of(lambda: guard.check(honeypot="", token=too_soon, ip=None))

    assert refusal.code == "spam"
    assert guard.check(honeypot="", token=drawn(guard, seconds_ago=4), ip=None)


def test_the_first_page_of_a_longer_form_leaves_the_fill_time_to_the_last():
    started = drawn(BALLOT, seconds_ago=0)
    drawn_at = BALLOT.check(honeypot="", token=started, ip=None, fill_time=False)

    refusal = refusal_of(lambda: BALLOT.refuse_spam(honeypot="", drawn_at=drawn_at))

    assert refusal.code == "spam"
    later = drawn_at + timedelta(seconds=5)
    BALLOT.refuse_spam(honeypot="", drawn_at=drawn_at, now=later)  # raises nothing
    with pytest.raises(Refused):
        BALLOT.refuse_spam(honeypot="filled", drawn_at=drawn_at, now=later)


# The limits per address -------------------------------------------------------------------------


@EVERY_GUARD
def test_each_limit_refuses_an_address_past_it_and_not_its_neighbour(guard, settings):
    for limit in guard.limits:
        for each in guard.limits:
            setattr(settings, each.setting, "2/h" if each is limit else "100/h")
        cache.clear()

        outcomes = [guard.allows(ADDRESS) for _attempt in range(3)]

        assert outcomes == [True, True, False], limit.setting
        assert guard.allows(NEIGHBOUR)
        refusal = refusal_of(lambda: guard.refuse_too_many(ADDRESS))
        assert refusal.code == "rate_limited"
        assert refusal.messages == [str(guard.too_many)]


def test_a_burst_refused_still_uses_up_the_sustained_allowance(settings):
    settings.TESTS_BALLOT_BURST, settings.TESTS_BALLOT_SUSTAINED = "2/m", "4/h"

    outcomes = [BALLOT.allows(ADDRESS) for _attempt in range(4)]
    settings.TESTS_BALLOT_BURST = "100/m"  # the burst lifted: the sustained window is used up

    assert outcomes == [True, True, False, False]
    assert BALLOT.allows(ADDRESS) is False


def test_a_forms_steps_are_counted_apart(settings):
    settings.TESTS_BALLOT_BURST = "1/m"

    assert BALLOT.allows(ADDRESS, step="start") is True
    assert BALLOT.allows(ADDRESS, step="start") is False
    assert BALLOT.allows(ADDRESS, step="submit") is True


def test_a_request_without_an_address_is_not_counted(settings):
    settings.TESTS_BALLOT_BURST = "1/m"

    assert all(BALLOT.allows(None) for _attempt in range(3))


@pytest.mark.parametrize("networks", [["203.0.113.0/24"], "203.0.113.0/24"], ids=["list", "text"])
def test_networks_on_the_allow_list_are_not_limited(settings, networks):
    settings.TESTS_BALLOT_BURST = "1/m"
    settings.TESTS_BALLOT_ALLOWLIST = networks

    assert all(BALLOT.allows("203.0.113.40") for _attempt in range(3))
    assert [BALLOT.allows("203.0.114.40") for _attempt in range(2)] == [True, False]


@pytest.mark.parametrize(
    "guard", [guard for guard in guards() if guard.allow_list], ids=lambda guard: guard.action
)
def test_every_allow_list_exempts_its_networks_from_every_limit(guard, settings):
    setattr(settings, guard.allow_list, ["2001:db8::/32"])
    for limit in guard.limits:
        setattr(settings, limit.setting, "1/h")

    assert all(guard.allows("2001:db8::7") for _attempt in range(3))


def test_the_counters_are_kept_in_redis_and_expire(settings):
    client = _redis_client()
    if client is None:
        pytest.skip("needs Redis: set REDIS_URL=redis://… (CI does)")

    assert BALLOT.allows(ADDRESS)

    keys = client.keys(cache.make_and_validate_key("ratelimit:tests:ballot:*"))
    assert sorted(key.decode().split(":")[-4] for key in keys) == ["burst", "sustained"]
    assert all(0 < client.ttl(key) <= 3660 for key in keys)
    assert all(ADDRESS not in key.decode() for key in keys)  # the address is kept hashed


# The refusals -----------------------------------------------------------------------------------


def test_a_form_that_wants_it_answers_a_script_as_if_it_had_worked():
    refusal = refusal_of(lambda: BALLOT.check(honeypot="filled", token="", ip=None))

    assert refusal.code == "spam" and refusal.looks_like_success is True
    assert BALLOT.too_many_refusal().looks_like_success is False  # a person may try again


@EVERY_GUARD
def test_each_forms_spam_refusal_looks_like_success_only_where_it_asks(guard):
    refusal = guard.spam_refusal()

    assert refusal.looks_like_success is guard.spam_looks_like_success
    assert refusal.messages == [str(SPAM_MESSAGE)]


def test_a_feature_s_own_refusal_is_shown_as_one_unless_it_says_otherwise():
    closed = Refused("This ballot is closed.", code="closed")
    quiet = Refused("Already voted.", code="repeat", looks_like_success=True)

    assert (closed.code, closed.looks_like_success) == ("closed", False)
    assert (quiet.code, quiet.looks_like_success) == ("repeat", True)


# No second copy ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
# Names the copies had, and what a new copy would likely be called.
HELPER_NAMES = {
    "_spam_refusal",
    "_rate_refusal",
    "_minimum_seconds",
    "minimum_seconds",
    "least_seconds",
    "rate_limit_allows",
    "_allow_list",
    "too_many_refusal",
    "spam_refusal",
    "honeypot_filled",
}
# The pieces of civic.ratelimits the guard puts together; apps use the guard instead.
GUARDED = {"form_token", "form_drawn_at", "hit", "hits", "in_networks"}


def _app_modules() -> list[Path]:
    apps = [path.parent for path in ROOT.glob("*/apps.py") if path.parent.name != "civic"]
    return sorted(module for app in apps for module in app.rglob("*.py"))


def _own_copies(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in HELPER_NAMES:
            found.append(f"{where} defines {node.name}")
        elif isinstance(node, ast.ClassDef) and node.name == "Refused":
            found.append(f"{where} defines a Refused of its own")
        elif isinstance(node, ast.ImportFrom) and node.module == "civic.ratelimits":
            names = sorted(alias.name for alias in node.names if alias.name in GUARDED)
            if names:
                found.append(f"{where} checks {', '.join(names)} itself")
    return found


def test_no_app_outside_civic_writes_its_own_honeypot_fill_time_or_rate_limit_checks():
    modules = _app_modules()
    assert any(path.parts[-3:] == ("petitions", "services", "signing.py") for path in modules)

    copies = [copy for path in modules for copy in _own_copies(path)]

    assert copies == [], "use civic.form_guard.FormGuard instead"
