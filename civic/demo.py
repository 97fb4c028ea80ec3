"""Demo data from the apps above the core, for `manage.py seed_demo`.

An app registers a seeder in its own demo.py (found by autodiscovery), so that the core command
never imports the apps. A seeder takes the demo organisations by slug and must be safe to run
again: it looks rows up by a natural key before making them.
"""

from collections.abc import Callable

_seeders: list[tuple[int, Callable[..., None]]] = []


def register(seeder: Callable[..., None], *, order: int = 100) -> None:
    if all(existing is not seeder for _order, existing in _seeders):
        _seeders.append((order, seeder))


def seeders() -> list[Callable[..., None]]:
    return [seeder for _order, seeder in sorted(_seeders, key=lambda pair: pair[0])]
