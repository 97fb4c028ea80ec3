"""No admin page shows staff an exception's text (a server path, a driver's message): what
broke goes to the log under a reference, and the page says what to do in plain words
(`civic.admin_base.failure_message`). A service's refusal is written for the officer and is
read through its messages (`refusal_text`, `error.messages`, `service_errors_onto`).

Every admin module of every first-party app (found from INSTALLED_APPS, so a new app is
checked as soon as it is installed) is parsed, and each name bound by `except ... as name` may
be used only in those ways."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from tests.civic.test_layering import first_party_apps

BASE = Path(settings.BASE_DIR)
# Attributes that hold words written for people, not the exception's own text.
WRITTEN = {"message", "messages", "message_dict", "error_dict"}
# Calls that read a refusal's written words, or log the exception, with the name passed in.
READERS = {
    "failure_message",
    "refusal_text",
    "service_errors_onto",
    "add_service_errors",
    "exception",
    "warning",
    "info",
    "debug",
}


def admin_modules() -> list[Path]:
    found = []
    for app in first_party_apps():
        found += sorted((BASE / app).glob("admin*.py"))
        found += sorted((BASE / app).glob("admin*/*.py"))
    return found


def _caught(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {ast.unparse(kind).rsplit(".", 1)[-1] for kind in kinds if kind is not None}


def leaks(source: str) -> list[str]:
    """Where an exception caught in an admin module is used other than through written words."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for handler in ast.walk(tree):
        if not isinstance(handler, ast.ExceptHandler) or not handler.name:
            continue
        validation_only = _caught(handler) == {"ValidationError"}
        for statement in handler.body:
            for node in ast.walk(statement):
                if not (isinstance(node, ast.Name) and node.id == handler.name):
                    continue
                parent = parents[node]
                if isinstance(parent, ast.Attribute) and parent.attr in WRITTEN:
                    continue
                if isinstance(parent, ast.Raise) and parent.cause is node:
                    continue
                if isinstance(parent, ast.keyword) and parent.arg == "error":
                    parent = parents[parent]
                if isinstance(parent, ast.Call):
                    called = ast.unparse(parent.func).rsplit(".", 1)[-1]
                    if called in READERS or (called == "add_error" and validation_only):
                        continue
                found.append(f"line {node.lineno}: {ast.unparse(parent)}")
    return found


def test_the_rule_finds_exception_text_put_on_a_page():
    source = """
try:
    preview()
except OSError as error:
    file_error = str(error)
except ValueError as error:
    messages.error(request, f"Could not: {error}")
except KeyError as problem:
    self.message_user(request, problem)
except PermissionDenied as error:
    form.add_error(None, error)
except ValidationError as error:
    form.add_error(None, error)
    messages.error(request, " ".join(error.messages))
except LookupError as error:
    file_error = failure_message("Gone.", error=error)
"""
    assert leaks(source) == [
        "line 5: str(error)",
        "line 7: {error}",
        "line 9: self.message_user(request, problem)",
        "line 11: form.add_error(None, error)",
    ]


def test_no_admin_module_puts_an_exceptions_text_on_a_page():
    modules = admin_modules()
    assert BASE / "contacts" / "admin_imports.py" in modules
    found = {
        str(module.relative_to(BASE)): leaks(module.read_text())
        for module in modules
        if leaks(module.read_text())
    }
    assert found == {}
