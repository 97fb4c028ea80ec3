"""One check for every service's officer: `civic.services.require`, and no module's own copy."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from civic.models import Role
from civic.services import require
from tests.factories import OrganisationFactory, RoleFactory, UserFactory

ROOT = Path(settings.BASE_DIR)
APPS = (
    "civic",
    "contacts",
    "mailing",
    "consultations",
    "petitions",
    "budgets",
    "debates",
    "events",
)


@pytest.fixture
def council(db):
    return OrganisationFactory(name="Northbridge", slug="northbridge")


def test_an_officer_with_the_permission_passes(council):
    admin = RoleFactory(organisation=council, kind=Role.Kind.ORGANISATION_ADMIN).user

    require(admin, "civic.change_organisation", council)


def test_an_officer_without_the_permission_is_refused_with_the_services_message(council):
    other = RoleFactory(organisation=OrganisationFactory(), kind=Role.Kind.ORGANISATION_ADMIN).user

    with pytest.raises(PermissionDenied, match="You do not run this council"):
        require(other, "civic.change_organisation", council, message="You do not run this council.")


def test_a_refusal_without_a_message_says_so_in_plain_english(council):
    with pytest.raises(PermissionDenied, match="You do not have permission to do that"):
        require(UserFactory(), "civic.change_organisation", council)


def test_no_actor_is_refused_unless_the_service_lets_the_platform_act(council):
    with pytest.raises(PermissionDenied):
        require(None, "civic.change_organisation", council)

    require(None, "civic.change_organisation", council, system=True)


def test_letting_the_platform_act_does_not_let_an_officer_without_the_permission_through(council):
    with pytest.raises(PermissionDenied):
        require(UserFactory(), "civic.change_organisation", council, system=True)


def _modules():
    for app in APPS:
        yield from (ROOT / app).rglob("*.py")


def test_the_apps_are_where_the_scan_looks():
    assert (ROOT / "petitions" / "services" / "__init__.py") in set(_modules())


def test_no_module_writes_its_own_require():
    """A service checks its officer with `civic.services.require`, so that `actor=None` means
    the same everywhere; a local `_require` would bring back its own rule."""
    copies = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "_require"
    ]
    assert copies == []
