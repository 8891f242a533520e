"""What the public pages read, apart from the encrypted draft (issue 16): live publications get
their approved content copied (read with the key ring, as the installation reads it today)."""

from django.db import migrations, models


def copy_published_content(apps, schema_editor):
    publications = apps.get_model("portal", "Publication")
    for publication in publications.objects.filter(state="published").iterator():
        publication.public_content = publication.content
        publication.save(update_fields=["public_content"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_recommendation_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="public_content",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(copy_published_content, migrations.RunPython.noop),
    ]
