"""seed_demo gives Northbridge an open debate linked to a consultation, with endorsed points for
and against, and a closed one, and runs twice the same."""

import pytest
from django.core.management import call_command

from debates.models import Debate, Endorsement, Point


@pytest.mark.django_db
def test_seed_demo_has_an_open_and_a_closed_debate_and_runs_twice_the_same():
    call_command("seed_demo")
    before = list(Debate.objects.order_by("slug").values_list("slug", "opens_at", "closes_at"))
    counts = (Point.objects.count(), Endorsement.objects.count())
    call_command("seed_demo")
    assert (Point.objects.count(), Endorsement.objects.count()) == counts == (4, 12)

    assert list(Debate.objects.order_by("slug").values_list("slug", "opens_at", "closes_at")) == (
        before
    )
    stages = {debate.slug: debate.stage for debate in Debate.objects.all()}
    assert stages == {"car-free-saturdays": "open", "twenty-mph-limit": "closed"}
    linked = Debate.objects.get(slug="car-free-saturdays").consultation
    assert linked is not None and linked.slug == "riverside-cycle-lanes"
