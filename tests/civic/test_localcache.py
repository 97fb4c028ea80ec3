"""A process's moment of memory: values expire however often they are read, the size is
bounded, and tests start with nothing remembered."""

from __future__ import annotations

from civic.localcache import ProcessMemo, clear_all


class Clock:
    """A clock the test moves itself."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_seconds_however_often_it_is_read():
    clock = Clock()
    memo = ProcessMemo(0.2, clock=clock)
    memo.set("page", "drawn")
    for _read in range(5):
        assert memo.get("page") == "drawn"
        clock.now += 0.03

    assert memo.get("page") == "drawn"  # 0.15 s after it was set
    clock.now += 0.1
    assert memo.get("page") is None
    assert memo.get("page", "absent") == "absent"


def test_forgetting_and_the_size_limit():
    memo = ProcessMemo(60, size=3)
    for number in range(3):
        memo.set(number, f"value {number}")
    memo.forget(1)
    assert [memo.get(number) for number in range(3)] == ["value 0", None, "value 2"]

    memo.set(3, "value 3")
    memo.set(4, "value 4")  # full: what was kept goes
    assert memo.get(0) is None and memo.get(4) == "value 4"


def test_clear_all_forgets_every_memo():
    first, second = ProcessMemo(60), ProcessMemo(60)
    first.set("a", 1)
    second.set("b", 2)

    clear_all()

    assert first.get("a") is None and second.get("b") is None
