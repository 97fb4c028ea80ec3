"""Rows of the consultations app for tests: a consultation, a survey page, a question, an option
and a response.

A consultation opens yesterday, closes in 30 days, has contact details (the check before
publishing asks for them) and is published unless the test says otherwise; a response is
submitted now unless `status=Response.Status.DRAFT`."""

from datetime import timedelta

import factory
from django.utils import timezone

from consultations.models import Consultation, Option, Question, Response, SurveyPage
from tests.factories import DepartmentFactory


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    department = factory.SubFactory(DepartmentFactory)
    title = factory.Sequence(lambda number: f"Consultation {number}")
    slug = factory.Sequence(lambda number: f"consultation-{number}")
    summary = "What do you think?"
    contact_details = "E-mail consultations@northbridge.example"
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    published_at = factory.LazyFunction(timezone.now)


class SurveyPageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyPage

    consultation = factory.SubFactory(ConsultationFactory)
    position = factory.LazyAttribute(lambda page: page.consultation.pages.count())
    title = factory.Sequence(lambda number: f"Page {number}")


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question at the end of its page; `options=[...]` adds its options in that order."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    page = factory.SubFactory(SurveyPageFactory)
    position = factory.LazyAttribute(lambda question: question.page.questions.count())
    kind = Question.Kind.SHORT_TEXT
    text = factory.Sequence(lambda number: f"Question {number}")

    @factory.post_generation
    def options(self, create, extracted, **kwargs):
        if create and extracted:
            for position, label in enumerate(extracted):
                OptionFactory(question=self, position=position, label=label)


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.SINGLE_CHOICE)
    position = factory.LazyAttribute(lambda option: option.question.options.count())
    label = factory.Sequence(lambda number: f"Option {number}")


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    consultation = factory.SubFactory(ConsultationFactory)
    status = Response.Status.SUBMITTED
    reference = factory.Sequence(lambda number: f"RF-{number:06d}")
    submitted_at = factory.LazyAttribute(
        lambda response: timezone.now() if response.status == Response.Status.SUBMITTED else None
    )
