"""Every page of the admin, found from the admin site's registry rather than listed by hand, so
that a new app's admin is checked from the start.

`seed_admin_world()` loads the demo data of every app (`manage.py seed_demo`) and makes one row
of each registered model the demo leaves empty, all in the demo's councils. `item_urls(model_admin,
obj)` gives every URL of one item: the change, delete and history pages and every page of the
admin's own (`get_urls()`, so results, exports, moderation actions, previews...), with any other
part of the route filled in.
"""

from __future__ import annotations

import io
import re

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.files.base import ContentFile
from django.core.management import call_command

ROUTE_PART = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def model_admins() -> list:
    """(model, model admin) for every model registered with the admin site, in a fixed order."""
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _made_rows() -> None:
    """One row of each registered model that the demo data leaves empty, in a demo council."""
    from django.contrib.auth.models import Group

    from civic.models import AuditEntry, Department, Organisation, PostcodeImport
    from contacts.models import Contact, ContactImport, DataRequest
    from mailing.models import RateLimit, Suppression

    council = Organisation.objects.order_by("pk").first()
    department = Department.objects.filter(organisation=council).order_by("pk").first()
    makers = {
        "auth.Group": lambda: Group.objects.create(name="Reviewers"),
        "civic.PostcodeImport": lambda: PostcodeImport.objects.create(
            organisation=council, file=ContentFile(b"pcds,wd25cd\n", name="postcodes.csv")
        ),
        "civic.AuditEntry": lambda: AuditEntry.objects.create(
            organisation=council, actor_label="officer@example.org", action="edit", summary="Edit"
        ),
        "contacts.DataRequest": lambda: DataRequest.objects.create(
            organisation=council,
            contact=Contact.objects.filter(organisation=council).first(),
            kind=DataRequest.Kind.ACCESS,
        ),
        "contacts.ContactImport": lambda: ContactImport.objects.create(
            organisation=council, file=ContentFile(b"email\nann@example.org\n", name="people.csv")
        ),
        "mailing.RateLimit": lambda: RateLimit.objects.create(organisation=council, per_second=10),
        "mailing.Suppression": lambda: Suppression.objects.create(
            organisation=council, email="gone@example.org", reason=Suppression.Reason.MANUAL
        ),
        "scoped_feature.Notice": lambda: _notice(department),
        "debates.Review": _hidden_point,
        "debates.Block": _block,
    }
    for model, _model_admin in model_admins():
        label = model._meta.label
        if not model._default_manager.exists() and label in makers:
            makers[label]()
    empty = [
        model._meta.label for model, _ in model_admins() if not model._default_manager.exists()
    ]
    assert not empty, f"no row of these admin models: make one in _made_rows: {empty}"


def _hidden_point():
    """A demo point three residents reported, hidden in the moderation queue."""
    from civic.models import User
    from debates.models import Point, Report
    from debates.moderation import report_add

    point = Point.objects.order_by("pk").first()
    for number in range(3):
        reporter, _created = User.objects.get_or_create(email=f"reporter{number}@example.org")
        report_add(user=reporter, point=point, reason=Report.Reason.OFF_TOPIC)


def _block():
    from civic.models import Organisation, User
    from debates.models import Review
    from debates.moderation import account_block

    council = Organisation.objects.get(slug="northbridge")
    account_block(
        actor=User.objects.filter(is_superuser=True).first(),
        user=User.objects.get(email="supporter5@northbridge.example"),
        organisation=council,
        days=7,
        reason=Review.Decision.ABUSE,
    )


def _notice(department):
    from django.apps import apps

    return apps.get_model("scoped_feature", "Notice").objects.create(
        department=department, title="Road closed"
    )


def seed_admin_world() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    _made_rows()


def item_urls(model_admin, obj) -> list[str]:
    """Every URL of `obj` in its model admin, other parts of the route filled with 1 or "x"."""
    opts = model_admin.opts
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    urls = []
    for pattern in model_admin.get_urls():
        route = str(pattern.pattern)
        if "object_id" not in route:
            continue

        def fill(match):
            if match["name"] == "object_id":
                return quote(str(obj.pk)) if match["converter"] == "path" else str(obj.pk)
            return "1" if match["converter"] == "int" else "x"

        urls.append(base + ROUTE_PART.sub(fill, route).lstrip("^").rstrip("$"))
    return urls
