"""The files of contact imports: reading a CSV or XLSX file as rows of text (formulas are kept as
text, never evaluated), the headings and a preview for the mapping page, and taking a person's
address out of files not yet imported when they are erased. Running an import over these rows is
contacts.services.imports.
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from contacts.models import ContactImport

ALLOWED_EXTENSIONS = (".csv", ".xlsx")

# Headings the upload recognises, so that a well-named file needs no mapping at all.
_HEADING_GUESSES = {
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "name": "name",
    "full name": "name",
    "phone": "phone",
    "telephone": "phone",
    "phone number": "phone",
    "mobile": "phone",
    "postcode": "postcode",
    "post code": "postcode",
    "represents": "represents",
    "organisation": "represents",
    "group": "represents",
    "notes": "notes",
    "tag": "tag",
    "tags": "tag",
    "consent date": "consent_date",
    "consent_date": "consent_date",
    "consent source": "consent_source",
    "consent_source": "consent_source",
}


class UnreadableFile(Exception):
    """The file is not UTF-8 CSV or a readable XLSX workbook; `message` says how to fix it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Reading files ----------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as text. Formulas are kept as the text they are and never evaluated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


@contextlib.contextmanager
def raw_rows(handle, name: str) -> Iterator[Iterator[list]]:
    """Every row of the file as a list of raw cells, streamed; the heading row first."""
    try:
        if name.lower().endswith(".xlsx"):
            import openpyxl

            # data_only=False: a formula cell reads as its formula text, never as a result.
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
            try:
                sheet = workbook.worksheets[0]
                yield (list(row) for row in sheet.iter_rows(values_only=True))
            finally:
                workbook.close()
        else:
            text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
            try:
                yield csv.reader(text)
            finally:
                text.detach()
    except (UnicodeDecodeError, csv.Error) as error:
        raise UnreadableFile(
            _("The file could not be read as CSV in UTF-8: save it as 'CSV UTF-8' and try again")
        ) from error
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(
            _("The file could not be read as an Excel workbook: save it as .xlsx and try again")
        ) from error


def file_headings(cells: list) -> list[str]:
    """Column headings, made unique and never blank, so that a mapping can name each column."""
    cells = list(cells)
    while cells and not cell_text(cells[-1]):
        cells.pop()  # the ghost columns a spreadsheet leaves after the last heading
    headings: list[str] = []
    for position, cell in enumerate(cells, start=1):
        heading = cell_text(cell) or _("Column %(number)s") % {"number": position}
        candidate, copy = heading, 2
        while candidate in headings:
            candidate, copy = f"{heading} ({copy})", copy + 1
        headings.append(candidate)
    return headings


def data_rows(rows: Iterator[list]) -> Iterator[tuple[int, list]]:
    """(row number as a spreadsheet shows it, cells) for every row that is not blank."""
    for number, cells in enumerate(rows, start=2):
        if any(cell_text(cell) for cell in cells):
            yield number, cells


@dataclass
class FilePreview:
    headings: list[str]
    samples: dict[str, list[str]]


def file_preview(handle, name: str, *, samples: int = 3) -> FilePreview:
    with raw_rows(handle, name) as rows:
        first = next(rows, None)
        if first is None or not any(cell_text(cell) for cell in first):
            raise UnreadableFile(_("The file is empty: its first row must name the columns"))
        headings = file_headings(first)
        sample_rows = []
        for _number, cells in data_rows(rows):
            sample_rows.append(cells)
            if len(sample_rows) == samples:
                break
    return FilePreview(
        headings=headings,
        samples={
            heading: [
                cell_text(cells[index]) if index < len(cells) else "" for cells in sample_rows
            ]
            for index, heading in enumerate(headings)
        },
    )


def contact_import_preview(*, contact_import: ContactImport, samples: int = 3) -> FilePreview:
    """The column headings and the first few values of each, for the mapping page."""
    with contact_import.file.open("rb") as handle:
        return file_preview(handle, contact_import.file.name, samples=samples)


def mapping_guess(headings: list[str]) -> dict[str, str]:
    return {heading: _HEADING_GUESSES.get(heading.strip().lower(), "") for heading in headings}


def import_files_without(*, organisation_id: int, email: str) -> list[str]:
    """Rewrite the files of imports not yet run so that no row holds the address (erasure).

    The person's own rows go, and a cell of another row that quotes the address is blanked out;
    the file becomes a CSV with the same headings, so the mapping still fits. An import already
    running keeps its file until it finishes and deletes it. Returns the names of the replaced
    files, for the caller to delete once its transaction commits."""
    email = email.strip().lower()
    if not email:
        return []
    waiting = ContactImport.objects.filter(
        organisation_id=organisation_id,
        status__in=[
            ContactImport.Status.UPLOADED,
            ContactImport.Status.CHECKED,
            ContactImport.Status.QUEUED,
        ],
    )
    replaced = []
    for contact_import in waiting.exclude(file=""):
        kept, dropped = io.StringIO(), 0
        writer = csv.writer(kept)
        try:
            with contact_import.file.open("rb") as handle, raw_rows(handle, handle.name) as rows:
                for number, cells in enumerate(rows):
                    texts = [cell_text(cell) for cell in cells]
                    if number and any(text.lower() == email for text in texts):
                        dropped += 1  # the person's own row
                        continue
                    quoting = [email in text.lower() for text in texts]
                    if number and any(quoting):
                        dropped += 1  # someone else's row that quotes the address
                        texts = [
                            _("(removed on erasure)") if quoted else text
                            for text, quoted in zip(texts, quoting, strict=True)
                        ]
                    writer.writerow(texts)
        except (UnreadableFile, OSError):
            continue  # unreadable or already gone: nothing to take out
        if not dropped:
            continue
        old_name = contact_import.file.name
        stem = old_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        contact_import.file.save(
            f"{stem}.csv", ContentFile(kept.getvalue().encode("utf-8")), save=False
        )
        contact_import.save(update_fields=["file"])
        replaced.append(old_name)
    return replaced
