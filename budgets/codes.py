"""Voting codes: single-use codes printed in batches for residents without e-mail, and the paper
ballots officers key in. Both are officers' work in the admin (budgets.admin_voting); the votes
themselves go through budgets.voting like every other ballot.

    codes_make(actor=, process=, name=, count=, area=)  a batch, and its codes in plain text,
                                                        which exist only in what this returns
    code_find(process, text)                            the code a voter typed, or None
    code_text(text)                                     a code as it is hashed: upper case, no
                                                        spaces or hyphens
    paper_enter(actor=, budget=, idea_ids=, paper_batch=)  one paper ballot, audited
    batch_usage(process) / paper_counts(process)        what the officers' pages list

A code is 12 characters from an alphabet of 31 with no look-alikes (no 0, O, 1, I or L), printed
in groups of four ("7KQM-X3PA-RW9C"): 31**12 is about 2**59 codes. Guessing online meets the
code page's rate limit; even at a million guesses against a process of 100,000 codes, the chance
of hitting one is about 1 in 8 million (31**12 / (10**6 * 10**5)). The codes are stored only as
salted hashes, so a copy of the database does not hand them out:

    digest = hashlib.scrypt(code_text(code).encode(), salt=batch.salt, n=SCRYPT_N, r=8, p=1,
                            dklen=32)

with one random 16-byte salt per batch, so a code typed in is found by hashing it once per batch
of its process (a handful) and looking the digests up by index. SCRYPT_N is 2**7, not the 2**14
usual for passwords. Measured here (two cores): one hash at 2**14 takes about 50 ms on a quiet
machine, so a batch of 10,000 codes would take eight minutes to make, and a look-up in a process
of 40 batches two seconds, on a page any visitor can call; at 2**7 a hash is about 160 times
cheaper (0.3 to 1.5 ms, quiet to busy), so 10,000 codes take a few seconds and a look-up a few
milliseconds. Passwords need a slow hash because people choose guessable ones; these codes are
random, and their 59 bits do the work. With a stolen copy of the database, a GPU computing a few
million of these hashes a second needs months to find any one code of a 10,000-code batch
(31**12 guesses / 10**4 codes / 3*10**6 a second is ten months; on average half that), and
gains one vote, while whoever holds the database could change the ballots directly.
The salt per batch stops one precomputed table serving every batch.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.models import Ballot, Budget, CodeBatch, Process, VotingCode
from budgets.voting import ballot_cast
from civic.form_guard import Refused
from civic.models import Area, AuditEntry, User
from civic.services import audit_record, require

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L look-alikes
CODE_LENGTH = 12
GROUP = 4
SCRYPT_N = 2**7
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
MOST_CODES = 10_000
NAME_LIMIT = 100
MAKE_CODES = "budgets.make_codes"
KEY_PAPER = "budgets.key_paper"
NOT_RUNNER = gettext_lazy("You do not run this budget process.")


def code_text(text: str) -> str:
    """A code as it is hashed: upper case, without spaces or hyphens (nor the other dashes a
    copy from a document brings), so "7kqm x3pa rw9c" is the code printed as "7KQM-X3PA-RW9C"."""
    return SEPARATORS.sub("", str(text or "")).upper()


def code_digest(text: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        code_text(text).encode(), salt=bytes(salt), n=SCRYPT_N, r=8, p=1, dklen=32
    )


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[start : start + GROUP] for start in range(0, CODE_LENGTH, GROUP))


def code_find(process: Process, text: str) -> VotingCode | None:
    """The code typed in `text`, if it is one of the process's; None otherwise (also for a code
    of another process). Hashes once per batch of the process."""
    typed = code_text(text)
    if not typed or len(typed) > 64:
        return None
    batches = list(CodeBatch.objects.filter(process=process).only("pk", "salt"))
    if not batches:
        return None
    wanted = Q(pk__in=[])
    for batch in batches:
        wanted |= Q(batch_id=batch.pk, digest=code_digest(typed, batch.salt))
    return VotingCode.objects.filter(wanted).select_related("batch__area").first()


def _making_refusal(process: Process, now: datetime) -> Refused | None:
    if process.voting_closed(now):
        return Refused(
            _("Voting in this process has closed, so its codes could not be used."),
            code="closed",
        )
    return None


def code_areas(process: Process):
    """The areas a batch can be for: those with a budget in the process."""
    return Area.objects.filter(
        pk__in=Budget.objects.filter(process=process, area__isnull=False).values("area_id")
    ).order_by("name")


def codes_make(
    *,
    actor: User,
    process: Process,
    name: str,
    count: int,
    area=None,
    now: datetime | None = None,
) -> tuple[CodeBatch, list[str]]:
    """A batch of `count` new codes for the process, for residents of `area` (None: each voter
    chooses their area). Returns the batch and its codes in plain text, to print once: only
    their hashes are stored, and the audit log records the batch and how many, never a code.
    Raises ValidationError by field ("name", "count", "area") or Refused once voting closed."""
    require(actor, MAKE_CODES, process, message=NOT_RUNNER)
    now = now or timezone.now()
    refusal = _making_refusal(process, now)
    if refusal is not None:
        raise refusal
    name = str(name or "").strip()
    errors = {}
    if not name:
        errors["name"] = ValidationError(
            _("Enter a name for the batch, like “Central library”"), code="required"
        )
    elif len(name) > NAME_LIMIT:
        errors["name"] = ValidationError(
            _("Enter a name of %(limit)s characters or fewer") % {"limit": NAME_LIMIT},
            code="max_length",
        )
    elif CodeBatch.objects.filter(process=process, name=name).exists():
        errors["name"] = ValidationError(
            _("This process already has a batch called “%(name)s”. Choose another name")
            % {"name": name},
            code="unique",
        )
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MOST_CODES:
        errors["count"] = ValidationError(
            _("Enter how many codes to make, from 1 to %(most)s") % {"most": f"{MOST_CODES:,}"},
            code="invalid",
        )
    if area is not None and not code_areas(process).filter(pk=area.pk).exists():
        errors["area"] = ValidationError(
            _("Choose an area with a budget in this process, or let voters choose"),
            code="invalid_choice",
        )
    if errors:
        raise ValidationError(errors)

    salt = os.urandom(16)
    codes: list[str] = []
    digests: set[bytes] = set()
    while len(codes) < count:
        code = _new_code()
        digest = code_digest(code, salt)
        if digest in digests:
            continue  # the same code drawn twice in a batch: about 1 in 10**10 for 10,000
        digests.add(digest)
        codes.append(code)
    try:
        with transaction.atomic():
            batch = CodeBatch.objects.create(
                process=process, name=name, area=area, salt=salt, created_by=actor, created_at=now
            )
            VotingCode.objects.bulk_create(
                [VotingCode(batch=batch, digest=digest) for digest in digests], batch_size=2000
            )
            audit_record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=batch,
                summary=f"Made {count} voting codes in batch #{batch.pk} "
                f"({'area #' + str(area.pk) if area is not None else 'voters choose their area'})",
            )
    except IntegrityError:  # a batch of the same name made at the same moment
        raise ValidationError(
            {
                "name": ValidationError(
                    _("This process already has a batch called “%(name)s”. Choose another name")
                    % {"name": name},
                    code="unique",
                )
            }
        ) from None
    return batch, codes


def budgets_in_order(process: Process) -> list[Budget]:
    """The process's budgets, the citywide one first, then its areas' by name."""
    return list(
        process.budgets.select_related("area").order_by(F("area__name").asc(nulls_first=True))
    )


def batch_usage(process: Process) -> list[dict]:
    """Each batch of the process, newest first, with how many codes it has and how many were
    used in each budget: [{"batch", "codes", "used": [(budget, count), ...], "voters"}]."""
    batches = list(
        CodeBatch.objects.filter(process=process)
        .select_related("area", "created_by")
        .annotate(code_count=Count("codes", distinct=True))
    )
    budgets = budgets_in_order(process)
    by_budget = {
        (row["code__batch_id"], row["budget_id"]): row["n"]
        for row in Ballot.objects.filter(budget__process=process, channel=Ballot.Channel.CODE)
        .values("code__batch_id", "budget_id")
        .annotate(n=Count("pk"))
    }
    return [
        {
            "batch": batch,
            "codes": batch.code_count,
            "used": [(budget, by_budget.get((batch.pk, budget.pk), 0)) for budget in budgets],
        }
        for batch in batches
    ]


# Paper ballots -----------------------------------------------------------------------------------


def paper_enter(
    *,
    actor: User,
    budget: Budget,
    idea_ids,
    paper_batch: str,
    now: datetime | None = None,
) -> Ballot:
    """One paper ballot keyed in by an officer of the process's department, from the batch of
    paper named (a ballot box, a drop-in session). Final once saved, and audited with the
    officer and the batch. Raises Refused outside voting and its results, or ValidationError by
    field: "projects" with the ballot's rule in words, "paper_batch" without a batch."""
    require(actor, KEY_PAPER, budget.process, message=NOT_RUNNER)
    paper_batch = " ".join(str(paper_batch or "").split())
    if not paper_batch:
        raise ValidationError(
            {
                "paper_batch": ValidationError(
                    _("Enter the batch of paper ballots this one is from, like “Town hall box 3”"),
                    code="required",
                )
            }
        )
    if len(paper_batch) > NAME_LIMIT:
        raise ValidationError(
            {
                "paper_batch": ValidationError(
                    _("Enter a batch name of %(limit)s characters or fewer")
                    % {"limit": NAME_LIMIT},
                    code="max_length",
                )
            }
        )
    with transaction.atomic():
        ballot = ballot_cast(
            budget=budget, idea_ids=idea_ids, keyed_by=actor, paper_batch=paper_batch, now=now
        )
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=ballot,
            summary=f"Keyed in a paper ballot for budget #{budget.pk} from the batch "
            f"“{paper_batch}”",
            organisation=budget.process.organisation,
        )
    return ballot


def paper_counts(process: Process) -> list[dict]:
    """How many paper ballots were keyed in for each budget from each batch of paper."""
    budgets = {budget.pk: budget for budget in process.budgets.select_related("area")}
    rows = (
        Ballot.objects.filter(budget__process=process, channel=Ballot.Channel.PAPER)
        .values("paper_batch", "budget_id")
        .annotate(count=Count("pk"))
    )
    counted = [
        {
            "paper_batch": row["paper_batch"],
            "budget": budgets[row["budget_id"]],
            "count": row["count"],
        }
        for row in rows
    ]
    return sorted(counted, key=lambda row: (row["paper_batch"], row["budget"].name))
