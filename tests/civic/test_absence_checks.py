"""Every "this is not on the page" check in the tests comes after a check of which page it is.

An absence check passes on any page that lacks the text: a 403, a 404, a 500, the sign-in page.
So a test that says some text is not on a page first calls `assert_page` (tests/pages.py) or
`assert_on_page` (tests/browser.py), which assert the status and the heading. This test reads the
source of every test module and fails on an absence check with no page check before it in the
same function, so that a new test cannot forget it."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
PAGE_CHECKS = {"assert_page", "assert_on_page"}
# What a page's text is read through: response.content, response.text, page.content(),
# locator.inner_text(), and so on.
PAGE_TEXT = {"content", "text", "inner_text", "text_content", "inner_html"}
LOCATORS = {"locator", "get_by_role", "get_by_text", "get_by_label", "get_by_test_id"}


def _name_of(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _own_nodes(function: ast.AST):
    """The nodes of a function, without those of the functions defined inside it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _reads_page(node: ast.AST, page_names: set[str]) -> bool:
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr in PAGE_TEXT:
            return True
        if isinstance(part, ast.Name) and part.id in page_names:
            return True
        if isinstance(part, ast.Call) and _name_of(part) in PAGE_CHECKS:
            return True
    return False


def _page_names(function: ast.AST) -> set[str]:
    """The local names that hold a page's text (html = response.content.decode(), ...)."""
    names: set[str] = set()
    bindings = [  # (what is bound, what it is bound to)
        (target, node.value)
        for node in _own_nodes(function)
        if isinstance(node, ast.Assign)
        for target in node.targets
    ] + [
        (node.target, node.iter)  # for content in (page, partial): ...
        for node in _own_nodes(function)
        if isinstance(node, ast.For | ast.comprehension)
    ]
    for _round in range(3):  # names made from names made from a page
        for target, value in bindings:
            if _reads_page(value, names):
                names |= {part.id for part in ast.walk(target) if isinstance(part, ast.Name)}
    return names


def _uses_locator(node: ast.AST) -> bool:
    return any(isinstance(part, ast.Call) and _name_of(part) in LOCATORS for part in ast.walk(node))


def _absence_checks(function: ast.AST) -> list[int]:
    """The lines of the function's checks that something is not on a page."""
    page_names = _page_names(function)
    lines = []
    for node in _own_nodes(function):
        if isinstance(node, ast.Call) and _name_of(node) == "assertNotContains":
            lines.append(node.lineno)
        if not isinstance(node, ast.Assert):
            continue
        if (  # assert not page.get_by_label("Search").is_visible()
            isinstance(node.test, ast.UnaryOp)
            and isinstance(node.test.op, ast.Not)
            and isinstance(node.test.operand, ast.Call)
            and _name_of(node.test.operand) == "is_visible"
            and _uses_locator(node.test.operand)
        ):
            lines.append(node.lineno)
        for compare in (part for part in ast.walk(node.test) if isinstance(part, ast.Compare)):
            pairs = zip(compare.ops, compare.comparators, strict=True)
            for operator, right in pairs:
                if isinstance(operator, ast.NotIn) and _reads_page(right, page_names):
                    lines.append(node.lineno)
                if (
                    isinstance(operator, ast.Eq)
                    and isinstance(right, ast.Constant)
                    and right.value == 0
                    and isinstance(compare.left, ast.Call)
                    and _name_of(compare.left) == "count"
                    and _uses_locator(compare.left)
                ):
                    lines.append(node.lineno)
    return sorted(set(lines))


def _page_check_lines(function: ast.AST) -> list[int]:
    return sorted(
        node.lineno
        for node in _own_nodes(function)
        if isinstance(node, ast.Call) and _name_of(node) in PAGE_CHECKS
    )


def unchecked_absences(source: str) -> list[tuple[str, int]]:
    """(function, line) of each absence check with no page check before it in its function."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        checks = _page_check_lines(function)
        for line in _absence_checks(function):
            if not any(check <= line for check in checks):
                found.append((function.name, line))
    return found


def test_every_absence_check_on_a_page_comes_after_a_check_of_which_page_it_is():
    unchecked = [
        f"{path.relative_to(TESTS.parent)}:{line} in {function}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for function, line in unchecked_absences(path.read_text())
    ]
    assert unchecked == [], (
        "these check that text is not on a page without first checking the page's status and "
        "heading (assert_page in tests/pages.py, assert_on_page in tests/browser.py):\n"
        + "\n".join(unchecked)
    )


def test_the_reader_finds_an_unchecked_absence_and_accepts_a_checked_one():
    unchecked = """
def test_hidden(client):
    html = client.get("/petitions/").content.decode()
    assert "Secret" not in html


def test_locator(page):
    assert page.locator(".secret").count() == 0
    assert not page.get_by_label("Secret").is_visible()
"""
    checked = """
def test_hidden(client):
    html = assert_page(client.get("/petitions/"), heading="Petitions")
    assert "Secret" not in html


def test_not_a_page(client):
    assert "_auth_user_id" not in client.session
"""
    assert unchecked_absences(unchecked) == [
        ("test_hidden", 4),
        ("test_locator", 8),
        ("test_locator", 9),
    ]
    assert unchecked_absences(checked) == []
