import secrets
from pathlib import PurePosixPath

from django.db import migrations, models

import contacts.models


def rename_imported(apps, schema_editor):
    """An imported file is deleted once imported, but its name stayed on the row: give those rows
    a random name as new uploads get (a file not yet imported keeps its name until it is)."""
    ContactImport = apps.get_model("contacts", "ContactImport")
    for contact_import in ContactImport.objects.filter(status="done").exclude(file=""):
        old = PurePosixPath(contact_import.file.name)
        contact_import.file.name = str(old.parent / f"{secrets.token_hex(16)}{old.suffix.lower()}")
        contact_import.save(update_fields=["file"])


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_imports_and_data_requests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contactimport",
            name="file",
            field=models.FileField(
                upload_to=contacts.models.contact_import_path, verbose_name="file"
            ),
        ),
        # The old names are gone for good: there is nothing to put back.
        migrations.RunPython(rename_imported, migrations.RunPython.noop),
    ]
