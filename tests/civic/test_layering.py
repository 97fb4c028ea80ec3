"""Imports point one way: civic <- contacts <- mailing <- feature apps (docs/architecture.md).

Every module of every first-party app (found from INSTALLED_APPS, so a new feature app is
checked as soon as it is installed) is parsed, and each import, at the top or inside a
function, is checked against the layers: the core imports no other app, contacts imports only
the core, mailing the core and contacts, and a feature app any of those but never another
feature app. Only the URL routing may reach up, and it is listed here with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

BASE = Path(settings.BASE_DIR)
# The lower layers, in order; every other first-party app is a feature app above them.
LOWER = ["civic", "contacts", "mailing"]
# Modules allowed to import upwards, and why.
ROUTING = {
    # The project's URL configuration mounts every app's pages.
    "civic/urls.py",
}


def first_party_apps() -> list[str]:
    """The top-level packages of the installed apps that live in this repository."""
    names = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if BASE in path.parents and path.parent == BASE:
            names.append(config.name.split(".")[0])
    return sorted(set(names))


def layer(app: str) -> int:
    return LOWER.index(app) if app in LOWER else len(LOWER)


def imported_apps(source: str, apps_known: list[str], package: str) -> set[str]:
    """The first-party apps a module's source imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # A relative import stays within its own package.
            names = [package] if node.level else [node.module or ""]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in apps_known)
    return found


def wrong_imports(app: str, imported: set[str]) -> list[str]:
    """The imports of an app's module that point the wrong way."""
    wrong = []
    for other in sorted(imported - {app}):
        if layer(other) > layer(app) or (layer(other) == layer(app) == len(LOWER)):
            wrong.append(other)
    return wrong


def test_the_finder_sees_imports_inside_functions_and_judges_them():
    source = "import civic.models\n\ndef f():\n    from petitions.models import Petition\n"
    known = ["civic", "contacts", "mailing", "petitions", "consultations"]
    assert imported_apps(source, known, "mailing") == {"civic", "petitions"}
    assert wrong_imports("mailing", {"civic", "petitions"}) == ["petitions"]
    assert wrong_imports("consultations", {"petitions", "mailing"}) == ["petitions"]
    assert wrong_imports("contacts", {"civic"}) == []
    assert wrong_imports("civic", {"contacts"}) == ["contacts"]


def test_every_first_party_module_imports_only_from_its_layer_or_below():
    known = first_party_apps()
    assert {"civic", "contacts", "mailing", "consultations", "petitions"} <= set(known)
    problems = []
    checked = 0
    for app in known:
        for path in sorted((BASE / app).rglob("*.py")):
            relative = path.relative_to(BASE).as_posix()
            if relative in ROUTING:
                continue
            checked += 1
            imported = imported_apps(path.read_text(), known, app)
            for other in wrong_imports(app, imported):
                problems.append(f"{relative} imports {other}")
    assert checked > 100
    assert problems == []
