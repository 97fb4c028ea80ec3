"""A conversation in the database with planted votes (tests.debates.planted): statements shown,
anonymous participants, their votes, all made in bulk."""

from __future__ import annotations

import numpy as np

from debates.models import Conversation, Participant, Statement, StatementVote
from tests.debates.planted import Planted


def votes_load(conversation: Conversation, data: Planted, *, first: int = 0) -> list[Statement]:
    """The planted statements (made once) and the votes of participants from row `first` on."""
    statements = list(conversation.statements.order_by("pk"))
    if not statements:
        statements = Statement.objects.bulk_create(
            Statement(
                conversation=conversation,
                text=f"Statement {column + 1} about the square",
                status=Statement.Status.SHOWN,
            )
            for column in range(data.votes.shape[1])
        )
    rows = range(first, data.votes.shape[0])
    participants = Participant.objects.bulk_create(
        Participant(conversation=conversation, anonymous_key=f"key-{conversation.pk}-{row}")
        for row in rows
    )
    StatementVote.objects.bulk_create(
        StatementVote(
            participant=participants[index],
            statement=statements[column],
            choice=int(data.votes[row, column]),
        )
        for index, row in enumerate(rows)
        for column in np.flatnonzero(data.voted[row])
    )
    return statements
