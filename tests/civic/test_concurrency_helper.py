"""The race tests' helper, tests.concurrency.at_once: its calls really overlap, their outcomes come
back in order, a refusal the test expects is handed back and anything else fails the test."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from civic.form_guard import Refused
from tests.concurrency import at_once


def test_the_calls_overlap_and_their_outcomes_come_back_in_order():
    # Each call waits for all the others inside it: run one after another, they would break this.
    inside = threading.Barrier(4, timeout=10)

    def call(number):
        def run():
            inside.wait()
            return number * 10

        return run

    assert at_once(*[call(number) for number in range(4)]) == [0, 10, 20, 30]


def test_an_expected_refusal_takes_its_calls_place():
    def refused():
        raise Refused("This code has already been used.", code="used")

    outcomes = at_once(lambda: "voted", refused, expected=Refused)

    assert outcomes[0] == "voted"
    assert isinstance(outcomes[1], Refused) and outcomes[1].code == "used"


def test_any_other_exception_fails_the_test_after_every_call_has_finished():
    finished = []

    def slow():
        finished.append("slow")
        return "done"

    def broken():
        raise ValueError("not expected")

    with pytest.raises(ExceptionGroup) as caught:
        at_once(broken, slow, expected=Refused)

    assert [type(error) for error in caught.value.exceptions] == [ValueError]
    assert finished == ["slow"]


@pytest.mark.django_db(transaction=True)
def test_each_call_has_its_own_database_connection():
    hold = threading.Barrier(3, timeout=10)

    def call():
        connection.ensure_connection()
        hold.wait()  # all three are connected at the same time
        return id(connection.connection)

    assert len(set(at_once(call, call, call))) == 3
