"""Contact import: 100,000 CSV rows through contact_import_run on PostgreSQL, against a target.

    .venv/bin/python bench/contacts_import.py

Generates a CSV of 100,000 rows (name, phone, postcode, a tag, consent for half of them, and a
few bad and duplicate e-mail addresses) in a temporary directory, recreates and migrates the
civic_bench_imp database, then times the dry run and the import as the worker runs them, in one
process with civic's production settings. The target is the whole import in under 60 seconds;
the ratio to the target is printed (below 1.0 is inside it). Results are also written to
bench/results/contacts_import.json.

Environment: BENCH_IMPORT_ROWS (default 100000).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = f"postgres://postgres@{harness.LOCALHOST}:5432/civic_bench_imp"
REDIS_URL = f"redis://{harness.LOCALHOST}:6379/5"
CELERY_BROKER_URL = f"redis://{harness.LOCALHOST}:6379/6"
TARGET_SECONDS = 60.0
POSTCODES = ["M1 1AE", "M4 6AA", "M3 2BB", "M13 9PL", "M14 5TQ", "M20 2RN", "M8 8EP", "M9 4DH"]
TAGS = ["Cyclists", "Parks", "Libraries", "Young people", "Transport"]


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def write_csv(path: Path, rows: int) -> dict:
    """The file, and what it holds: 1 in 200 rows a bad address, 1 in 100 a duplicate."""
    bad = duplicates = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Email", "Name", "Phone", "Postcode", "Tag", "Consent date", "Consent source"]
        )
        for number in range(rows):
            if number % 200 == 199:
                email, bad = f"person{number}-at-example.org", bad + 1
            elif number % 100 == 50 and number > 100:
                email, duplicates = f"PERSON{number - 1}@example.org", duplicates + 1
            else:
                email = f"person{number}@example.org"
            consent = number % 2 == 0
            writer.writerow(
                [
                    email,
                    f"Person {number}",
                    f"0161 {number:07d}"[:13],
                    POSTCODES[number % len(POSTCODES)],
                    TAGS[number % len(TAGS)],
                    f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}" if consent else "",
                    "Summer fair" if consent else "",
                ]
            )
    return {"rows": rows, "bad_emails": bad, "duplicates": duplicates}


def recreate_database() -> None:
    from psycopg import sql

    name = harness._database_name(DATABASE_URL)
    if name != "civic_bench_imp":
        raise harness.BenchError(f"refusing to drop {name!r}")
    with harness._maintenance_connection(DATABASE_URL) as connection:
        identifier = sql.Identifier(name)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


MEASURE = """
import json, time
from django.core.files import File
from civic.models import Area, Organisation, Postcode, Role, User
from contacts.models import ConsentPurpose, Contact, ConsentEvent, ContactImport
from contacts.services import imports

council = Organisation.objects.create(name="Bench council", slug="bench-council")
ward = Area.objects.create(organisation=council, code="E05000001", name="Ancoats")
for code in {postcodes!r}[:4]:
    Postcode.objects.create(organisation=council, postcode=code, area=ward)
officer = User.objects.create_user(email="facilitator@example.org", password="x" * 20)
Role.objects.create(user=officer, organisation=council, kind=Role.Kind.FACILITATOR)
purpose = ConsentPurpose.objects.create(
    organisation=council, slug="news", name="News", description="News"
)
with open({path!r}, "rb") as handle:
    contact_import = imports.contact_import_upload(
        actor=officer, organisation=council, uploaded_file=File(handle, name="contacts.csv")
    )
started = time.perf_counter()
imports.contact_import_dry_run(
    actor=officer, contact_import=contact_import, existing="fill", consent_purpose=purpose
)
dry_run = time.perf_counter() - started
would = (contact_import.created_count, contact_import.updated_count, contact_import.skipped_count)
# Queued as contact_import_start does, without sending a message to a worker.
ContactImport.objects.filter(pk=contact_import.pk).update(
    status="queued", total_rows=0, processed_rows=0, created_count=0, updated_count=0,
    skipped_count=0, problems=[],
)
started = time.perf_counter()
done = imports.contact_import_run(contact_import_id=contact_import.pk)
seconds = time.perf_counter() - started
print(json.dumps({{
    "dry_run_seconds": dry_run,
    "seconds": seconds,
    "status": done.status,
    "total_rows": done.total_rows,
    "processed_rows": done.processed_rows,
    "would": would,
    "counts": [done.created_count, done.updated_count, done.skipped_count],
    "contacts": Contact.objects.count(),
    "consent_events": ConsentEvent.objects.count(),
}}))
"""


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    with tempfile.TemporaryDirectory(prefix="civic-bench-import-") as tmp:
        workdir = Path(tmp)
        path = workdir / "contacts.csv"
        shape = write_csv(path, rows)
        print(f"{rows} rows written to a CSV of {path.stat().st_size / 1e6:.1f} MB", flush=True)
        env = harness.civic_env(
            workdir,
            DATABASE_URL=DATABASE_URL,
            REDIS_URL=REDIS_URL,
            CELERY_BROKER_URL=CELERY_BROKER_URL,
        )
        try:
            recreate_database()
            harness.manage("migrate", "--noinput", env=env)
            code = MEASURE.format(path=str(path), postcodes=POSTCODES)
            result = harness.manage("shell", "--no-imports", "-c", code, env=env)
        except harness.BenchError as error:
            print(error, file=sys.stderr)
            return 2
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    expected_created = rows - shape["bad_emails"] - shape["duplicates"]
    ok = (
        figures["status"] == "done"
        and figures["processed_rows"] == rows
        and figures["counts"] == [expected_created, 0, rows - expected_created]
        and figures["contacts"] == expected_created
    )
    rate = rows / figures["seconds"]
    ratio = figures["seconds"] / TARGET_SECONDS
    dry_run = figures["dry_run_seconds"]
    print(f"dry run:  {dry_run:.1f} s ({rows / dry_run:,.0f} rows/s)")
    print(f"import:   {figures['seconds']:.1f} s ({rate:,.0f} rows/s)")
    print(f"target:   {TARGET_SECONDS:.0f} s; ratio import/target = {ratio:.2f}")
    print(
        f"created {figures['counts'][0]}, updated {figures['counts'][1]}, skipped "
        f"{figures['counts'][2]}; {figures['consent_events']} consent events; "
        f"{'as expected' if ok else 'NOT AS EXPECTED'}"
    )
    harness.write_results(
        "contacts_import",
        {"machine": harness.machine(), "shape": shape, **figures, "rows_per_second": rate,
         "target_seconds": TARGET_SECONDS, "ratio_to_target": ratio, "as_expected": ok},
    )  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
