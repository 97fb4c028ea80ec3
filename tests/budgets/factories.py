"""Rows of the budgets app for tests: a process (published, collecting ideas since yesterday), a
budget, a category, an idea and a support. Made directly: the services that make them in real
life have tests of their own."""

from datetime import timedelta

import factory
from django.utils import timezone

from budgets.models import Budget, Category, Idea, Process, Support
from tests.factories import DepartmentFactory, UserFactory


def _days(number: int):
    return factory.LazyFunction(lambda: timezone.now() + timedelta(days=number))


class ProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Process

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda number: f"Northbridge decides {2027 + number}")
    slug = factory.Sequence(lambda number: f"decides-{number}")
    summary = "Residents decide how to spend £250,000."
    status = Process.Status.PUBLISHED
    ideas_open_at = _days(-1)
    review_starts_at = _days(10)
    voting_opens_at = _days(20)
    voting_closes_at = _days(30)
    implementation_starts_at = _days(40)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    process = factory.SubFactory(ProcessFactory)
    area = None
    amount = 100_000


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    process = factory.SubFactory(ProcessFactory)
    name = factory.Sequence(lambda number: f"Category {number}")


class IdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Idea

    budget = factory.SubFactory(BudgetFactory)
    process = factory.SelfAttribute("budget.process")
    title = factory.Sequence(lambda number: f"Idea {number}")
    description = "A play area with swings in the park."
    estimated_cost = 20_000
    proposer = factory.SubFactory(UserFactory)
    status = Idea.Status.PROPOSED


class SupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Support

    idea = factory.SubFactory(IdeaFactory)
    user = factory.SubFactory(UserFactory)
