"""A process's moment of memory: values expire however often they are read, the size is
bounded, and tests start with nothing remembered."""

from __future__ import annotations

from civic.localcache import Recent, clear_all


class Clock:
    """A clock the test moves itself."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_seconds_however_often_it_is_read():
    clock = Clock()
    recent = Recent(0.2, clock=clock)
    recent.set("page", "drawn")
    for _read in range(5):
        assert recent.get("page") == "drawn"
        clock.now += 0.03

    assert recent.get("page") == "drawn"  # 0.15 s after it was set
    clock.now += 0.1
    assert recent.get("page") is None
    assert recent.get("page", "absent") == "absent"


def test_forgetting_and_the_size_limit():
    recent = Recent(60, size=3)
    for number in range(3):
        recent.set(number, f"value {number}")
    recent.forget(1)
    assert [recent.get(number) for number in range(3)] == ["value 0", None, "value 2"]

    recent.set(3, "value 3")
    recent.set(4, "value 4")  # full: what was kept goes
    assert recent.get(0) is None and recent.get(4) == "value 4"


def test_clear_all_forgets_every_recent():
    first, second = Recent(60), Recent(60)
    first.set("a", 1)
    second.set("b", 2)

    clear_all()

    assert first.get("a") is None and second.get("b") is None
