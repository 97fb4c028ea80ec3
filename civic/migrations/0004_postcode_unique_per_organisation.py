"""A postcode lies in one ward of a council: key postcodes by organisation, not by area."""

import django.db.models.deletion
from django.db import migrations, models


def copy_organisation_from_area(apps, schema_editor):
    Postcode = apps.get_model("civic", "Postcode")
    Area = apps.get_model("civic", "Area")
    for area in Area.objects.all():
        Postcode.objects.filter(area=area).update(organisation_id=area.organisation_id)


class Migration(migrations.Migration):
    dependencies = [("civic", "0003_postcode_field")]

    operations = [
        migrations.RemoveConstraint(model_name="postcode", name="postcode_unique_per_area"),
        migrations.AddField(
            model_name="postcode",
            name="organisation",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="postcodes",
                to="civic.organisation",
            ),
        ),
        migrations.RunPython(copy_organisation_from_area, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="postcode",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="postcodes",
                to="civic.organisation",
            ),
        ),
        migrations.AddConstraint(
            model_name="postcode",
            constraint=models.UniqueConstraint(
                fields=("organisation", "postcode"), name="postcode_unique_per_organisation"
            ),
        ),
    ]
