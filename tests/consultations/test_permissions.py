"""Who may run a consultation in the admin: officers of its department and their council's admins.
An officer of another department, a facilitator and another council's officer see nothing of it,
change nothing and publish nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from civic.models import AuditEntry, Role
from consultations.models import Consultation, Decision, Question
from consultations.services import builder
from tests.consultations.conftest import make_consultation
from tests.consultations.test_builder_admin import change_url, form_data
from tests.factories import DepartmentFactory, OrganisationFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/consultations/consultation/"


@pytest.fixture
def people(council):
    elsewhere = OrganisationFactory(name="Eastmoor")
    return {
        "officer of the department": council.officer,
        "officer of another department": council.other_officer,
        "organisation admin": council.admin,
        "facilitator": RoleFactory(
            organisation=council.organisation, kind=Role.Kind.FACILITATOR
        ).user,
        "officer of another council": RoleFactory(
            organisation=elsewhere,
            kind=Role.Kind.OFFICER,
            departments=[DepartmentFactory(organisation=elsewhere)],
        ).user,
        "site admin": UserFactory(is_staff=True, is_superuser=True),
    }


@pytest.fixture
def draft(council):
    return make_consultation(council.department, slug="draft", title="Draft", published=False)


RUNS_IT = {"officer of the department", "organisation admin", "site admin"}
# What the consultation list answers: 403 to those who run no consultations at all; an empty
# list to an officer whose departments have none of them.
CHANGELIST_STATUS = {
    "officer of the department": 200,
    "officer of another department": 200,
    "organisation admin": 200,
    "facilitator": 403,
    "officer of another council": 200,
    "site admin": 200,
}
ROLES = list(CHANGELIST_STATUS)


@pytest.mark.parametrize("person", ROLES)
def test_the_list_holds_only_the_consultations_the_person_runs(client, people, draft, person):
    client.force_login(people[person])
    response = client.get(CHANGELIST)
    assert response.status_code == CHANGELIST_STATUS[person]
    if response.status_code == 200:
        listed = {consultation.title for consultation in response.context["cl"].result_list}
        assert listed == ({"Draft"} if person in RUNS_IT else set())


@pytest.mark.parametrize("person", ROLES)
def test_only_those_who_run_it_open_change_or_preview_the_consultation(
    client, people, draft, person
):
    consultation = draft.consultation
    client.force_login(people[person])
    page = client.get(change_url(consultation))
    preview = client.get(f"/admin/consultations/consultation/{consultation.pk}/preview/")
    question = client.get(change_url(draft.questions["cycles"]))
    if person in RUNS_IT:
        assert (page.status_code, preview.status_code, question.status_code) == (200, 200, 200)
        return
    # Not found for anyone who does not run it, the same as for a consultation that never was.
    assert (page.status_code, preview.status_code, question.status_code) == (404, 404, 404)
    response = client.post(
        change_url(consultation),
        {"title": "Hijacked", "slug": "hijacked", "summary": "x", "_save": "Save"},
    )
    assert response.status_code == 404
    consultation.refresh_from_db()
    assert (consultation.title, consultation.slug) == ("Draft", "draft")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("person", ROLES)
def test_only_those_who_run_it_can_publish_it(client, people, draft, person):
    consultation = draft.consultation
    client.force_login(people[person])
    response = client.post(f"{CHANGELIST}{consultation.pk}/publish/")
    consultation.refresh_from_db()
    if person in RUNS_IT:
        assert consultation.published_at is not None
        assert AuditEntry.objects.get().summary == "Published consultation"
    else:
        assert response.status_code in (302, 403, 404)
        assert consultation.published_at is None
        assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("person", ROLES)
def test_only_those_who_run_it_can_add_about_you_or_duplicate_it(people, draft, person):
    consultation = draft.consultation
    user = people[person]
    if person in RUNS_IT:
        builder.about_you_add(consultation=consultation, actor=user)
        builder.consultation_duplicate(consultation=consultation, actor=user)
        assert Consultation.objects.count() == 2
        return
    with pytest.raises(PermissionDenied):
        builder.about_you_add(consultation=consultation, actor=user)
    with pytest.raises(PermissionDenied):
        builder.consultation_duplicate(consultation=consultation, actor=user)
    assert Consultation.objects.count() == 1
    assert not Question.objects.filter(about_you=True).exists()


def test_an_officer_can_only_choose_their_own_departments_and_councils_areas(
    client, council, draft
):
    from tests.factories import AreaFactory

    AreaFactory(name="Somewhere else")
    client.force_login(council.officer)
    form = client.get("/admin/consultations/consultation/add/").context["adminform"].form
    assert list(form.fields["department"].queryset) == [council.department]
    assert list(form.fields["areas"].queryset) == [council.ward]
    assert council.officer in form.fields["lead_officer"].queryset
    assert council.other_officer in form.fields["lead_officer"].queryset  # same council


def test_an_officer_cannot_move_a_consultation_to_another_department(client, council, draft):
    client.force_login(council.officer)
    page = client.get(change_url(draft.consultation))
    response = client.post(
        change_url(draft.consultation),
        form_data(page, "consultation_form", department=str(council.other_department.pk)),
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    draft.consultation.refresh_from_db()
    assert draft.consultation.department == council.department


def test_an_officer_cannot_hang_a_question_or_decision_on_another_departments_consultation(
    client, council
):
    theirs = make_consultation(council.other_department, slug="theirs")
    client.force_login(council.officer)
    question_form = client.get("/admin/consultations/question/add/").context["adminform"].form
    assert not set(question_form.fields["page"].queryset) & set(theirs.pages)
    decision_form = client.get("/admin/consultations/decision/add/").context["adminform"].form
    assert theirs.consultation not in decision_form.fields["consultation"].queryset
    response = client.post(
        "/admin/consultations/decision/add/",
        {
            "consultation": theirs.consultation.pk,
            "we_asked": "x",
            "you_said": "y",
            "we_did": "z",
            "position": 0,
            "actions-TOTAL_FORMS": 0,
            "actions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert not Decision.objects.exists()


def test_topics_are_kept_by_the_councils_admins_and_used_by_its_officers(client, council):
    client.force_login(council.officer)
    assert client.get("/admin/consultations/topic/").status_code == 200
    assert client.get("/admin/consultations/topic/add/").status_code == 403
    client.force_login(council.admin)
    response = client.post(
        "/admin/consultations/topic/add/",
        {"organisation": council.organisation.pk, "name": "Roads", "slug": "roads"},
    )
    assert response.status_code == 302
    assert council.organisation.topics.get().name == "Roads"
