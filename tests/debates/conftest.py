"""Debates for the debate tests, in the stage a test asks for, run by the cast's department
(tests/cast.py: the officer works there)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from debates.models import Conversation, Debate
from tests.debates.factories import ConversationFactory, DebateFactory, StatementFactory

# Opening and closing, in days from now, that put a published debate in each stage.
STAGE_DAYS = {
    Debate.Stage.UPCOMING: (3, 17),
    Debate.Stage.OPEN: (-1, 14),
    Debate.Stage.CLOSED: (-20, -6),
}


def make_debate(cast, stage: str = Debate.Stage.OPEN, *, now=None, **fields) -> Debate:
    """A debate of the cast's department in `stage` at `now`; a draft for Stage.DRAFT."""
    now = now or timezone.now()
    opens, closes = STAGE_DAYS.get(stage, STAGE_DAYS[Debate.Stage.OPEN])
    defaults = {
        "department": cast.department,
        "opens_at": now + timedelta(days=opens),
        "closes_at": now + timedelta(days=closes),
    }
    if stage == Debate.Stage.DRAFT:
        defaults.update(status=Debate.Status.DRAFT, published_at=None)
    return DebateFactory(**{**defaults, **fields})


def make_conversation(
    cast, stage: str = Debate.Stage.OPEN, *, now=None, seeds: int = 3, **fields
) -> Conversation:
    """A conversation of the cast's department in `stage` at `now` (a draft for Stage.DRAFT),
    with `seeds` statements of the council's own."""
    now = now or timezone.now()
    opens, closes = STAGE_DAYS.get(stage, STAGE_DAYS[Debate.Stage.OPEN])
    defaults = {
        "department": cast.department,
        "opens_at": now + timedelta(days=opens),
        "closes_at": now + timedelta(days=closes),
    }
    if stage == Debate.Stage.DRAFT:
        defaults.update(status=Conversation.Status.DRAFT, published_at=None)
    conversation = ConversationFactory(**{**defaults, **fields})
    for number in range(seeds):
        StatementFactory(conversation=conversation, text=f"Seed statement {number + 1}.")
    return conversation


@pytest.fixture
def quick_comments(settings):
    """Comments as fast as a test sends them: no least fill time, limits out of reach, and the
    default edit window."""
    settings.CIVIC_DEBATE_COMMENT_MIN_SECONDS = 0
    settings.CIVIC_DEBATE_COMMENT_BURST = "1000/m"
    settings.CIVIC_DEBATE_COMMENT_SUSTAINED = "1000/h"
    settings.CIVIC_DEBATE_COMMENT_EDIT_MINUTES = 15
