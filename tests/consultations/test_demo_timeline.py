"""seed_demo gives the contact manager timelines: demo contacts answered demo consultations."""

import pytest
from django.core.management import call_command

from consultations.models import Response
from contacts.models import Activity


@pytest.mark.django_db
def test_demo_contacts_have_survey_responses_on_their_timelines():
    call_command("seed_demo")
    call_command("seed_demo")

    activities = Activity.objects.select_related("contact")
    linked = Response.objects.filter(contact__isnull=False, status="submitted")
    assert activities.count() == linked.count() > 20
    assert {activity.kind for activity in activities} == {"response"}
    assert {activity.reference for activity in activities} == {
        response.reference for response in linked
    }
    assert all(activity.department_id for activity in activities)
