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
as approval ballots in Pabulib. Every vote is checked against the limits the META section sets
(min_length, max_length, min_sum_cost, max_sum_cost; choose-1 is at most one project), or those a
caller gives (`limits`), and a vote that breaks one is refused with its line.

Voters' own columns are not kept: the election holds ballots only. The writer streams one line
per voter with ids 1, 2, 3, ... in an order that says nothing about who voted when (the canonical
order of the distinct ballots), so an exported file is anonymous; it quotes fields as the format
says.
"""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

import numpy as np
from django.utils.translation import gettext, gettext_lazy

from budgets.allocation.election import Election, Money, Project, money
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


@dataclass(frozen=True)
class BallotLimits:
    """What one vote may hold: how many projects, and what they may cost in all. Each limit
    names where it came from (a META key, or "budget"), for the message about a vote."""

    least_projects: int = 0
    most_projects: int | None = None
    least_cost: Money = 0
    most_cost: Money | None = None
    least_projects_key: str = "min_length"
    most_projects_key: str = "max_length"
    least_cost_key: str = "min_sum_cost"
    most_cost_key: str = "max_sum_cost"

    @property
    def limits_cost(self) -> bool:
        return bool(self.least_cost) or self.most_cost is not None

    def problem(self, count: int, cost: Money) -> str | None:
        """What is wrong with a vote of `count` projects costing `cost` in all, or None."""
        checks = (
            (count < self.least_projects, FEWER, count, self.least_projects,
             self.least_projects_key),
            (self.most_projects is not None and count > self.most_projects, MORE, count,
             self.most_projects, self.most_projects_key),
            (cost < self.least_cost, CHEAPER, cost, self.least_cost, self.least_cost_key),
            (self.most_cost is not None and cost > self.most_cost, DEARER, cost, self.most_cost,
             self.most_cost_key),
        )  # fmt: skip
        for broken, words, figure, limit, key in checks:
            if broken:
                return str(words) % {"figure": figure, "limit": limit, "key": key}
        return None


# What a vote that breaks a limit is told, after "Line 40: ".
FEWER = gettext_lazy(
    "the vote chooses %(figure)s projects, fewer than the %(limit)s a ballot must choose "
    "(%(key)s in the META section)."
)
MORE = gettext_lazy(
    "the vote chooses %(figure)s projects, more than the %(limit)s a ballot may choose "
    "(%(key)s in the META section)."
)
CHEAPER = gettext_lazy(
    "the vote's projects cost %(figure)s in all, less than the %(limit)s a ballot must spend "
    "(%(key)s in the META section)."
)
DEARER = gettext_lazy(
    "the vote's projects cost %(figure)s in all, more than the %(limit)s a ballot may spend "
    "(%(key)s in the META section)."
)


def ballot_limits(meta: Mapping[str, str]) -> BallotLimits:
    """The limits the META section sets on every vote; a PabulibError for a value that is not
    one, or a least above a most."""
    least_projects = _meta_number(meta, "min_length", whole=True)
    most_projects = _meta_number(meta, "max_length", whole=True)
    if meta.get("vote_type", "").strip().lower() == "choose-1":
        if most_projects is not None and most_projects != 1:
            raise PabulibError(
                gettext(
                    "The META section's vote_type is choose-1 but its max_length is %(most)s: "
                    "make them agree."
                )
                % {"most": most_projects}
            )
        most_projects = 1
    least_cost = _meta_number(meta, "min_sum_cost")
    most_cost = _meta_number(meta, "max_sum_cost")
    for least, most, names in (
        (least_projects, most_projects, ("min_length", "max_length")),
        (least_cost, most_cost, ("min_sum_cost", "max_sum_cost")),
    ):
        if least is not None and most is not None and least > most:
            raise PabulibError(
                gettext("The META section's %(least)s is more than its %(most)s.")
                % {"least": names[0], "most": names[1]}
            )
    return BallotLimits(
        least_projects=least_projects or 0,
        most_projects=most_projects,
        least_cost=least_cost or 0,
        most_cost=most_cost,
        most_projects_key="max_length" if meta.get("max_length") else "vote_type choose-1",
    )


def _meta_number(meta: Mapping[str, str], key: str, *, whole: bool = False) -> Money | None:
    """A META value that is a number of projects (`whole`) or an amount, or None if absent."""
    value = meta.get(key, "").strip()
    if not value:
        return None
    try:
        number = int(value) if whole else money(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0:
        kind = gettext("a whole number") if whole else gettext("an amount")
        raise PabulibError(
            gettext("The META section's %(key)s, %(value)s, is not %(kind)s.")
            % {"key": key, "value": value, "kind": kind}
        )
    return number


def read_pabulib(
    lines: Iterable[str], *, limits: Callable[[Mapping[str, str]], BallotLimits] = ballot_limits
) -> Election:
    """An election from the lines of a `.pb` file (an open text file, or `io.StringIO`).

    Open files with `newline=""` so that a quoted field that holds a line break is read whole.
    `limits` gives, from the META section, what every vote may hold (by default the META's own
    limits); the first vote that breaks them is refused with its line.
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
    rules = BallotLimits()
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
                rules = limits(meta)
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
            cost = sum(projects[position].cost for position in ballot) if rules.limits_cost else 0
            problem = rules.problem(len(ballot), cost)
            if problem:
                raise PabulibError(
                    gettext("Line %(line)s: %(problem)s")
                    % {"line": rows.line_num, "problem": problem}
                )
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


def read_pabulib_text(
    text: str, *, limits: Callable[[Mapping[str, str]], BallotLimits] = ballot_limits
) -> Election:
    return read_pabulib(io.StringIO(text, newline=""), limits=limits)


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
