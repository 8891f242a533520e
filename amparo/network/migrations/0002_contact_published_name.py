"""The name a focal point agreed to have on the public page, kept apart from the encrypted name so
that anonymous visitors read it with no key (issue 16). Contacts listed already get theirs from
the encrypted name (read with the key ring, as the installation reads it today)."""

from django.db import migrations, models


def publish_listed_names(apps, schema_editor):
    contacts = apps.get_model("network", "ContactPerson")
    for contact in contacts.objects.filter(listed_publicly=True).iterator():
        contact.published_name = contact.name
        contact.save(update_fields=["published_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactperson",
            name="published_name",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(publish_listed_names, migrations.RunPython.noop),
    ]
