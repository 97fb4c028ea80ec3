"""Finding the module of the same name in every installed app, so that the core never lists the
apps above it: `seed_demo` finds each app's demo.py, and the URL routing each app's api.py."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def app_modules(name: str) -> list[ModuleType]:
    """The `<app>.<name>` module of every installed app that has one, imported, in the order of
    INSTALLED_APPS (so the core's come first)."""
    return [
        import_module(f"{app_config.name}.{name}")
        for app_config in apps.get_app_configs()
        if module_has_submodule(app_config.module, name)
    ]
