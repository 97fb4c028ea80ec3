"""Reading and writing elections in the Pabulib format (`.pb`), the research community's format.

A `.pb` file (pabulib.org/format) is UTF-8 text in three sections, each a title line (META,
PROJECTS, VOTES), a header line of column names and rows, semicolon-separated with CSV quoting
(a field holding a semicolon or a double quote is quoted, and its quotes doubled):

- META: `key;value` rows: description, country, unit, instance, num_projects, num_votes,
  budget, vote_type, rule and optional keys (subunit, min_length, max_sum_cost, ...);
- PROJECTS: `project_id;cost` and optional columns (name, category, target, votes, selected);
- VOTES: `voter_id;vote` (the chosen project ids, comma-separated) and optional columns
  (age, sex, voting_method, ...).

civic reads approval ballots (vote_type `approval`, or `choose-1`); knapsack elections are filed
as approval ballots in Pabulib. Voters' own columns are not kept: the election holds ballots
only. The writer streams one line per voter with ids 1, 2, 3, ... in an order that says nothing
about who voted when (the canonical order of the distinct ballots), so an exported file is
anonymous; it quotes fields as the format says.
"""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TextIO

import numpy as np
from django.utils.translation import gettext

from budgets.allocation.election import Election, Project, money
from budgets.allocation.rules import Result
from civic.exports import spreadsheet_text

APPROVAL_TYPES = ("approval", "choose-1")
META_FIRST = ("description", "country", "unit", "subunit", "instance")
META_COUNTED = ("num_projects", "num_votes", "budget", "vote_type")
PROJECT_COLUMNS = ("project_id", "cost", "name")
RESULT_COLUMNS = ("votes", "selected")


class PabulibError(ValueError):
    """The file is not a Pabulib election civic can read; the message says where and why, in
    words an officer can act on."""


def read_pabulib(lines: Iterable[str]) -> Election:
    """An election from the lines of a `.pb` file (an open text file, or `io.StringIO`).

    Open files with `newline=""` so that a quoted field that holds a line break is read whole.
    """
    rows = csv.reader(_without_bom(lines), delimiter=";")
    meta: dict[str, str] = {}
    projects: list[Project] = []
    index: dict[str, int] = {}
    starts = array("q", [0])
    chosen = array("i")
    section = None
    header: list[str] = []
    seen: set[str] = set()
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        title = row[0].strip().lower()
        if title in ("meta", "projects", "votes") and not any(cell.strip() for cell in row[1:]):
            if title in seen:
                raise PabulibError(
                    gettext("Line %(line)s: the %(section)s section appears twice.")
                    % {"line": rows.line_num, "section": title.upper()}
                )
            seen.add(title)
            section = title
            header = [name.strip().lower() for name in next(rows, [])]
            _check_header(section, header, rows.line_num)
            if section == "votes":
                _check_meta(meta)
            continue
        values = dict(zip(header, (value.strip() for value in row), strict=False))
        if section == "meta":
            meta[row[0].strip()] = row[1].strip() if len(row) > 1 else ""
        elif section == "projects":
            project = _project(values, rows.line_num)
            if project.id in index:
                raise PabulibError(
                    gettext("Line %(line)s: project %(id)s is listed twice.")
                    % {"line": rows.line_num, "id": project.id}
                )
            index[project.id] = len(projects)
            projects.append(project)
        elif section == "votes":
            ballot = set()
            for project_id in values.get("vote", "").split(","):
                project_id = project_id.strip()
                if not project_id:
                    continue
                if project_id not in index:
                    raise PabulibError(
                        gettext(
                            "Line %(line)s: the vote names project %(id)s, which is not in the "
                            "PROJECTS section."
                        )
                        % {"line": rows.line_num, "id": project_id}
                    )
                ballot.add(index[project_id])
            chosen.extend(sorted(ballot))
            starts.append(len(chosen))
        else:
            raise PabulibError(
                gettext("Line %(line)s: the file must start with a META section.")
                % {"line": rows.line_num}
            )
    missing = [name.upper() for name in ("meta", "projects", "votes") if name not in seen]
    if missing:
        raise PabulibError(
            gettext("The file has no %(sections)s section.") % {"sections": " or ".join(missing)}
        )
    ballots = len(starts) - 1
    for key, counted in (("num_projects", len(projects)), ("num_votes", ballots)):
        stated = meta.get(key, "")
        if stated.isdigit() and int(stated) != counted:
            raise PabulibError(
                gettext(
                    "The META section says %(key)s is %(stated)s but the file holds %(counted)s: "
                    "it may have been cut short. Export it again and upload the whole file."
                )
                % {"key": key, "stated": stated, "counted": counted}
            )
    return Election.from_csr(
        projects=projects,
        budget=_budget(meta),
        starts=np.frombuffer(starts, dtype=np.int64),
        chosen=np.frombuffer(chosen, dtype=np.int32),
        meta=meta,
    )


def read_pabulib_text(text: str) -> Election:
    return read_pabulib(io.StringIO(text, newline=""))


def write_pabulib(
    election: Election,
    out: TextIO,
    *,
    meta: Mapping[str, str] | None = None,
    result: Result | None = None,
) -> None:
    """Write the election as a `.pb` file to `out`, one line per voter, voters numbered from 1.

    `meta` adds to or overrides the election's own META keys (description, country, unit,
    subunit, instance, rule, ...); num_projects, num_votes, budget and vote_type are always
    worked out from the election. With `result` (the method the process chose), each project
    also gets the `votes` and `selected` (1 or 0) columns that Pabulib's own files carry.

    A `.pb` file is semicolon-separated text that a spreadsheet program opens too, and project
    names are residents' words, so every text cell (names, META values, extra columns) goes
    through civic.exports.spreadsheet_text, the one rule for an export's cells: nothing in it
    runs as a formula. Ids, costs and votes are written as they are (a vote lists ids). A line
    break in text is written as a line feed, inside quotes, so that it reads back in one field
    (the csv module quotes a field for a line feed but not for a lone carriage return).
    """
    for project in election.projects:
        if "," in project.id or project.id != project.id.strip():
            raise ValueError(
                f"project id {project.id!r} holds a comma or spaces at its ends, which a "
                "Pabulib vote cannot list"
            )
    keys = dict(election.meta)
    keys.update(meta or {})
    keys.update(
        num_projects=str(len(election.projects)),
        num_votes=str(election.voters),
        budget=str(election.budget),
        vote_type="approval",
    )
    keys.setdefault("rule", "")
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(("key", "value"))
    ordered = [key for key in (*META_FIRST, *META_COUNTED, "rule") if key in keys]
    ordered += [key for key in keys if key not in ordered]
    for key in ordered:
        writer.writerow((key, _text(keys[key])))
    out.write("PROJECTS\n")
    extra = []
    for project in election.projects:
        extra += [column for column in project.details if column not in extra]
    # A result's columns replace any the election brought from the file it was read from.
    outcome = RESULT_COLUMNS if result is not None else ()
    extra = [column for column in extra if column not in (*PROJECT_COLUMNS, *outcome)]
    if result is not None:
        funded = set(result.funded)
        votes = election.votes.tolist()
    writer.writerow((*PROJECT_COLUMNS, *extra, *outcome))
    for position, project in enumerate(election.projects):
        row = [
            project.id,
            str(project.cost),
            _text(project.name),
            *(_text(project.details.get(column, "")) for column in extra),
        ]
        if result is not None:
            row += [str(votes[position]), "1" if project.id in funded else "0"]
        writer.writerow(row)
    out.write("VOTES\n")
    writer.writerow(("voter_id", "vote"))
    voter = 0
    for project_ids, count in election.ballots():
        vote = ",".join(project_ids)
        writer.writerows((voter + number, vote) for number in range(1, count + 1))
        voter += count


def _text(value: str) -> str:
    """A text cell of a `.pb` file: line breaks as line feeds, then the rule for every export."""
    return spreadsheet_text(value.replace("\r\n", "\n").replace("\r", "\n"))


def pabulib_text(
    election: Election, *, meta: Mapping[str, str] | None = None, result: Result | None = None
) -> str:
    out = io.StringIO(newline="")
    write_pabulib(election, out, meta=meta, result=result)
    return out.getvalue()


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def _check_header(section: str, header: list[str], line: int) -> None:
    needed = {"meta": ("key", "value"), "projects": ("project_id", "cost"), "votes": ("vote",)}
    missing = [column for column in needed[section] if column not in header]
    if missing:
        raise PabulibError(
            gettext("Line %(line)s: the %(section)s header has no %(columns)s column.")
            % {"line": line, "section": section.upper(), "columns": " or ".join(missing)}
        )


def _check_meta(meta: Mapping[str, str]) -> None:
    vote_type = meta.get("vote_type", "approval").strip().lower()
    if vote_type not in APPROVAL_TYPES:
        raise PabulibError(
            gettext(
                "The file's ballots are %(type)s ballots; civic reads approval ballots only "
                "(vote_type approval)."
            )
            % {"type": vote_type}
        )
    _budget(meta)


def _budget(meta: Mapping[str, str]) -> int | Decimal:
    try:
        return money(meta["budget"])
    except KeyError:
        raise PabulibError(gettext("The META section has no budget.")) from None
    except (TypeError, ValueError):
        raise PabulibError(
            gettext("The META section's budget, %(value)s, is not an amount.")
            % {"value": meta["budget"]}
        ) from None


def _project(values: Mapping[str, str], line: int) -> Project:
    project_id = values.get("project_id", "")
    if not project_id:
        raise PabulibError(
            gettext("Line %(line)s: the project has no project_id.") % {"line": line}
        )
    try:
        cost = money(values.get("cost", ""))
    except (TypeError, ValueError):
        cost = None
    if cost is None or cost <= 0:
        raise PabulibError(
            gettext("Line %(line)s: project %(id)s's cost, %(cost)s, is not an amount above zero.")
            % {"line": line, "id": project_id, "cost": values.get("cost", "")}
        )
    details = {
        column: value for column, value in values.items() if column not in PROJECT_COLUMNS and value
    }
    return Project(id=project_id, cost=cost, name=values.get("name", ""), details=details)
