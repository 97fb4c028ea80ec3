"""One guard for the forms anyone may post without an account: petition signatures and survey
responses now, ballots, comments, votes and registrations to come. It keeps scripts out without
a CAPTCHA, which would shut out the people a council most needs to hear from:

- a honeypot field (`includes/honeypot.html`, always named `website`) that people never see and
  scripts fill in;
- the least time a person takes to fill the form, measured from the signed moment it was drawn
  (`civic.ratelimits.form_token`), so that a form sent sooner, or one the site never drew, is a
  script's;
- limits per client address over one or more windows (a short burst and a longer, sustained
  one), counted by `civic.ratelimits.hits` in one Redis round trip, with an allow-list of
  networks exempt from them (a library's, the council's own).

A feature makes one guard per form at import, naming its settings, and calls it from its
service, which raises what the guard raises: a `Refused` with the code `spam` or
`rate_limited` and a message that says what to do. Settings are read when used.

    SIGNING = FormGuard(
        action="petitions:sign",
        salt="petitions.sign-start",
        least_seconds=Setting("CIVIC_PETITION_MIN_SECONDS", 3),
        limits=[
            Limit("burst", "CIVIC_PETITION_SIGN_BURST", "10/m"),
            Limit("sustained", "CIVIC_PETITION_SIGN_SUSTAINED", "60/h"),
        ],
        allow_list="CIVIC_PETITION_IP_ALLOWLIST",
        too_many=gettext_lazy("There have been too many signatures from ... Try again later."),
    )

    # the view draws the form with SIGNING.token(); the service checks what came back:
    SIGNING.check(honeypot=honeypot, token=started, ip=ip, now=now)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from civic.ratelimits import form_drawn_at, form_token, hits, in_networks, parse_rate

# Says nothing of why, so that a script learns nothing; a person simply tries again.
SPAM_MESSAGE = gettext_lazy("We could not accept that just now. Wait a moment, then try again.")


class Refused(ValidationError):
    """Something a service will not do and the person cannot put right on the form, with a
    message for them and a code: `spam` and `rate_limited` from a FormGuard, and each feature's
    own (`closed`, `sign_in`, ...).

    A refusal that `looks_like_success` is answered as if the form had worked, because saying
    why would help a script, or tell the sender something about another person. The view
    shows its usual "done" page for it; only the service knows that nothing was kept."""

    def __init__(self, message, code=None, params=None, *, looks_like_success: bool = False):
        super().__init__(message, code=code, params=params)
        self.looks_like_success = looks_like_success


def refusal_status(refusal: Refused | None) -> int:
    """The status of a form page drawn again after a refusal: 429 (too many requests) for an
    address over a limit, so that clients and monitoring can tell it from a page; 200 else."""
    return 429 if refusal is not None and refusal.code == "rate_limited" else 200


@dataclass(frozen=True)
class Setting:
    """A setting read when it is used, and its value where the settings do not give one."""

    name: str
    default: object

    def value(self):
        return getattr(settings, self.name, self.default)


@dataclass(frozen=True)
class Limit:
    """One window of the per-address limit: the setting holding its rate ("10/m", "60/h",
    "5/10m") and the rate without it. `name` tells the window's counter from the others."""

    name: str
    setting: str
    default: str

    def rate(self) -> tuple[int, int]:
        """(how many, per how many seconds)."""
        return parse_rate(getattr(settings, self.setting, self.default), setting=self.setting)


_guards: list[FormGuard] = []


@dataclass(frozen=True)
class FormGuard:
    """The checks of one public form. `action` names its counters in the cache (and is unique
    to the form); `salt` signs the moment the form was drawn; `too_many` is the message for an
    address over a limit, naming what it sent too many of. With `spam_looks_like_success`, a
    form refused as a script's is answered as if it had worked."""

    action: str
    salt: str
    least_seconds: Setting
    limits: tuple[Limit, ...] | list[Limit]
    too_many: str | Promise
    allow_list: str = ""  # the setting naming networks exempt from the limits
    spam_looks_like_success: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", tuple(self.limits))
        _guards.append(self)

    # Drawing the form ---------------------------------------------------------------------------

    def token(self, *, now: float | None = None) -> str:
        """The signed moment the form was drawn, for the form to carry back (as `started`)."""
        return form_token(self.salt, now=now)

    def drawn_at(self, token: str) -> datetime | None:
        """When the form carrying `token` was drawn; None for a token forged, stale or absent."""
        return form_drawn_at(token, self.salt)

    # Checking what came back ------------------------------------------------------------------

    def check(
        self,
        *,
        honeypot: str,
        token: str,
        ip: str | None,
        now: datetime | None = None,
        step: str = "",
        fill_time: bool = True,
    ) -> datetime:
        """Every check, for a form sent in one go: refuses a script's form (`refuse_spam`), then
        an address over a limit (`refuse_too_many`). Returns when the form was drawn.

        `fill_time=False` is for the first page of a form that spans several (a survey's start
        page is a button): its fill time is checked, with `refuse_spam`, when the last is sent."""
        drawn_at = self.drawn_at(token)
        self.refuse_spam(honeypot=honeypot, drawn_at=drawn_at, now=now, fill_time=fill_time)
        self.refuse_too_many(ip, step=step)
        return drawn_at

    def refuse_spam(
        self,
        *,
        honeypot: str,
        drawn_at: datetime | None,
        now: datetime | None = None,
        fill_time: bool = True,
    ) -> None:
        """Raises Refused (`spam`) for a filled honeypot, a form the site did not draw
        (`drawn_at` None), or, with `fill_time`, one sent sooner than a person could fill it."""
        if honeypot or drawn_at is None:
            raise self.spam_refusal()
        if fill_time:
            elapsed = ((now or timezone.now()) - drawn_at).total_seconds()
            if elapsed < float(self.least_seconds.value()):
                raise self.spam_refusal()

    def refuse_too_many(self, ip: str | None, *, step: str = "") -> None:
        """Counts one attempt from the address; raises Refused (`rate_limited`) once it has made
        more than a limit allows."""
        if not self.allows(ip, step=step):
            raise self.too_many_refusal()

    def allows(self, ip: str | None, *, step: str = "") -> bool:
        """Count one attempt from the address against every window, each counting it even when
        another refuses (so a burst refused still uses up the sustained allowance); whether all
        allow it. An address on the allow-list is not counted. `step` counts a form's steps
        apart (a survey's start, submit and resume link)."""
        if in_networks(ip, self.exempt_networks()):
            return True
        return hits(ip, [(self._scope(step, limit), *limit.rate()) for limit in self.limits])

    def _scope(self, step: str, limit: Limit) -> str:
        return ":".join(part for part in (self.action, step, limit.name) if part)

    def exempt_networks(self) -> list[str]:
        """The allow-list's networks, from a list or from one string as the environment gives."""
        if not self.allow_list:
            return []
        networks = getattr(settings, self.allow_list, [])
        return [networks] if isinstance(networks, str) else list(networks)

    # The refusals --------------------------------------------------------------------------------

    def spam_refusal(self) -> Refused:
        return Refused(
            str(SPAM_MESSAGE), code="spam", looks_like_success=self.spam_looks_like_success
        )

    def too_many_refusal(self) -> Refused:
        return Refused(str(self.too_many), code="rate_limited")


def guards() -> list[FormGuard]:
    """Every guard made so far (each feature's services make theirs at import), for the tests
    that check every public form alike."""
    return list(_guards)
