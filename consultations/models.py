"""Consultations, their surveys, the responses residents give, and the outcome officers publish.

A consultation's stage follows from its dates and one officer action (publishing): draft, then
scheduled (published, opens later), open, closed, and outcome published. Nothing stores the
stage, so opening and closing happen on time without a task or an officer.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.lifecycle import Lifecycle
from civic.models import Area, Department, InDepartmentsItem, Organisation
from civic.phases import Phase, Phases
from contacts.models import Contact


class InConsultation(InDepartmentsItem):
    """A row that belongs to a consultation (civic.models.InDepartmentsItem)."""

    item_path = "consultation"


class Topic(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="topic_slug_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConsultationQuerySet(models.QuerySet):
    def published(self) -> ConsultationQuerySet:
        return self.filter(published_at__isnull=False)

    def open_at(self, now=None) -> ConsultationQuerySet:
        now = now or timezone.now()
        return self.published().filter(
            Consultation.SCHEDULE.q(Consultation.Stage.OPEN, now),
            outcome_published_at__isnull=True,
        )

    def upcoming_at(self, now=None) -> ConsultationQuerySet:
        now = now or timezone.now()
        return self.published().filter(
            Consultation.SCHEDULE.q(Consultation.Stage.SCHEDULED, now),
            outcome_published_at__isnull=True,
        )

    def closed_at(self, now=None) -> ConsultationQuerySet:
        now = now or timezone.now()
        return self.published().filter(
            Q(closes_at__lte=now) | Q(outcome_published_at__isnull=False)
        )

    def in_stage(self, stage: str, now=None) -> ConsultationQuerySet:
        now = now or timezone.now()
        Stage = Consultation.Stage
        return {
            Stage.DRAFT: lambda: self.filter(published_at__isnull=True),
            Stage.SCHEDULED: lambda: self.upcoming_at(now),
            Stage.OPEN: lambda: self.open_at(now),
            Stage.CLOSED: lambda: self.published().filter(
                Consultation.SCHEDULE.q(Stage.CLOSED, now), outcome_published_at__isnull=True
            ),
            Stage.OUTCOME: lambda: self.filter(outcome_published_at__isnull=False),
        }[stage]()


# How contacts records a respondent (declared in ConsultationsConfig.ready, contacts.kinds).
SOURCE_SURVEY = "survey"
ACTIVITY_RESPONSE = "response"


def _consultation_status(consultation: Consultation) -> str:
    if consultation.published_at is None:
        return Consultation.Status.DRAFT
    if consultation.outcome_published_at is not None:
        return Consultation.Status.OUTCOME
    return Consultation.Status.PUBLISHED


class Consultation(models.Model):
    class Status(models.TextChoices):
        """What officers decide, read from when they did it (see `lifecycle`)."""

        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        OUTCOME = "outcome", _("Outcome published")

    lifecycle = Lifecycle(
        Status,
        {
            Status.DRAFT: {Status.PUBLISHED},
            Status.PUBLISHED: {Status.OUTCOME},
            Status.OUTCOME: set(),
        },
        field=None,
        state=_consultation_status,
        refusals={
            Status.PUBLISHED: _("This consultation is already published."),
            Status.OUTCOME: _("The outcome of this consultation is already published."),
        },
    )

    class Stage(models.TextChoices):
        """What residents see: the lifecycle's state, and while published, the dates' phase."""

        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Upcoming")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        OUTCOME = "outcome", _("Outcome published")

    # While published, the dates decide whether residents can respond.
    SCHEDULE = Phases(
        Stage,
        Phase(Stage.SCHEDULED, starts=None),
        Phase(Stage.OPEN, starts="opens_at", allows={"respond"}),
        Phase(Stage.CLOSED, starts="closes_at"),
    )

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="consultations"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=120, unique=True)
    summary = models.CharField(
        _("summary"), max_length=400, help_text=_("One or two sentences for lists and searches.")
    )
    body = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    areas = models.ManyToManyField(Area, blank=True, related_name="consultations")
    topics = models.ManyToManyField(Topic, blank=True, related_name="consultations")
    lead_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead officer"),
    )
    contact_details = models.TextField(
        _("contact details"), blank=True, help_text=_("How residents can ask questions.")
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    image = models.FileField(_("image"), upload_to="consultations/images/", blank=True)
    image_alt = models.CharField(
        _("image description"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the image shows, for people who cannot see it. Leave empty if decorative."
        ),
    )
    allow_anonymous = models.BooleanField(_("anyone may respond without an account"), default=True)
    one_response_per_person = models.BooleanField(
        _("one response per signed-in person"), default=True
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "pk"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="consultation_closes_after_it_opens",
            )
        ]
        indexes = [models.Index(fields=["opens_at", "closes_at"], name="consultation_dates")]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"Consultation #{self.pk} {self.title}"

    @property
    def organisation(self) -> Organisation:
        return self.department.organisation

    @property
    def organisation_id(self) -> int:
        return self.department.organisation_id

    def stage_at(self, now=None) -> str:
        status = self.lifecycle.state_of(self)
        if status != self.Status.PUBLISHED:
            return self.Stage(status)  # a draft, or its outcome published
        return self.Stage(self.SCHEDULE.at(self, now or timezone.now()).key)

    @property
    def stage(self) -> str:
        return self.stage_at()

    def is_open(self, now=None) -> bool:
        return self.stage_at(now) == self.Stage.OPEN


class Document(InConsultation, models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="consultations/documents/%Y/")
    size = models.PositiveBigIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title

    @property
    def kind(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].upper() if "." in self.file.name else ""


class SurveyPage(InConsultation, models.Model):
    """A section of the survey, shown one at a time. `condition` as on Question."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    condition = models.JSONField(_("show only when"), null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("survey page")
        verbose_name_plural = _("survey pages")

    def __str__(self) -> str:
        return self.title


class Question(InConsultation, models.Model):
    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        SINGLE_CHOICE = "single_choice", _("Single choice (radios)")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice (checkboxes)")
        DROPDOWN = "dropdown", _("Dropdown")
        SCALE = "scale", _("Rating or agreement scale")
        RANKING = "ranking", _("Ranking")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        EMAIL = "email", _("E-mail address")
        POSTCODE = "postcode", _("Postcode")
        CONSENT = "consent", _("Consent")

    CHOICE_KINDS = {"single_choice", "multiple_choice", "dropdown", "scale", "ranking"}
    TEXT_KINDS = {"short_text", "long_text"}

    page = models.ForeignKey(SurveyPage, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.TextField(_("hint"), blank=True)
    required = models.BooleanField(_("an answer is required"), default=False)
    max_length = models.PositiveIntegerField(
        _("character limit"), null=True, blank=True, help_text=_("For long text.")
    )
    min_value = models.DecimalField(
        _("smallest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("largest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    allow_other = models.BooleanField(
        _("offer 'Other, please specify'"), default=False, help_text=_("For multiple choice.")
    )
    # {"question": <id of an earlier question>, "option": <id of one of its options>}, or
    # {"question": <id>, "answered": true}: shown only when the earlier answer matches.
    condition = models.JSONField(_("show only when"), null=True, blank=True)
    about_you = models.BooleanField(default=False, editable=False)

    item_path = "page.consultation"  # a question is its page's consultation's

    class Meta:
        ordering = ["page__position", "page_id", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text

    @property
    def has_options(self) -> bool:
        return self.kind in self.CHOICE_KINDS


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(_("label"), max_length=300)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return self.label


class Response(InConsultation, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    lifecycle = Lifecycle(
        Status,
        {Status.DRAFT: {Status.SUBMITTED}, Status.SUBMITTED: set()},
        refusals={Status.SUBMITTED: _("This response has already been sent.")},
    )

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_responses",
    )
    # Set to the user's id when the consultation allows one response each: the unique
    # constraint below then refuses a second, whatever races.
    one_per_person = models.BigIntegerField(null=True, blank=True, editable=False)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(blank=True, help_text=_("For the receipt or the resume link."))
    agrees_to_publish = models.BooleanField(default=False)
    published = models.BooleanField(_("published"), default=False)
    started_at = models.DateTimeField(default=timezone.now)
    # A draft's last change (a page saved, a resume link sent): drafts untouched for longer than
    # a resume link works are deleted (responding.drafts_remove).
    saved_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "one_per_person"],
                condition=Q(status="submitted", one_per_person__isnull=False),
                name="response_one_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(published=True) | Q(agrees_to_publish=True),
                name="response_published_only_with_agreement",
            ),
        ]
        indexes = [
            models.Index(fields=["consultation", "status"], name="response_consultation_status")
        ]

    def __str__(self) -> str:
        return self.reference

    def audit_label(self) -> str:
        return f"Response {self.reference}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # PROTECT: a question with answers cannot be removed from the survey.
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(blank=True)
    number = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    themes = models.ManyToManyField("Theme", blank=True, related_name="answers")

    class Meta:
        ordering = ["question__page__position", "question__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_once_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.text or self.number or self.date or ''}"


class AnswerChoice(models.Model):
    """An option chosen in an answer (one row per option, with its rank for a ranking)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="choices")
    # PROTECT: an option somebody chose cannot be removed.
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="choices")
    rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["rank", "option__position"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "option"], name="choice_once_per_answer")
        ]

    def __str__(self) -> str:
        return str(self.option)


class Theme(InConsultation, models.Model):
    """A theme officers code free-text answers with."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "name"], name="theme_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Decision(InConsultation, models.Model):
    """'We asked, you said, we did': one decision, linked to the questions and themes it answers."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="decisions"
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    we_asked = models.TextField(_("we asked"))
    you_said = models.TextField(_("you said"))
    we_did = models.TextField(_("we did"))
    questions = models.ManyToManyField(Question, blank=True, related_name="decisions")
    themes = models.ManyToManyField(Theme, blank=True, related_name="decisions")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.we_did[:80]


class FollowUpAction(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    # An officer may put a promise in any state, to set right a mistake as much as to report.
    lifecycle = Lifecycle(
        Status,
        {
            Status.PLANNED: {Status.IN_PROGRESS, Status.DONE, Status.DROPPED},
            Status.IN_PROGRESS: {Status.PLANNED, Status.DONE, Status.DROPPED},
            Status.DONE: {Status.PLANNED, Status.IN_PROGRESS, Status.DROPPED},
            Status.DROPPED: {Status.PLANNED, Status.IN_PROGRESS, Status.DONE},
        },
    )

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")

    def __str__(self) -> str:
        return self.description


def _export_path(instance: ResponseExport, filename: str) -> str:
    # A name nobody can guess, although the file is only ever sent through the download view.
    return f"consultation-exports/{secrets.token_urlsafe(24)}-{filename}"


class ResponseExport(InConsultation, models.Model):
    """A spreadsheet of responses that a worker writes for the officer who asked for it: an
    XLSX of 100,000 responses takes longer than a web request may. Only that officer downloads
    it, until it expires (CIVIC_EXPORT_DAYS) and its file is deleted."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    lifecycle = Lifecycle(
        Status,
        {
            Status.QUEUED: {Status.READY, Status.FAILED},
            Status.READY: {Status.EXPIRED},
            Status.FAILED: set(),
            Status.EXPIRED: set(),
        },
    )

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_format = models.CharField(_("format"), max_length=8, default="xlsx")
    # The filters of the results page when it was asked for (see selectors.ResponseFilter).
    area_id = models.BigIntegerField(null=True, blank=True)
    option_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    file = models.FileField(upload_to=_export_path, blank=True)
    rows = models.PositiveIntegerField(_("responses"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked for"), default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export of responses")
        verbose_name_plural = _("exports of responses")
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.file_format.upper()} #{self.pk}"


class SavedQuestion(models.Model):
    """A question an officer kept to reuse: the organisation's library. It holds the question's
    wording and settings, with its answers as labels; adding it to a page makes a new question
    (consultations.services.copying), so a saved question never changes a survey."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="saved_questions"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Question.Kind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.TextField(_("hint"), blank=True)
    required = models.BooleanField(_("an answer is required"), default=True)
    max_length = models.PositiveIntegerField(_("character limit"), null=True, blank=True)
    min_value = models.DecimalField(
        _("smallest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("largest number"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    allow_other = models.BooleanField(_("offer 'Other, please specify'"), default=False)
    options = models.JSONField(_("answers to choose from"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["text", "pk"]
        verbose_name = _("saved question")
        verbose_name_plural = _("saved questions")

    def __str__(self) -> str:
        return self.text

    def audit_label(self) -> str:
        return f"Saved question #{self.pk}"
