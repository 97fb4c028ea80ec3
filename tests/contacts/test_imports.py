"""Importing contacts from CSV and XLSX files: the dry run, the modes for existing contacts,
consent and tags, crash safety, the worker, and who may do it."""

import io
from datetime import datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civic.models import AuditEntry, Role
from contacts.models import ConsentEvent, ConsentPurpose, Contact, ContactImport, Tag
from contacts.services import import_files, imports
from tests.factories import AreaFactory, OrganisationFactory, RoleFactory
from tests.pages import assert_page
from tests.worker import wait_for

HEADINGS = "Email,Name,Postcode,Phone,Tag,Interest,Consent date,Consent source\n"
MIXED = (
    HEADINGS
    + "ann@example.org,Ann Jones,m46aa,0161 000 0001,Cyclists,parks,2024-03-01,Summer fair\n"
    + "not-an-email,Bad Email,,,,,,\n"
    + ",No Email,,,,,,\n"
    + "bob@example.org,Bob Smith,ZZ1 1ZZ,,,,,\n"
    + "ANN@Example.org,Ann Again,,,,,,\n"
    + "cat@example.org,Cat Brown,,,cyclists,,01/02/2024,Website\n"
    + "dan@example.org,,,,,,2024-05-01,\n"
)
MAPPING = {
    "Email": "email",
    "Name": "name",
    "Postcode": "postcode",
    "Phone": "phone",
    "Tag": "tag",
    "Interest": "tag",
    "Consent date": "consent_date",
    "Consent source": "consent_source",
}


@pytest.fixture
def council():
    return OrganisationFactory(name="Northbridge")


@pytest.fixture
def facilitator(council):
    return RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user


@pytest.fixture
def newsletter(council):
    return ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="Newsletter", description="Monthly news"
    )


@pytest.fixture
def ward(council):
    ward = AreaFactory(organisation=council, code="E05000001", name="Ancoats")
    ward.postcodes.create(organisation=council, postcode="M4 6AA")
    return ward


def upload(organisation, actor, content, name="contacts.csv") -> ContactImport:
    data = content.encode() if isinstance(content, str) else content
    return imports.contact_import_upload(
        actor=actor, organisation=organisation, uploaded_file=SimpleUploadedFile(name, data)
    )


def import_now(contact_import, actor, **settings) -> ContactImport:
    """Start, then run as the worker would (the test's transaction never commits the queueing)."""
    imports.contact_import_start(actor=actor, contact_import=contact_import, **settings)
    return imports.contact_import_run(contact_import_id=contact_import.pk)


def counts(contact_import) -> tuple[int, int, int, int, int]:
    contact_import.refresh_from_db()
    return (
        contact_import.total_rows,
        contact_import.processed_rows,
        contact_import.created_count,
        contact_import.updated_count,
        contact_import.skipped_count,
    )


def problems(contact_import) -> list[tuple[int, str]]:
    return [(problem["row"], problem["code"]) for problem in contact_import.problems]


def contacts_of(organisation) -> list[tuple]:
    return list(
        Contact.objects.filter(organisation=organisation)
        .order_by("email")
        .values_list("email", "name", "phone", "postcode", "notes", "source")
    )


@pytest.mark.django_db
def test_the_upload_guesses_the_columns_from_their_headings(council, facilitator):
    contact_import = upload(council, facilitator, MIXED)
    assert contact_import.mapping == {**MAPPING, "Interest": ""}
    assert contact_import.status == ContactImport.Status.UPLOADED
    preview = import_files.contact_import_preview(contact_import=contact_import)
    assert preview.samples["Email"] == ["ann@example.org", "not-an-email", ""]


@pytest.mark.django_db
def test_a_dry_run_reports_each_bad_row_with_its_reason_and_changes_no_contact(
    council, facilitator, newsletter, ward
):
    Contact.objects.create(organisation=council, email="cat@example.org", source="survey")
    contact_import = upload(council, facilitator, MIXED)

    imports.contact_import_dry_run(
        actor=facilitator,
        contact_import=contact_import,
        mapping=MAPPING,
        existing=ContactImport.Existing.FILL,
        consent_purpose=newsletter,
    )

    assert counts(contact_import) == (7, 0, 2, 1, 4)
    assert contact_import.status == ContactImport.Status.CHECKED
    assert problems(contact_import) == [
        (3, "bad_email"),
        (4, "missing_email"),
        (5, "bad_postcode"),
        (6, "duplicate_email"),
        (8, "no_consent"),
    ]
    assert contacts_of(council) == [("cat@example.org", "", "", "", "", "survey")]
    assert not Tag.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "summary")) == [
        ("import", f"Uploaded the file of contact import #{contact_import.pk}"),
        (
            "import",
            f"Checked contact import #{contact_import.pk}: would have created 2, updated 1, "
            "skipped 4 of 7 rows",
        ),
    ]


@pytest.mark.django_db
def test_the_dry_run_figures_are_what_the_import_then_does(council, facilitator, newsletter, ward):
    Contact.objects.create(organisation=council, email="cat@example.org", source="survey")
    contact_import = upload(council, facilitator, MIXED)
    settings = {"mapping": MAPPING, "existing": "fill", "consent_purpose": newsletter}
    imports.contact_import_dry_run(actor=facilitator, contact_import=contact_import, **settings)
    checked = counts(contact_import)

    import_now(contact_import, facilitator)

    assert counts(contact_import)[2:] == checked[2:] == (2, 1, 4)
    assert contact_import.status == ContactImport.Status.DONE
    assert contacts_of(council) == [
        ("ann@example.org", "Ann Jones", "0161 000 0001", "M4 6AA", "", "import"),
        ("cat@example.org", "Cat Brown", "", "", "", "survey"),
        ("dan@example.org", "", "", "", "", "import"),
    ]
    assert Contact.objects.get(email="ann@example.org").area == ward


EXISTING_FILE = (
    "email,name,phone,postcode\n"
    "ann@example.org,Ann Jones,0161 000 0001,\n"
    "cat@example.org,Cat Brown,,M4 6AA\n"
    "eve@example.org,Eve White,,\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "expected_counts", "ann", "cat"),
    [
        ("skip", (3, 3, 1, 0, 2), ("Annie", ""), ("", "M1 1AE", None)),
        ("fill", (3, 3, 1, 2, 0), ("Annie", "0161 000 0001"), ("Cat Brown", "M1 1AE", None)),
        (
            "overwrite",
            (3, 3, 1, 2, 0),
            ("Ann Jones", "0161 000 0001"),
            ("Cat Brown", "M4 6AA", "Ancoats"),
        ),
    ],
)
def test_existing_contacts_are_skipped_filled_in_or_overwritten_as_chosen(
    council, facilitator, ward, mode, expected_counts, ann, cat
):
    Contact.objects.create(organisation=council, email="Ann@Example.org", name="Annie", source="x")
    Contact.objects.create(
        organisation=council, email="cat@example.org", postcode="M1 1AE", source="x"
    )
    contact_import = upload(council, facilitator, EXISTING_FILE)

    import_now(contact_import, facilitator, existing=mode)

    assert counts(contact_import) == expected_counts
    found_ann = Contact.objects.get(email__iexact="ann@example.org")
    found_cat = Contact.objects.get(email="cat@example.org")
    assert (found_ann.name, found_ann.phone) == ann
    assert (found_cat.name, found_cat.postcode, found_cat.area and found_cat.area.name) == cat
    assert Contact.objects.get(email="eve@example.org").source == "import"
    assert Contact.objects.count() == 3


@pytest.mark.django_db
def test_duplicate_emails_in_the_file_in_another_case_make_one_contact_and_the_first_wins(
    council, facilitator
):
    content = "email,name\nann@example.org,First\nANN@EXAMPLE.ORG,Second\n Ann@example.org ,Third\n"
    contact_import = upload(council, facilitator, content)

    import_now(contact_import, facilitator)

    assert contacts_of(council) == [("ann@example.org", "First", "", "", "", "import")]
    assert counts(contact_import) == (3, 3, 1, 0, 2)
    assert problems(contact_import) == [(3, "duplicate_email"), (4, "duplicate_email")]


@pytest.mark.django_db
def test_consent_is_imported_only_for_rows_with_both_a_date_and_a_source(
    council, facilitator, newsletter, ward
):
    contact_import = upload(council, facilitator, MIXED)

    finished = import_now(contact_import, facilitator, mapping=MAPPING, consent_purpose=newsletter)

    london = timezone.get_default_timezone()
    assert list(
        ConsentEvent.objects.order_by("contact__email").values_list(
            "contact__email", "purpose", "action", "created_at", "method"
        )
    ) == [
        (
            "ann@example.org",
            newsletter.pk,
            "given",
            datetime(2024, 3, 1, tzinfo=london),
            f"Contact import #{contact_import.pk}: Summer fair",
        ),
        (
            "cat@example.org",
            newsletter.pk,
            "given",
            datetime(2024, 2, 1, tzinfo=london),
            f"Contact import #{contact_import.pk}: Website",
        ),
    ]
    assert problems(finished) == [
        (3, "bad_email"),
        (4, "missing_email"),
        (5, "bad_postcode"),
        (6, "duplicate_email"),
        (8, "no_consent"),
    ]
    assert Contact.objects.filter(email="dan@example.org").exists()


@pytest.mark.django_db
def test_consent_needs_a_date_column_and_a_source_column_in_the_mapping(
    council, facilitator, newsletter
):
    contact_import = upload(council, facilitator, MIXED)
    with pytest.raises(imports.ValidationError) as refused:
        imports.contact_import_dry_run(
            actor=facilitator,
            contact_import=contact_import,
            mapping={**MAPPING, "Consent source": ""},
            consent_purpose=newsletter,
        )
    assert refused.value.message_dict == {
        "consent_purpose": [
            "To import consent, map one column to the date consent was given and one to where "
            "it was given"
        ]
    }
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.UPLOADED


@pytest.mark.django_db
def test_tags_are_created_once_per_organisation_whatever_their_case(council, facilitator):
    Tag.objects.create(organisation=council, name="Parks")
    other = Tag.objects.create(organisation=OrganisationFactory(), name="Cyclists")
    content = (
        "email,tag,interest\n"
        "ann@example.org,Cyclists,parks\n"
        "bob@example.org,cyclists,\n"
        "cat@example.org,,PARKS\n"
    )
    mapping = {"email": "email", "tag": "tag", "interest": "tag"}
    contact_import = upload(council, facilitator, content)
    import_now(contact_import, facilitator, mapping=mapping, existing="fill")
    again = upload(council, facilitator, content)
    import_now(again, facilitator, mapping=mapping, existing="fill")

    assert sorted(Tag.objects.filter(organisation=council).values_list("name", flat=True)) == [
        "Cyclists",
        "Parks",
    ]
    assert list(other.contacts.all()) == []
    tagged = {
        contact.email: sorted(tag.name for tag in contact.tags.all())
        for contact in Contact.objects.prefetch_related("tags")
    }
    assert tagged == {
        "ann@example.org": ["Cyclists", "Parks"],
        "bob@example.org": ["Cyclists"],
        "cat@example.org": ["Parks"],
    }
    assert counts(again) == (3, 3, 0, 0, 3)  # nothing new to add: every row left as it was


TEN_ROWS = "email,name\n" + "".join(f"person{n}@example.org,Person {n}\n" for n in range(1, 9))
TEN_ROWS += "PERSON2@example.org,Duplicate of row 3\nperson9@example.org,Person 9\n"


@pytest.mark.django_db
def test_a_rerun_after_a_crash_makes_no_duplicates_and_ends_with_the_right_counts(
    council, facilitator, monkeypatch
):
    contact_import = upload(council, facilitator, TEN_ROWS)
    imports.contact_import_start(actor=facilitator, contact_import=contact_import)
    real_process_batch = imports._process_batch
    batches = []

    def crash_in_the_third_batch(job, rows):
        batches.append(len(rows))
        written = real_process_batch(job, rows)
        if len(batches) == 3:
            raise RuntimeError("worker killed")
        return written

    monkeypatch.setattr(imports, "_process_batch", crash_in_the_third_batch)
    with pytest.raises(RuntimeError):
        imports.contact_import_run(contact_import_id=contact_import.pk, batch_size=3)

    assert counts(contact_import) == (10, 6, 6, 0, 0)
    assert contact_import.status == ContactImport.Status.FAILED  # not stuck "running"
    assert Contact.objects.count() == 6

    monkeypatch.setattr(imports, "_process_batch", real_process_batch)
    imports.contact_import_start(actor=facilitator, contact_import=contact_import)
    assert counts(contact_import) == (10, 6, 6, 0, 0)  # resumed from the checkpoint
    imports.contact_import_run(contact_import_id=contact_import.pk, batch_size=3)

    assert counts(contact_import) == (10, 10, 9, 0, 1)
    assert contact_import.status == ContactImport.Status.DONE
    assert problems(contact_import) == [(10, "duplicate_email")]
    assert Contact.objects.count() == 9
    assert Contact.objects.get(email="person2@example.org").name == "Person 2"

    # Started again from the beginning, every row is an existing contact: nothing is duplicated.
    import_now(contact_import, facilitator)
    assert counts(contact_import) == (10, 10, 0, 0, 10)
    assert Contact.objects.count() == 9


@pytest.mark.django_db
def test_a_contact_inserted_by_someone_else_meanwhile_is_updated_not_duplicated(
    council, facilitator, monkeypatch
):
    Contact.objects.create(organisation=council, email="bob@example.org", source="petition")
    content = "email,name\nann@example.org,Ann\nbob@example.org,Bob\n"
    contact_import = upload(council, facilitator, content)
    real_existing = imports._existing_contacts
    calls = []

    def blind_first_look(organisation_id, emails):
        # The first look misses Bob, as if his sign-up committed just after it.
        calls.append(emails)
        return {} if len(calls) == 1 else real_existing(organisation_id, emails)

    monkeypatch.setattr(imports, "_existing_contacts", blind_first_look)
    import_now(contact_import, facilitator, existing="fill")

    assert counts(contact_import) == (2, 2, 1, 1, 0)
    assert list(Contact.objects.order_by("email").values_list("email", "name", "source")) == [
        ("ann@example.org", "Ann", "import"),
        ("bob@example.org", "Bob", "petition"),
    ]


def _workbook(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_xlsx_file_imports_the_same_as_the_csv_and_formulas_stay_text(
    council, facilitator, newsletter
):
    csv_content = (
        "Email,Name,Phone,Notes,Consent date,Consent source\n"
        "ann@example.org,Ann Jones,7700900123,=1+1,2024-03-01,Summer fair\n"
        "bob@example.org,Bob Smith,,,01/02/2024,Website\n"
    )
    xlsx_content = _workbook(
        [
            ["Email", "Name", "Phone", "Notes", "Consent date", "Consent source"],
            [
                "ann@example.org",
                "Ann Jones",
                7700900123,
                "=1+1",
                datetime(2024, 3, 1),
                "Summer fair",
            ],
            ["bob@example.org", "Bob Smith", None, None, "01/02/2024", "Website"],
            [None, None, None, None, None, None],
        ]
    )
    other_council = OrganisationFactory()
    other_facilitator = RoleFactory(organisation=other_council, kind=Role.Kind.FACILITATOR).user
    other_newsletter = ConsentPurpose.objects.create(
        organisation=other_council, slug="newsletter", name="Newsletter", description="News"
    )

    from_csv = upload(council, facilitator, csv_content)
    import_now(from_csv, facilitator, consent_purpose=newsletter)
    from_xlsx = upload(other_council, other_facilitator, xlsx_content, name="contacts.xlsx")
    import_now(from_xlsx, other_facilitator, consent_purpose=other_newsletter)

    assert (
        contacts_of(other_council)
        == contacts_of(council)
        == [
            ("ann@example.org", "Ann Jones", "7700900123", "", "=1+1", "import"),
            ("bob@example.org", "Bob Smith", "", "", "", "import"),
        ]
    )
    assert counts(from_xlsx) == counts(from_csv) == (2, 2, 2, 0, 0)

    def consent(organisation):
        return list(
            ConsentEvent.objects.filter(contact__organisation=organisation)
            .order_by("contact__email")
            .values_list("contact__email", "created_at")
        )

    assert consent(other_council) == consent(council)
    assert len(consent(council)) == 2


@pytest.mark.worker
def test_the_import_runs_on_a_real_worker_and_its_progress_reaches_the_total(celery_worker, client):
    council = OrganisationFactory()
    facilitator = RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user
    rows = "email,name\n" + "".join(f"p{n}@example.org,Person {n}\n" for n in range(2500))
    contact_import = upload(council, facilitator, rows)

    imports.contact_import_start(actor=facilitator, contact_import=contact_import)

    finished = wait_for(
        lambda: ContactImport.objects.filter(
            pk=contact_import.pk, status=ContactImport.Status.DONE
        ).first(),
        timeout=60,
        message=f"the worker did not import the file:\n{celery_worker.log()}",
    )
    assert counts(finished) == (2500, 2500, 2500, 0, 0)
    assert Contact.objects.filter(organisation=council, source="import").count() == 2500
    client.force_login(facilitator)
    page = client.get(f"/admin/contacts/contactimport/{contact_import.pk}/change/")
    assert_page(page, heading=f"Import contacts from file {contact_import.pk}")
    assert 'http-equiv="refresh"' not in page.content.decode()
    assert "2500 new contacts created" in page.content.decode()


@pytest.mark.django_db
def test_the_page_of_a_running_import_shows_the_progress_and_a_refresh_link(
    council, facilitator, client
):
    contact_import = upload(council, facilitator, EXISTING_FILE)
    imports.contact_import_start(actor=facilitator, contact_import=contact_import)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ContactImport.Status.RUNNING, total_rows=3, processed_rows=2
    )
    client.force_login(facilitator)

    page = assert_page(
        client.get(f"/admin/contacts/contactimport/{contact_import.pk}/change/"),
        heading=f"Import contacts from file {contact_import.pk}",
    )

    assert 'http-equiv="refresh"' not in page
    assert "2 of 3 rows imported (67%)" in page
    assert (
        f'<a href="/admin/contacts/contactimport/{contact_import.pk}/change/">Refresh</a>' in page
    )
    assert "<script>" not in page


@pytest.mark.django_db
def test_a_facilitator_maps_checks_and_imports_a_file_in_the_admin(council, facilitator, client):
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/contactimport/add/",
        {
            "organisation": council.pk,
            "file": SimpleUploadedFile("people.csv", EXISTING_FILE.encode()),
        },
    )
    contact_import = ContactImport.objects.get()
    page_url = f"/admin/contacts/contactimport/{contact_import.pk}/change/"
    assert response.status_code == 302
    assert response["Location"] == page_url

    page = client.get(page_url)
    form = page.context["form"]
    assert [(field.label, samples) for field, samples in form.samples] == [
        ("email", ["ann@example.org", "cat@example.org", "eve@example.org"]),
        ("name", ["Ann Jones", "Cat Brown", "Eve White"]),
        ("phone", ["0161 000 0001", "", ""]),
        ("postcode", ["", "M4 6AA", ""]),
    ]
    choices = {
        "column_0": "email",
        "column_1": "name",
        "column_2": "",
        "column_3": "",
        "existing": "fill",
        "consent_purpose": "",
    }
    checked = client.post(page_url, {**choices, "action": "check"})
    assert checked.status_code == 302
    report = client.get(page_url).content.decode()
    assert "3 new contacts would be created" in report
    assert not Contact.objects.exists()

    started = client.post(page_url, {**choices, "action": "import"})
    assert started.status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.QUEUED
    assert contact_import.mapping == {"email": "email", "name": "name", "phone": "", "postcode": ""}


@pytest.mark.django_db
def test_a_mapping_without_an_email_column_is_refused_with_the_error_at_the_top(
    council, facilitator, client
):
    contact_import = upload(council, facilitator, EXISTING_FILE)
    client.force_login(facilitator)
    page_url = f"/admin/contacts/contactimport/{contact_import.pk}/change/"
    response = client.post(
        page_url,
        {"column_0": "name", "column_1": "name", "existing": "skip", "action": "check"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["Choose the column that holds the e-mail addresses"],
        "column_0": ["Map only one column to Name"],
        "column_1": ["Map only one column to Name"],
    }
    assert "There is a problem" in response.content.decode()
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.UPLOADED


@pytest.mark.django_db
def test_a_facilitator_of_another_organisation_cannot_see_or_start_the_import(
    council, facilitator, client
):
    contact_import = upload(council, facilitator, EXISTING_FILE)
    outsider = RoleFactory(organisation=OrganisationFactory(), kind=Role.Kind.FACILITATOR).user
    audit_before = AuditEntry.objects.count()
    client.force_login(outsider)
    page_url = f"/admin/contacts/contactimport/{contact_import.pk}/change/"

    listing = client.get("/admin/contacts/contactimport/")
    page = client.get(page_url)
    started = client.post(
        page_url, {"column_0": "email", "existing": "overwrite", "action": "import"}
    )
    upload_elsewhere = client.post(
        "/admin/contacts/contactimport/add/",
        {"organisation": council.pk, "file": SimpleUploadedFile("x.csv", EXISTING_FILE.encode())},
    )

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == []
    assert page.status_code == 404
    assert started.status_code == 404
    assert upload_elsewhere.status_code == 200
    assert "organisation" in upload_elsewhere.context["form"].errors
    contact_import.refresh_from_db()
    assert (contact_import.status, contact_import.existing) == ("uploaded", "skip")
    assert ContactImport.objects.count() == 1
    assert not Contact.objects.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.django_db
def test_an_upload_of_a_pdf_is_refused_next_to_the_field_and_nothing_is_kept(
    council, facilitator, client
):
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/contactimport/add/",
        {"organisation": council.pk, "file": SimpleUploadedFile("people.pdf", b"%PDF-1.7\n")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["The file must be a CSV, XLSX"]}
    assert '<a href="#id_file">File of contacts: The file must be a CSV, XLSX</a>' in (
        response.content.decode()
    )
    assert not ContactImport.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_the_uploaded_file_is_deleted_once_imported(
    council, facilitator, django_capture_on_commit_callbacks
):
    contact_import = upload(council, facilitator, TEN_ROWS)
    stored = contact_import.file.name
    imports.contact_import_start(actor=facilitator, contact_import=contact_import)
    assert contact_import.file.storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        imports.contact_import_run(contact_import_id=contact_import.pk)
    contact_import.refresh_from_db()
    assert contact_import.status == ContactImport.Status.DONE
    assert not contact_import.file.storage.exists(stored)


@pytest.mark.django_db
def test_a_finished_imports_page_is_its_summary_and_never_the_deleted_files_path(
    council, facilitator, client, django_capture_on_commit_callbacks
):
    contact_import = upload(council, facilitator, MIXED)
    with django_capture_on_commit_callbacks(execute=True):
        import_now(contact_import, facilitator, mapping=MAPPING)
    contact_import.refresh_from_db()
    assert not contact_import.file.storage.exists(contact_import.file.name)
    client.force_login(facilitator)

    page = assert_page(
        client.get(f"/admin/contacts/contactimport/{contact_import.pk}/change/"),
        heading=f"Import contacts from file {contact_import.pk}",
    )

    assert "3 new contacts created" in page
    assert "4 rows skipped" in page
    assert "Rows with problems" in page
    assert "The file was deleted once imported" in page
    assert "Errno" not in page
    assert "contact-imports" not in page
    assert 'class="errornote"' not in page


@pytest.mark.django_db
def test_a_lost_file_is_a_plain_message_with_a_reference_that_is_in_the_log(
    council, facilitator, client, caplog
):
    contact_import = upload(council, facilitator, EXISTING_FILE)
    contact_import.file.storage.delete(contact_import.file.name)
    client.force_login(facilitator)

    page = assert_page(
        client.get(f"/admin/contacts/contactimport/{contact_import.pk}/change/"),
        heading=f"Import contacts from file {contact_import.pk}",
    )

    assert "The file of this import can no longer be read. Upload it again." in page
    assert "Errno" not in page
    assert contact_import.file.name not in page
    [record] = [record for record in caplog.records if record.name == "civic.admin"]
    reference = record.getMessage().split()[2].rstrip(":")
    assert f"quote {reference}." in page
    assert "No such file or directory" in str(record.exc_info[1])


@pytest.mark.django_db
def test_a_dry_run_cannot_overwrite_an_import_started_meanwhile(council, facilitator):
    contact_import = upload(council, facilitator, TEN_ROWS)
    stale = ContactImport.objects.get(pk=contact_import.pk)
    imports.contact_import_start(actor=facilitator, contact_import=contact_import)
    stale.status = ContactImport.Status.UPLOADED  # what the second facilitator's page still shows
    with pytest.raises(ValidationError, match="being imported"):
        imports.contact_import_dry_run(actor=facilitator, contact_import=stale)
    assert ContactImport.objects.get(pk=contact_import.pk).status == ContactImport.Status.QUEUED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_erasure_takes_the_person_out_of_files_waiting_to_be_imported(
    council, facilitator, newsletter, kind
):
    from django.core.files.storage import default_storage

    from contacts.services import contact_for_email
    from contacts.services.gdpr import contact_erase

    rows = [
        ["Email", "Name", "Notes"],
        ["ann@example.org", "Ann Jones", "keen cyclist"],
        ["ZELDA@example.org", "Zelda Quartermaine", "met at the fair"],
        ["bob@example.org", "Bob Smith", "asked about zelda@example.org's bins"],
    ]
    content = "\n".join(",".join(row) for row in rows) + "\n" if kind == "csv" else _workbook(rows)
    waiting = upload(council, facilitator, content, name=f"people.{kind}")
    old_name = waiting.file.name
    zelda = contact_for_email(organisation=council, email="zelda@example.org", source="survey")

    contact_erase(actor=None, contact=zelda)

    waiting.refresh_from_db()
    assert not default_storage.exists(old_name)
    with waiting.file.open("rb") as handle:
        text = handle.read().decode()
    assert "zelda" not in text.lower() and "Quartermaine" not in text
    assert text.splitlines() == [
        "Email,Name,Notes",
        "ann@example.org,Ann Jones,keen cyclist",
        "bob@example.org,Bob Smith,(removed on erasure)",
    ]
    # The mapping still fits: the rest imports as before.
    import_now(waiting, facilitator)
    assert sorted(Contact.objects.active().values_list("email", flat=True)) == [
        "ann@example.org",
        "bob@example.org",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            ContactImport.Status.CHECKED,
            [
                "1 new contact would be created",
                "1 existing contact would be updated",
                "1 row would be skipped",
            ],
        ),
        (
            ContactImport.Status.DONE,
            ["1 new contact created", "1 existing contact updated", "1 row skipped"],
        ),
    ],
)
def test_an_imports_summary_says_one_row_in_the_singular(
    council, facilitator, client, status, expected
):
    contact_import = upload(council, facilitator, EXISTING_FILE)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=status, total_rows=3, created_count=1, updated_count=1, skipped_count=1
    )
    client.force_login(facilitator)

    page = assert_page(
        client.get(f"/admin/contacts/contactimport/{contact_import.pk}/change/"),
        heading=f"Import contacts from file {contact_import.pk}",
    )

    for sentence in expected:
        assert sentence in page
