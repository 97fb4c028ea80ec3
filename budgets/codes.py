"""Voting codes, stored only as salted hashes. This file holds `code_find` for the voting-code
page (budgets.views_voting); the codes' generation and printing join it here."""

from __future__ import annotations

import hashlib
import re

from budgets.models import CodeBatch, Process, VotingCode


def code_find(process: Process, text: str) -> VotingCode | None:
    """The code of the process that `text` is, or None. Read without regard to case, spaces or
    hyphens, as people copy a printed code; hashed with each batch's salt in turn (a process has
    few batches) and looked up by its digest."""
    normalised = re.sub(r"[\s\-\u2010-\u2015]+", "", str(text or "")).upper()
    if not normalised or len(normalised) > 64:
        return None
    for batch in CodeBatch.objects.filter(process=process).order_by("pk"):
        digest = hashlib.scrypt(
            normalised.encode(), salt=bytes(batch.salt), n=2**14, r=8, p=1, dklen=32
        )
        code = VotingCode.objects.filter(batch=batch, digest=digest).select_related("batch").first()
        if code is not None:
            return code
    return None
