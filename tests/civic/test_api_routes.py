"""The open data API's routes are found, as `seed_demo` finds demo.py: every app of the repository
with an api.py has them under /api/v1/, and civic/urls.py names no app."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import module_has_submodule
from rest_framework.routers import DefaultRouter

from civic.urls import router

ROOT = Path(settings.BASE_DIR)


def first_party_apps():
    """The installed apps whose code lives in this repository (not in a virtualenv within it)."""
    for app_config in apps.get_app_configs():
        package = ROOT / app_config.name.split(".")[0]
        if package.is_dir() and Path(app_config.path).resolve().is_relative_to(package):
            yield app_config


def test_every_app_of_the_repository_with_an_api_module_has_its_routes_registered():
    with_api = [
        app_config
        for app_config in first_party_apps()
        if module_has_submodule(app_config.module, "api")
    ]
    assert {app_config.name for app_config in with_api} >= {"civic", "consultations", "petitions"}

    for app_config in with_api:
        own = DefaultRouter()
        import_module(f"{app_config.name}.api").register(own)
        assert own.registry, f"{app_config.name}.api registers no viewset"
        for prefix, viewset, basename in own.registry:
            assert (prefix, viewset, basename) in router.registry
            assert reverse(f"{basename}-list") == f"/api/v1/{prefix}/"


def test_the_api_root_lists_each_app_s_routes_at_the_paths_they_had(client):
    listed = client.get("/api/v1/").json()

    paths = ("organisations", "departments", "areas", "consultations", "petitions")
    assert {path: listed.get(path) for path in paths} == {
        path: f"http://testserver/api/v1/{path}/" for path in paths
    }
