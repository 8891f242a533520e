"""Case records sealed with data keys (issue 16): a data key per row; the values move to it
with `amparo keys migrate`."""

import amparo.core.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_event_creation_token'),
        ('core', '0007_data_key_dedicated'),
    ]

    operations = [
        migrations.AddField(
            model_name='act',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        migrations.AddField(
            model_name='comment',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        migrations.AddField(
            model_name='event',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        migrations.AddField(
            model_name='eventversion',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        migrations.AddField(
            model_name='person',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        migrations.AddField(
            model_name='source',
            name='data_key',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.datakey'),
        ),
        # `sealed_by` says how values are encrypted, not how they are stored: no change to the
        # tables (on SQLite, altering a field rebuilds its table, which would drop the event
        # text index's triggers of migration 0004).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='act',
                    name='remarks',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='remarks'),
                ),
                migrations.AlterField(
                    model_name='comment',
                    name='body',
                    field=amparo.core.fields.EncryptedTextField(sealed_by='data_key', verbose_name='comment'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='notes',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', help_text='Encrypted; not searchable.', sealed_by='data_key', verbose_name='internal notes'),
                ),
                migrations.AlterField(
                    model_name='eventversion',
                    name='changes',
                    field=amparo.core.fields.EncryptedJSONField(blank=True, default=dict, sealed_by='data_key'),
                ),
                migrations.AlterField(
                    model_name='eventversion',
                    name='snapshot',
                    field=amparo.core.fields.EncryptedJSONField(sealed_by='data_key'),
                ),
                migrations.AlterField(
                    model_name='importjob',
                    name='errors',
                    field=amparo.core.fields.EncryptedJSONField(blank=True, default=list, sealed_by='data_key'),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='address',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='exact address'),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='contact',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='contact details'),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='full_name',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='full name'),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='id_numbers',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='identity document numbers'),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='notes',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='notes'),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='other_names',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', help_text='One per line.', sealed_by='data_key', verbose_name='other names and aliases'),
                ),
                migrations.AlterField(
                    model_name='source',
                    name='material',
                    field=amparo.core.fields.EncryptedTextField(blank=True, default='', sealed_by='data_key', verbose_name='original material'),
                ),
            ],
        ),
    ]
