"""Every file the service gives out that a spreadsheet program may open (CSV or XLSX) is written
here, and every cell of it passes through `spreadsheet_cell`: so no cell, whatever a resident
typed, can be run as a formula, and numbers stay numbers.

Writers: `csv_rows` (the lines of a CSV), `csv_download` (a CSV streamed in a response) and
`xlsx_write` (a workbook written row by row). tests/civic/test_exports.py finds every function
that calls one of them in the code and feeds each the same hostile cells, and fails if any other
module writes CSV or XLSX itself: a new export cannot skip the rule.

Workbooks are streamed into their zip row by row, so memory stays flat whatever the number of
rows (bench/consultations_export.py measures it).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import chain
from xml.sax.saxutils import escape

from django.http import StreamingHttpResponse

# Characters that XML 1.0, and so an XLSX file, cannot hold (C0 controls other than tab, line feed
# and carriage return; lone surrogates; U+FFFE and U+FFFF). They are taken out of every cell, of
# CSV files too, before the formula check: a check made first would let "\x01=HYPERLINK(…)" through
# and the stripping would then turn it into a live formula.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A cell whose first visible character is one of these is run as a formula by Excel, LibreOffice
# or Google Sheets (OWASP "CSV injection"); so is one starting with a tab or a line break.
# Full-width and small forms (U+FF1D, U+FE66, U+FF0B ...) count as the characters they fold to.
_FORMULA_STARTS = frozenset("=+-@")
_BREAKS = frozenset("\t\r\n")
_ASCII_SAFE = frozenset(chr(code) for code in range(0x21, 0x7F) if chr(code) not in _FORMULA_STARTS)


def _starts_like_a_formula(text: str) -> bool:
    """Whether the first character that is not blank or invisible folds to =, +, - or @."""
    for character in text:
        if character.isspace() or unicodedata.category(character) == "Cf":
            continue  # spaces, no-break spaces, zero-width and direction marks, byte-order marks
        return unicodedata.normalize("NFKC", character)[:1] in _FORMULA_STARTS
    return False


def spreadsheet_text(value: str) -> str:
    """Text as a spreadsheet cell: unwritable characters taken out first, then a leading
    apostrophe (the spreadsheet programs' own mark for "this is text") if what is left could be
    run as a formula."""
    if _UNWRITABLE.search(value):
        value = _UNWRITABLE.sub("", value)
    if not value or value[0] in _ASCII_SAFE:
        return value  # most cells: a letter or a digit first
    if value[0] in _BREAKS or _starts_like_a_formula(value):
        return "'" + value
    return value


def spreadsheet_cell(value) -> str | int | float | Decimal:
    """The one rule for every cell of every export: a number (int, float, Decimal) stays a
    number, which cannot be run as a formula; anything else becomes text through
    spreadsheet_text; None is an empty cell."""
    kind = value.__class__
    if kind is str:
        return spreadsheet_text(value) if value else value
    if kind is int:
        return value
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else str(value)
    return spreadsheet_text(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The lines of a CSV file, starting with a byte-order mark so that spreadsheet programs read
    it as UTF-8; every cell through spreadsheet_cell."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in chain([header], rows):
        yield writer.writerow([spreadsheet_cell(cell) for cell in row])


def csv_download(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# An XLSX file is a zip of XML parts; a one-sheet workbook of text and numbers needs only these
# (ECMA-376 part 1), the sheet itself streamed into the zip row by row.
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_RELATIONSHIPS}"><Relationship Id="rId1" '
        f'Type="{_DOCUMENT}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOCUMENT}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Style 0 for every cell, style 1 (bold) for the header row.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="2">'
        '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        "</cellStyles></styleSheet>"
    ),
}
# The header row stays in view while scrolling.
_SHEET_START = (
    f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews><sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"
_XLSX_ROWS, _XLSX_COLUMNS, _XLSX_TEXT = 1_048_576, 16_384, 32_767
# Excel reads _xHHHH_ in text as the character HHHH: a literal one is escaped as _x005F_xHHHH_.
_EXCEL_ESCAPE = re.compile("(_x[0-9A-Fa-f]{4}_)")
_MARKUP = re.compile("[&<>\r]|_x")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _xml_text(text: str) -> str:
    """Text for a <t> element: markup escaped, Excel's own escapes kept literal, and a carriage
    return written as Excel writes it (XML would read it back as a line feed)."""
    if len(text) > _XLSX_TEXT // 2 and len(text.encode("utf-16-le")) > 2 * _XLSX_TEXT:
        text = text.encode("utf-16-le")[: 2 * _XLSX_TEXT].decode("utf-16-le", "ignore")
    if _MARKUP.search(text):
        text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("\r", "_x000D_")
    if text[0].isspace() or text[-1].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _xlsx_row(number: int, row: Iterable, columns: list[str], style: str) -> str:
    cells = [f'<row r="{number}">']
    for index, value in enumerate(row):
        cell = spreadsheet_cell(value)
        if isinstance(cell, str):
            if cell:
                cells.append(
                    f'<c r="{columns[index]}{number}"{style} t="inlineStr"><is>'
                    f"{_xml_text(cell)}</is></c>"
                )
        else:
            cells.append(f'<c r="{columns[index]}{number}"{style}><v>{cell}</v></c>')
    cells.append("</row>")
    return "".join(cells)


def xlsx_write(header: list[str], rows: Iterable[Iterable], destination, *, sheet: str) -> None:
    """Write a one-sheet workbook to a path or a seekable binary file, the header row in bold;
    every cell through spreadsheet_cell: text as text (never a formula), numbers as numbers,
    empty cells left out. Rows are streamed into the file's zip as they come, so memory stays
    flat whatever their number.

    Written here rather than with a library: XlsxWriter's constant-memory mode, made for this,
    spent about seventeen times as long per cell as this writer, which put a 100,000-response
    export over its 20-second aim; openpyxl's write-only mode was slower still (see
    docs/exports.md)."""
    columns = [_column_name(index) for index in range(len(header))]
    name = _SHEET_NAME_FORBIDDEN.sub(" ", sheet)[:31].strip() or "Sheet1"
    workbook = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOCUMENT}"><sheets>'
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for part, content in [*_PARTS.items(), ("xl/workbook.xml", workbook)]:
            package.writestr(part, _DECLARATION + content)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            sheet_xml = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            sheet_xml.write(_DECLARATION + _SHEET_START)
            sheet_xml.write(_xlsx_row(1, header, columns, ' s="1"'))
            for number, row in enumerate(rows, start=2):
                if not isinstance(row, list | tuple):
                    row = list(row)
                if number > _XLSX_ROWS:
                    raise ValueError(f"An XLSX sheet holds at most {_XLSX_ROWS:,} rows")
                if len(row) > len(columns):
                    columns += [_column_name(index) for index in range(len(columns), len(row))]
                    if len(columns) > _XLSX_COLUMNS:
                        raise ValueError(f"An XLSX sheet holds at most {_XLSX_COLUMNS:,} columns")
                sheet_xml.write(_xlsx_row(number, row, columns, ""))
            sheet_xml.write(_SHEET_END)
            sheet_xml.flush()
            sheet_xml.detach()
