"""A segment with five conditions over 500,000 contacts on PostgreSQL (issue 3: under a second).

    .venv/bin/python bench/contacts_segment.py        (part of `make bench`)

Loads 500,000 contacts of one organisation (tags, areas, consent history, activity) into the
civic_segments_bench database with set-based SQL, then times, in the same run: the plain count of
the organisation's contacts (the baseline: one index scan) and the count of a five-condition
segment built by contacts.segments. Medians of 5 runs each after a warm-up. Environment:
BENCH_CONTACTS (default 500000).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/civic_segments_bench"
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "500000"))

DEFINITION = {
    "match": "all",
    "conditions": [
        {"field": "consent", "value": "newsletter"},
        {"field": "joined_after", "value": "2020-01-01"},
        {
            "match": "any",
            "conditions": [
                {"field": "tag", "value": "cyclists"},
                {"field": "area", "value": "E05000003"},
                {"field": "took_part_kind", "value": "signature"},
            ],
        },
    ],
}


def load(connection, organisation_id: int, content_type_id: int) -> None:
    """Contacts, tags, consent history and activity, made by the database itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO civic_area (organisation_id, code, name, population) "
            "SELECT %s, 'E0500000' || n, 'Ward ' || n, 10000 FROM generate_series(1, 9) n",
            [organisation_id],
        )
        cursor.execute(
            "INSERT INTO contacts_contact (organisation_id, kind, email, name, phone, postcode, "
            "area_id, represents, source, notes, created_at) "
            "SELECT %s, 'person', 'person' || n || '@example.org', 'Person ' || n, '', '', "
            "(SELECT id FROM civic_area WHERE organisation_id = %s ORDER BY id "
            " OFFSET (n %% 9) LIMIT 1), '', "
            "(ARRAY['import','survey','petition','event','sign_up'])[1 + n %% 5], '', "
            "now() - ((n %% 2500) || ' days')::interval FROM generate_series(1, %s) n",
            [organisation_id, organisation_id, CONTACTS],
        )
        cursor.execute(
            "INSERT INTO contacts_tag (organisation_id, name) VALUES (%s, 'cyclists'), "
            "(%s, 'parents'), (%s, 'businesses')",
            [organisation_id] * 3,
        )
        cursor.execute(
            "INSERT INTO contacts_contact_tags (contact_id, tag_id) "
            "SELECT c.id, t.id FROM contacts_contact c JOIN contacts_tag t "
            "ON t.organisation_id = c.organisation_id "
            "WHERE (t.name = 'cyclists' AND c.id %% 7 = 0) "
            "OR (t.name = 'parents' AND c.id %% 5 = 0)",
            [],
        )
        cursor.execute(
            "INSERT INTO contacts_consentpurpose (organisation_id, slug, name, description, "
            "object_id) VALUES (%s, 'newsletter', 'Newsletter', 'Monthly news', '') RETURNING id",
            [organisation_id],
        )
        purpose_id = cursor.fetchone()[0]
        # Two thirds gave consent; one in six of those later withdrew it.
        cursor.execute(
            "INSERT INTO contacts_consentevent (contact_id, purpose_id, action, method, wording, "
            "created_at) SELECT id, %s, 'given', 'form', 'Yes', created_at FROM contacts_contact "
            "WHERE id %% 3 <> 0",
            [purpose_id],
        )
        cursor.execute(
            "INSERT INTO contacts_consentevent (contact_id, purpose_id, action, method, wording, "
            "created_at) SELECT id, %s, 'withdrawn', 'unsubscribe', '', created_at + interval "
            "'1 day' FROM contacts_contact WHERE id %% 3 <> 0 AND id %% 6 = 1",
            [purpose_id],
        )
        cursor.execute(
            "INSERT INTO contacts_activity (contact_id, kind, content_type_id, object_id, "
            "item_title, occurred_at, reference) SELECT id, "
            "(ARRAY['response','signature','rsvp'])[1 + id %% 3], %s, '1', 'An item', "
            "created_at, 'r' || id FROM contacts_contact WHERE id %% 2 = 0",
            [content_type_id],
        )
        cursor.execute("ANALYZE")


def median_seconds(action, runs: int = 5) -> float:
    action()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="civic-segments-bench-"))
    env = harness.civic_env(workdir, DATABASE_URL=DATABASE_URL)
    harness.recreate_database(DATABASE_URL)
    harness.manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from civic.models import Organisation
    from contacts.models import Contact
    from contacts.segments import segment_queryset

    organisation = Organisation.objects.create(name="Bench Council", slug="bench")
    started = time.perf_counter()
    load(connection, organisation.pk, ContentType.objects.get_for_model(Organisation).pk)
    loaded_in = time.perf_counter() - started

    def baseline():
        return Contact.objects.filter(organisation=organisation).count()

    def segment():
        return segment_queryset(organisation=organisation, definition=DEFINITION).count()

    total, matched = baseline(), segment()
    base_seconds = median_seconds(baseline)
    segment_seconds = median_seconds(segment)
    print(f"contacts loaded: {total:,} in {loaded_in:.1f} s; the segment matches {matched:,}")
    print(f"{'query':<42}{'median s':>10}")
    print(f"{'count of the organisation (baseline)':<42}{base_seconds:>10.3f}")
    print(f"{'segment of five conditions':<42}{segment_seconds:>10.3f}")
    ratio = segment_seconds / base_seconds if base_seconds else float("inf")
    print(
        f"segment/baseline: {ratio:.1f}x; target under 1 s: "
        f"{'met' if segment_seconds < 1 else 'NOT met'}"
    )
    harness.write_results(
        "contacts_segment",
        {
            "contacts": total,
            "matched": matched,
            "baseline_seconds": base_seconds,
            "segment_seconds": segment_seconds,
            "ratio": ratio,
        },
    )
    return 0 if segment_seconds < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
