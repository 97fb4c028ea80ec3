"""Demo data of the petitions app, run by `manage.py seed_demo` (safe to run again).

Northbridge gets a petition scheme (a Democratic Services team that Priya Shah, the demo officer,
works in; five supporters; a response at 500 signatures and a debate at 2,500) and a petition in
every state: one gathering supporters, two in the moderation queue (one overdue), a viral one
with thousands of confirmed signatures across the wards and a debate scheduled, one awaiting a
response, one responded, one debated, one closed, one rejected, one rejected and hidden, and one
removed. A petition is looked up by its title and left alone if it exists; signatures are made as
rows from a fixed random seed and counted as the worker would count them.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from civic import demo
from civic.models import Area, Department, Role
from petitions.models import Petition, PetitionPolicy, Signature, Threshold
from petitions.services.counting import petition_count
from petitions.services.signing import signature_email_key

FIRST_NAMES = ["Amira", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hamza", "Isla", "Jon"]
SURNAMES = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fox", "Green", "Hughes", "Khan"]

# title, background, status, days since it opened (or was sent), confirmed signatures, extras
PETITIONS = [
    {
        "title": "Reopen the public toilets in Piccadilly Gardens",
        "background": "Since the toilets closed, older people and families with small children "
        "avoid the gardens. Reopen them, staffed in the daytime.",
        "status": Petition.Status.OPEN,
        "opened": 40,
        "signatures": 3120,
        "debate_in_days": 16,
    },
    {
        "title": "Put a pedestrian crossing on Great Ancoats Street by the school",
        "background": "Children cross four lanes of traffic to reach the primary school.",
        "status": Petition.Status.OPEN,
        "opened": 12,
        "signatures": 37,
    },
    {
        "title": "Keep the Castlefield library open on Saturdays",
        "background": "Saturday is the only day many working families can visit.",
        "status": Petition.Status.OPEN,
        "opened": 70,
        "signatures": 640,
    },
    {
        "title": "Plant street trees along Oxford Road",
        "background": "Oxford Road is hot in summer and has almost no trees.",
        "status": Petition.Status.OPEN,
        "opened": 120,
        "signatures": 812,
        "response": "Thank you for this petition. We will plant 45 street trees along Oxford Road "
        "this winter, paid for by the Urban Tree Fund, and consult residents on where.",
    },
    {
        "title": "Make the riverside path lit all night",
        "background": "The towpath is the quickest way home from the station but is unlit after "
        "10pm.",
        "status": Petition.Status.OPEN,
        "opened": 175,
        "signatures": 2704,
        "debated": True,
    },
    {
        "title": "Bring back free swimming for under-16s in the summer holidays",
        "background": "Free swimming kept thousands of children active and safe.",
        "status": Petition.Status.OPEN,
        "opened": 200,
        "signatures": 120,
    },
    {
        "title": "Ban cars from every road in Northbridge",
        "background": "Cars are the cause of all our problems.",
        "status": Petition.Status.REJECTED,
        "opened": 30,
        "reason": Petition.Reason.UNCLEAR,
        "explanation": "The council cannot close every road, including the motorways it does not "
        "run. A petition asking for a car-free zone in a named area would be accepted.",
    },
    {
        "title": "Sack the leader of the council",
        "background": "(hidden for legal reasons)",
        "status": Petition.Status.HIDDEN,
        "opened": 25,
        "reason": Petition.Reason.PERSONAL,
        "explanation": "Petitions cannot be about a named person.",
    },
    {
        "title": "Buy my business's advertising boards",
        "background": "(removed)",
        "status": Petition.Status.REMOVED,
        "opened": 20,
    },
    {
        "title": "Open a skate park in Riverside",
        "background": "Young people have nowhere to skate except the shopping centre car park.",
        "status": Petition.Status.PENDING,
        "opened": 9,  # in the queue for nine days: overdue
        "signatures": 6,
    },
    {
        "title": "Add a second bin collection in December",
        "background": "Bins overflow after Christmas every year.",
        "status": Petition.Status.PENDING,
        "opened": 1,
        "signatures": 6,
    },
    {
        "title": "Install water fountains in the city's parks",
        "background": "Plastic bottles litter the parks all summer.",
        "status": Petition.Status.SPONSORING,
        "opened": 2,
        "signatures": 4,  # the creator and three of the five supporters
    },
]


def seed_petitions(*, organisations: dict) -> None:
    organisation = organisations["northbridge"]
    team, _created = Department.objects.get_or_create(
        organisation=organisation, slug="democratic", defaults={"name": "Democratic Services"}
    )
    for role in Role.objects.filter(
        organisation=organisation, kind=Role.Kind.OFFICER, user__email="officer@northbridge.example"
    ):
        role.departments.add(team)
    policy, created = PetitionPolicy.objects.get_or_create(
        organisation=organisation, defaults={"department": team}
    )
    if created:
        Threshold.objects.create(policy=policy, kind=Threshold.Kind.RESPONSE, signatures=500)
        Threshold.objects.create(policy=policy, kind=Threshold.Kind.DEBATE, signatures=2500)
    areas = list(Area.objects.filter(organisation=organisation).prefetch_related("postcodes"))
    randomness = random.Random(6)
    now = timezone.now()
    for spec in PETITIONS:
        if Petition.objects.filter(organisation=organisation, title=spec["title"]).exists():
            continue
        petition = _petition(organisation, team, policy, spec, now)
        _signatures(petition, spec.get("signatures", 0), areas, randomness, now)
        petition_count(petition_id=petition.pk)


def _petition(organisation, team, policy, spec: dict, now) -> Petition:
    started = now - timedelta(days=spec["opened"] + 8)
    petition = Petition(
        organisation=organisation,
        department=team,
        creator_name="Rosa Resident",
        title=spec["title"],
        background=spec["background"],
        status=spec["status"],
        created_at=started,
    )
    if spec["status"] != Petition.Status.SPONSORING:
        petition.submitted_at = now - timedelta(days=spec["opened"])
    if spec["status"] in (Petition.Status.OPEN, Petition.Status.REMOVED):
        petition.opened_at = now - timedelta(days=spec["opened"])
        petition.closes_at = petition.opened_at + timedelta(days=policy.open_days)
    if spec["status"] in (Petition.Status.REJECTED, Petition.Status.HIDDEN):
        petition.rejection_reason = spec["reason"]
        petition.rejection_details = spec["explanation"]
        petition.moderated_at = petition.submitted_at + timedelta(days=2)
    if spec["status"] == Petition.Status.REMOVED:
        petition.removed_reason = "It advertised a business."
    signatures = spec.get("signatures", 0)
    # Thresholds already crossed were told to the team when they were crossed.
    for threshold in policy.thresholds.all():
        if petition.opened_at and signatures >= threshold.signatures:
            crossed = petition.opened_at + timedelta(days=5)
            if threshold.kind == Threshold.Kind.RESPONSE:
                petition.response_due_at = crossed
            else:
                petition.debate_due_at = crossed
    if spec.get("response"):
        petition.response = spec["response"]
        petition.responded_at = now - timedelta(days=10)
    if spec.get("debate_in_days"):
        petition.debate_date = (now + timedelta(days=spec["debate_in_days"])).date()
    if spec.get("debated"):
        petition.debate_date = (now - timedelta(days=20)).date()
        petition.debate_summary = (
            "Full council agreed to light the towpath between the station and Riverside by "
            "next autumn, and to ask the Canal and River Trust to share the cost."
        )
        petition.debate_minutes_url = "https://northbridge.example/council/minutes"
        petition.debate_video_url = "https://northbridge.example/council/webcast"
        petition.debated_at = now - timedelta(days=18)
        petition.response = "The council will light the towpath; see the debate below."
        petition.responded_at = now - timedelta(days=30)
    petition.save()
    return petition


def _signatures(petition: Petition, count: int, areas: list, randomness, now) -> None:
    """Confirmed signatures spread over the wards (about one in twelve from outside them)."""
    if not count:
        return
    start = petition.opened_at or petition.created_at
    rows = []
    for number in range(count):
        name = f"{randomness.choice(FIRST_NAMES)} {randomness.choice(SURNAMES)}"
        email = f"signer{number}.petition{petition.pk}@example.net"
        area = randomness.choice(areas) if randomness.random() > 0.08 else None
        postcodes = [postcode.postcode for postcode in area.postcodes.all()] if area else []
        signed = start + timedelta(seconds=randomness.randint(0, 86400 * 5))
        rows.append(
            Signature(
                petition=petition,
                name=name,
                email=email,
                email_normalised=signature_email_key(email),
                postcode=randomness.choice(postcodes) if postcodes else "SW1A 1AA",
                area=area,
                status=Signature.Status.CONFIRMED,
                is_supporter=number < 5,
                hears_progress=randomness.random() < 0.4,
                created_at=signed,
                confirmed_at=signed + timedelta(minutes=randomness.randint(1, 120)),
                # Demo signers are not made contacts: the counts are what the demo shows.
                recorded_at=now,
            )
        )
    Signature.objects.bulk_create(rows, batch_size=2000)


demo.register(seed_petitions, order=30)
