"""Subject access, erasure and retention: what a person gets, and what is left after erasure."""

import csv
import email
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.test import Client
from django.utils import timezone

from civic.models import AuditEntry, Role, User
from contacts import gdpr_registry
from contacts.models import (
    Activity,
    ConsentEvent,
    ConsentPurpose,
    Contact,
    ContactImport,
    DataRequest,
    Tag,
)
from contacts.services import consent_give, consent_withdraw, participation_record
from contacts.services.gdpr import (
    contact_erase,
    contacts_retention_run,
    data_exports_expire,
    data_request_create,
    data_request_erase,
    data_request_prepare,
    data_request_process,
)
from tests.factories import (
    AreaFactory,
    DepartmentFactory,
    OrganisationFactory,
    RoleFactory,
    UserFactory,
)
from tests.scoped_feature.models import Notice
from tests.worker import wait_for

EMAIL = "zebedee.quillfeather@example.net"
NAME = "Zebedee Quillfeather"
GIVEN_AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
WITHDRAWN_AT = datetime(2025, 6, 1, 18, 0, tzinfo=UTC)
RESPONDED_AT = datetime(2025, 4, 2, 12, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def council(db):
    return OrganisationFactory(name="Northbridge")


@pytest.fixture
def facilitator(council):
    return RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user


@pytest.fixture
def person(council):
    """A contact with one of everything: details, a tag, consent given then withdrawn, a survey
    response."""
    ward = AreaFactory(organisation=council, code="E05000001", name="Ancoats")
    ward.postcodes.create(organisation=council, postcode="M4 6AA")
    notice = Notice.objects.create(
        department=DepartmentFactory(organisation=council), title="Bus lanes"
    )
    participation_record(
        organisation=council,
        email=EMAIL,
        name=NAME,
        postcode="M4 6AA",
        kind="response",
        item=notice,
        item_title=notice.title,
        reference="response-17",
        source="survey",
        occurred_at=RESPONDED_AT,
    )
    contact = Contact.objects.get(email=EMAIL)
    Contact.objects.filter(pk=contact.pk).update(
        phone="+44 161 496 0000", represents="Ancoats Allotments", notes="=1+1 keen cyclist"
    )
    contact.refresh_from_db()
    contact.tags.add(Tag.objects.create(organisation=council, name="cyclists"))
    newsletter = ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="Newsletter", description="Monthly news"
    )
    consent_give(
        contact=contact,
        purpose=newsletter,
        method="sign-up form",
        wording="Send me the monthly newsletter",
        at=GIVEN_AT,
    )
    consent_withdraw(
        contact=contact, purpose=newsletter, method="unsubscribe link", at=WITHDRAWN_AT
    )
    return contact


def expected_data(contact):
    return {
        "organisation": "Northbridge",
        "contact": {
            "id": contact.pk,
            "kind": "Person",
            "name": NAME,
            "email": EMAIL,
            "phone": "+44 161 496 0000",
            "postcode": "M4 6AA",
            "area": "Ancoats",
            "represents": "Ancoats Allotments",
            "source": "Survey",
            "notes": "=1+1 keen cyclist",
            "account": "",
            "joined": contact.created_at.isoformat(),
        },
        "tags": ["cyclists"],
        "consents": [
            {
                "purpose": "Newsletter",
                "action": "Given",
                "how": "sign-up form",
                "wording": "Send me the monthly newsletter",
                "at": "2025-03-01T09:30:00+00:00",
            },
            {
                "purpose": "Newsletter",
                "action": "Withdrawn",
                "how": "unsubscribe link",
                "wording": "",
                "at": "2025-06-01T18:00:00+00:00",
            },
        ],
        "activity": [
            {"kind": "Survey response", "item": "Bus lanes", "at": "2025-04-02T12:15:00+00:00"}
        ],
        "e-mail deliveries": [],  # mailing's own section: nobody has mailed them yet
        "consultation responses": [],  # consultations' own: they answered no survey
        "petition signatures": [],  # petitions' own: they signed none
        "budget ideas and supports": [],  # budgets' own: they proposed and supported none
        "debate contributions": [],  # debates' own: they made and endorsed no points
        "conversation votes and statements": [],  # debates' own: they took part in none
        "debate follows": [],  # debates' own: they follow no debate
        "event registrations": [],  # events' own: they registered for none
    }


def expected_rows(contact):
    return [
        ["section", "number", "field", "value"],
        ["organisation", "", "", "Northbridge"],
        ["contact", "", "id", str(contact.pk)],
        ["contact", "", "kind", "Person"],
        ["contact", "", "name", NAME],
        ["contact", "", "email", EMAIL],
        ["contact", "", "phone", "'+44 161 496 0000"],
        ["contact", "", "postcode", "M4 6AA"],
        ["contact", "", "area", "Ancoats"],
        ["contact", "", "represents", "Ancoats Allotments"],
        ["contact", "", "source", "Survey"],
        ["contact", "", "notes", "'=1+1 keen cyclist"],
        ["contact", "", "account", ""],
        ["contact", "", "joined", contact.created_at.isoformat()],
        ["tags", "1", "", "cyclists"],
        ["consents", "1", "purpose", "Newsletter"],
        ["consents", "1", "action", "Given"],
        ["consents", "1", "how", "sign-up form"],
        ["consents", "1", "wording", "Send me the monthly newsletter"],
        ["consents", "1", "at", "2025-03-01T09:30:00+00:00"],
        ["consents", "2", "purpose", "Newsletter"],
        ["consents", "2", "action", "Withdrawn"],
        ["consents", "2", "how", "unsubscribe link"],
        ["consents", "2", "wording", ""],
        ["consents", "2", "at", "2025-06-01T18:00:00+00:00"],
        ["activity", "1", "kind", "Survey response"],
        ["activity", "1", "item", "Bus lanes"],
        ["activity", "1", "at", "2025-04-02T12:15:00+00:00"],
    ]


def read_zip(content: bytes) -> tuple[dict, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["my-data.csv", "my-data.json"]
        data = json.loads(archive.read("my-data.json"))
        rows = list(csv.reader(io.StringIO(archive.read("my-data.csv").decode("utf-8-sig"))))
    return data, rows


@pytest.fixture
def petitions_section():
    """A feature app's section, registered the way a feature app would from its ready()."""
    erased = []

    def export(contact):
        return [{"petition": "Save the library", "comment": "@everyone sign this"}]

    def erase(contact):
        erased.append(contact.email)
        return 2

    # It stands in for the petitions app's own section, which is put back afterwards.
    real = next(
        (section for section in gdpr_registry.sections() if section.name == "petition signatures"),
        None,
    )
    gdpr_registry.register("petition signatures", export, erase)
    yield erased
    gdpr_registry.unregister("petition signatures")
    if real is not None:
        gdpr_registry.register(real.name, real.exporter, real.eraser)


def admin_action(client, model, action, ids, **extra):
    return client.post(
        f"/admin/contacts/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in ids], **extra},
    )


# Subject access ------------------------------------------------------------------------------


@pytest.fixture
def worker_mailing_to_files(request, transactional_db, settings, tmp_path, monkeypatch):
    """A real worker whose mail lands in files this test can read."""
    mail_dir = tmp_path / "mail"
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(mail_dir))
    worker = request.getfixturevalue("fresh_celery_worker")
    return worker, mail_dir


def _finished_mail(mail_dir) -> list[str]:
    """The messages the worker has finished writing: Django's file backend ends each with a line
    of 79 dashes, so a file that exists may still be half written."""
    separator = "\n" + "-" * 79 + "\n"
    return [
        text
        for path in sorted(mail_dir.glob("*.log"))
        for text in path.read_text().split(separator)[:-1]
        if text.strip()
    ]


@pytest.mark.worker
def test_a_facilitator_prepares_a_copy_that_a_worker_builds_and_mails_as_a_link_that_serves_it(
    worker_mailing_to_files, council, facilitator, person, client
):
    worker, mail_dir = worker_mailing_to_files
    data_request = data_request_create(contact=person, kind=DataRequest.Kind.ACCESS)
    client.force_login(facilitator)

    response = admin_action(client, "datarequest", "prepare_download", [data_request.pk])
    assert response.status_code == 302

    ready = wait_for(
        lambda: DataRequest.objects.filter(
            pk=data_request.pk, status=DataRequest.Status.READY
        ).first(),
        timeout=60,
        message=f"the worker did not build the copy:\n{worker.log()}",
    )
    assert len(ready.export_token) == 43
    assert ready.handled_by == facilitator
    assert timedelta(days=7) - timedelta(minutes=5) < ready.expires_at - timezone.now()
    assert ready.expires_at - timezone.now() <= timedelta(days=7)
    messages = wait_for(lambda: _finished_mail(mail_dir), message="no mail was sent")
    assert len(messages) == 1
    message = email.message_from_string(messages[0])
    assert message["To"] == EMAIL
    assert message["Subject"] == "Your data held by Northbridge is ready to download"
    body = message.get_payload(decode=True).decode()
    link = f"{django_settings.CIVIC_SITE_URL}/my-data/download/{ready.export_token}/"
    assert link in body

    download = client.get(f"/my-data/download/{ready.export_token}/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="my-data.zip"'
    assert download["Cache-Control"].startswith("max-age=0")
    data, rows = read_zip(b"".join(download.streaming_content))
    assert data == expected_data(person)
    assert rows == expected_rows(person)
    assert list(AuditEntry.objects.values_list("action", "actor_label", "summary")) == [
        (
            "export",
            facilitator.email,
            f"Prepared the download for data request #{data_request.pk} of contact #{person.pk}",
        )
    ]


@pytest.mark.django_db
def test_the_copy_holds_the_sections_feature_apps_registered_with_formula_safe_cells(
    person, petitions_section
):
    data_request = data_request_create(contact=person, kind=DataRequest.Kind.ACCESS)
    data_request_process(data_request_id=data_request.pk)

    data_request.refresh_from_db()
    with data_request.export_file.open("rb") as handle:
        data, rows = read_zip(handle.read())
    assert data == {
        **expected_data(person),
        "petition signatures": [{"petition": "Save the library", "comment": "@everyone sign this"}],
    }
    assert rows == [
        *expected_rows(person),
        ["petition signatures", "1", "petition", "Save the library"],
        ["petition signatures", "1", "comment", "'@everyone sign this"],
    ]
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    assert petitions_section == []  # exporting erases nothing


@pytest.mark.django_db
def test_a_second_request_while_one_is_open_is_the_same_request(person):
    first = data_request_create(contact=person, kind=DataRequest.Kind.ACCESS)
    again = data_request_create(contact=person, kind=DataRequest.Kind.ACCESS)
    erasure = data_request_create(contact=person, kind=DataRequest.Kind.ERASURE)
    assert again == first
    assert erasure != first
    assert DataRequest.objects.count() == 2
    assert (first.organisation_id, first.status) == (person.organisation_id, "requested")


@pytest.mark.django_db
def test_an_expired_link_answers_gone_and_an_unknown_one_not_found(
    person, client, django_capture_on_commit_callbacks
):
    data_request = DataRequest.objects.create(
        organisation=person.organisation,
        contact=person,
        kind=DataRequest.Kind.ACCESS,
        status=DataRequest.Status.READY,
        export_token="a-token-that-expired",
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    data_request.export_file.save("old.zip", ContentFile(b"PK"), save=True)
    stored = data_request.export_file.name

    expired = client.get("/my-data/download/a-token-that-expired/")
    assert expired.status_code == 410
    assert "This download link has expired" in expired.content.decode()
    assert client.get("/my-data/download/a-token-nobody-was-given/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        assert data_exports_expire() == 1
    data_request.refresh_from_db()
    assert (data_request.status, data_request.export_file.name) == ("expired", "")
    assert not default_storage.exists(stored)
    assert client.get("/my-data/download/a-token-that-expired/").status_code == 410


# Erasure -------------------------------------------------------------------------------------


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def where_held(*needles: str) -> list[str]:
    """Every column of every table that still holds one of the needles, as model.field."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            for needle in needles:
                if model._base_manager.filter(**{f"{field.name}__icontains": needle}).exists():
                    found.append(f"{model._meta.label}.{field.name}")
    return found


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_the_person_nowhere_in_the_database_and_keeps_the_counts(
    council, facilitator, person, petitions_section, client
):
    person.user = UserFactory(email="account-4411@example.com")
    person.save(update_fields=["user"])
    bystander = Contact.objects.create(
        organisation=council, email="ann@example.org", name="Ann", source="sign_up"
    )
    earlier = data_request_create(contact=person, kind=DataRequest.Kind.ACCESS)
    data_request_process(data_request_id=earlier.pk)
    earlier.refresh_from_db()
    earlier_file = earlier.export_file.name
    ContactImport.objects.create(
        organisation=council,
        file="contact-imports/list.csv",
        problems=[{"row": 7, "problem": f"{EMAIL.upper()} is already a contact"}],
    )
    assert where_held(EMAIL, "Quillfeather")  # the scan finds them before
    erasure = data_request_create(contact=person, kind=DataRequest.Kind.ERASURE)
    client.force_login(facilitator)

    confirm = admin_action(client, "datarequest", "erase_now", [erasure.pk])
    assert confirm.status_code == 200
    assert "Erase these people" in confirm.content.decode()
    assert Contact.objects.get(pk=person.pk).anonymised_at is None
    done = admin_action(client, "datarequest", "erase_now", [erasure.pk], post="yes")
    assert done.status_code == 302

    assert where_held(EMAIL, "Quillfeather") == []
    assert not User.objects.filter(email="account-4411@example.com").exists()
    erased = Contact.objects.get(pk=person.pk)
    assert (erased.email, erased.name, erased.phone, erased.postcode) == ("", "", "", "")
    assert (erased.represents, erased.notes, erased.user, erased.tags.count()) == ("", "", None, 0)
    assert erased.anonymised_at is not None
    assert (Activity.objects.count(), ConsentEvent.objects.count(), Contact.objects.count()) == (
        1,
        2,
        2,
    )
    assert Activity.objects.get().contact == erased
    assert ConsentEvent.objects.filter(wording="Send me the monthly newsletter").count() == 1
    assert Contact.objects.get(pk=bystander.pk).email == "ann@example.org"
    assert petitions_section == [EMAIL]
    assert ContactImport.objects.get().problems == [{"row": 7, "problem": "[erased]"}]
    assert not default_storage.exists(earlier_file)
    assert client.get(f"/my-data/download/{earlier.export_token}/").status_code == 404
    erasure.refresh_from_db()
    assert (erasure.status, erasure.handled_by) == ("done", facilitator)
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.actor_label, entry.object_repr, entry.object_id) == (
        facilitator.email,
        f"Contact #{entry.object_id}",
        str(person.pk),
    )
    assert entry.summary == (
        f"Erased contact #{person.pk} (data request #{erasure.pk}): petition signatures 2, "
        "accounts 1"
    )


@pytest.mark.django_db
def test_a_facilitator_of_another_organisation_cannot_act_on_a_request(person, client):
    stranger = RoleFactory(organisation=OrganisationFactory(), kind=Role.Kind.FACILITATOR).user
    access = data_request_create(contact=person, kind=DataRequest.Kind.ACCESS)
    erasure = data_request_create(contact=person, kind=DataRequest.Kind.ERASURE)
    client.force_login(stranger)

    admin_action(client, "datarequest", "prepare_download", [access.pk])
    admin_action(client, "datarequest", "erase_now", [erasure.pk], post="yes")
    with pytest.raises(PermissionDenied):
        data_request_prepare(actor=stranger, data_request=access)
    with pytest.raises(PermissionDenied):
        data_request_erase(actor=stranger, data_request=erasure)

    assert list(DataRequest.objects.order_by("pk").values_list("status", "handled_by")) == [
        ("requested", None),
        ("requested", None),
    ]
    person.refresh_from_db()
    assert (person.email, person.name, person.anonymised_at) == (EMAIL, NAME, None)
    assert mail.outbox == []
    assert not AuditEntry.objects.exists()
    assert client.get(f"/admin/contacts/datarequest/{access.pk}/change/").status_code in {
        302,
        403,
        404,
    }


# Retention -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retention_anonymises_exactly_the_contacts_with_no_live_consent_and_nothing_recent(
    council,
):
    now = timezone.now()
    years = lambda count: now - timedelta(days=365 * count)  # noqa: E731
    purpose = ConsentPurpose.objects.create(
        organisation=council, slug="news", name="News", description="News"
    )
    notice = Notice.objects.create(
        department=DepartmentFactory(organisation=council), title="Parks"
    )

    def contact(label: str, joined):
        made = Contact.objects.create(
            organisation=council, email=f"{label}@example.org", name=label, source="import"
        )
        Contact.objects.filter(pk=made.pk).update(created_at=joined)
        return made

    def took_part(who, at):
        participation_record(
            organisation=council,
            email=who.email,
            kind="response",
            item=notice,
            item_title="Parks",
            reference=f"r-{who.pk}-{at.timestamp()}",
            source="survey",
            occurred_at=at,
        )

    never_consented = contact("never-consented", years(4))
    withdrew_long_ago = contact("withdrew-long-ago", years(5))
    consent_give(
        contact=withdrew_long_ago, purpose=purpose, method="form", wording="Y", at=years(5)
    )
    consent_withdraw(contact=withdrew_long_ago, purpose=purpose, method="link", at=years(4))
    took_part_long_ago = contact("took-part-long-ago", years(6))
    took_part(took_part_long_ago, years(4))

    live_consent = contact("live-consent", years(6))
    consent_give(contact=live_consent, purpose=purpose, method="form", wording="Y", at=years(5))
    recent_activity = contact("recent-activity", years(6))
    took_part(recent_activity, years(1))
    withdrew_lately = contact("withdrew-lately", years(6))
    consent_give(contact=withdrew_lately, purpose=purpose, method="form", wording="Y", at=years(6))
    consent_withdraw(contact=withdrew_lately, purpose=purpose, method="link", at=years(0.5))
    joined_lately = contact("joined-lately", years(0.1))

    assert contacts_retention_run() == 3

    anonymised = set(
        Contact.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
    )
    assert anonymised == {never_consented.pk, withdrew_long_ago.pk, took_part_long_ago.pk}
    assert sorted(Contact.objects.active().values_list("email", flat=True)) == sorted(
        c.email for c in (live_consent, recent_activity, withdrew_lately, joined_lately)
    )
    assert (Activity.objects.count(), ConsentEvent.objects.count()) == (2, 5)
    assert sorted(AuditEntry.objects.values_list("actor_label", "summary")) == sorted(
        ("system", f"Erased contact #{pk} (retention period over)") for pk in anonymised
    )
    assert contacts_retention_run() == 0


def test_the_beat_schedule_names_the_retention_and_expiry_tasks():
    from contacts.tasks import gdpr as tasks

    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} >= {
        tasks.contacts_retention_task.name,
        tasks.data_exports_expire_task.name,
    }


@pytest.mark.django_db
def test_erasure_removes_the_free_text_an_import_quoted_in_a_consent_and_keeps_the_event():
    from contacts.models import ConsentEvent, ConsentPurpose
    from contacts.services import consent_give, contact_for_email
    from contacts.services.gdpr import contact_erase
    from tests.factories import OrganisationFactory

    council = OrganisationFactory()
    purpose = ConsentPurpose.objects.create(
        organisation=council, slug="news", name="News", description="News"
    )
    contact = contact_for_email(organisation=council, email="zelda@example.org", source="import")
    consent_give(
        contact=contact,
        purpose=purpose,
        method="Contact import of fair.csv: met Zelda Quartermaine at the fair",
        wording="News",
    )
    contact_erase(actor=None, contact=contact)
    assert list(ConsentEvent.objects.values_list("method", "action")) == [
        ("Contact import (details removed on erasure)", "given")
    ]


# The person's site account --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_erasure_deletes_the_residents_account_its_addresses_and_its_sessions(
    council, facilitator, person, client
):
    account = UserFactory(email=EMAIL.upper(), name=NAME)
    spare = UserFactory(email="spare@example.org")
    EmailAddress.objects.create(user=spare, email=EMAIL, verified=False, primary=False)
    client.force_login(account)
    elsewhere = Client()
    elsewhere.force_login(spare)
    assert client.get("/my-data/").context["user"] == account

    contact_erase(actor=facilitator, contact=person)

    assert not User.objects.filter(pk=account.pk).exists()
    assert not EmailAddress.objects.filter(email__iexact=EMAIL).exists()
    assert User.objects.filter(pk=spare.pk).exists()  # only her unconfirmed address went
    assert client.get("/my-data/").context["user"].is_anonymous
    assert elsewhere.get("/my-data/").context["user"] == spare
    assert Session.objects.count() == 1
    entry = AuditEntry.objects.get(action="delete")
    assert entry.summary == f"Erased contact #{person.pk}: accounts 1"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["staff", "superuser", "role"])
def test_erasure_never_deletes_a_member_of_staffs_account(council, facilitator, person, kind):
    officer = UserFactory(email=EMAIL, is_staff=kind == "staff", is_superuser=kind == "superuser")
    if kind == "role":
        RoleFactory(user=officer, organisation=council, kind=Role.Kind.OFFICER)
    person.user = officer
    person.save(update_fields=["user"])

    contact_erase(actor=facilitator, contact=person)

    officer.refresh_from_db()
    assert officer.email == EMAIL
    assert EmailAddress.objects.filter(user=officer, email=EMAIL).exists()
    erased = Contact.objects.get(pk=person.pk)
    assert (erased.user, erased.email, erased.anonymised_at is not None) == (None, "", True)
    assert AuditEntry.objects.get(action="delete").summary == (
        f"Erased contact #{person.pk}: staff accounts kept 1"
    )


@pytest.mark.django_db
def test_retention_anonymises_the_contact_but_leaves_the_site_account(council, person):
    account = UserFactory(email=EMAIL)
    person.user = account
    person.save(update_fields=["user"])
    Contact.objects.filter(pk=person.pk).update(created_at=timezone.now() - timedelta(days=5000))
    Activity.objects.filter(contact=person).update(
        occurred_at=timezone.now() - timedelta(days=5000)
    )
    ConsentEvent.objects.filter(contact=person).update(
        created_at=timezone.now() - timedelta(days=5000)
    )

    assert contacts_retention_run() == 1

    assert Contact.objects.get(pk=person.pk).anonymised_at is not None
    assert User.objects.filter(pk=account.pk, email=EMAIL).exists()


@pytest.mark.django_db
def test_the_privacy_notice_says_what_erasure_deletes_and_what_it_keeps(client):
    page = client.get("/privacy/").content.decode()
    assert "When your data is erased" in page
    assert "your account on this website, and you are signed out everywhere" in page
    assert "We keep, without anything that says who you are" in page


@pytest.mark.django_db
def test_django_admin_history_that_named_the_person_names_them_by_number(
    council, facilitator, person
):
    account = UserFactory(email=EMAIL, name=NAME)
    person.user = account
    person.save(update_fields=["user"])
    notice = Notice.objects.create(
        department=DepartmentFactory(organisation=council), title=f"Thanks to {NAME}"
    )
    kept = Notice.objects.create(department=notice.department, title="Bus lanes")
    for changed in (account, notice, kept, person):
        LogEntry.objects.log_actions(
            user_id=facilitator.pk, queryset=[changed], action_flag=CHANGE, single_object=True
        )

    contact_erase(actor=facilitator, contact=person)

    assert sorted(LogEntry.objects.values_list("object_repr", flat=True)) == sorted(
        ["Bus lanes", f"Contact #{person.pk}", f"Notice #{notice.pk}", f"User #{account.pk}"]
    )
