"""Rows of the debates app for tests: a debate (published, open since yesterday for a fortnight).
Made directly: the services that make them in real life have tests of their own."""

from datetime import timedelta

import factory
from django.utils import timezone

from debates.models import Conversation, Debate, Statement
from tests.factories import DepartmentFactory


def _days(number: int):
    return factory.LazyFunction(lambda: timezone.now() + timedelta(days=number))


class DebateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debate

    department = factory.SubFactory(DepartmentFactory)
    question = factory.Sequence(lambda number: f"Should street {number} be closed to cars?")
    slug = factory.Sequence(lambda number: f"debate-{number}")
    summary = "A trial would close the street to cars on Saturdays."
    background = "Shops and **buses** would be affected."
    status = Debate.Status.PUBLISHED
    published_at = _days(-2)
    opens_at = _days(-1)
    closes_at = _days(14)


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda number: f"Sharing street {number}")
    question = factory.Sequence(lambda number: f"How should street {number} be shared?")
    slug = factory.Sequence(lambda number: f"conversation-{number}")
    background = "Buses, bikes and **cars** all use the street."
    status = Conversation.Status.PUBLISHED
    published_at = _days(-2)
    opens_at = _days(-1)
    closes_at = _days(14)


class StatementFactory(factory.django.DjangoModelFactory):
    """A statement of the council's own, shown."""

    class Meta:
        model = Statement

    conversation = factory.SubFactory(ConversationFactory)
    text = factory.Sequence(lambda number: f"Statement number {number} about the street.")
    is_seed = True
    status = Statement.Status.SHOWN
