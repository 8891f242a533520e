"""The data keys rows are sealed with (issue 16): one per request or job and scope, never one
that a rolled-back transaction took with it; opened for many rows in one query."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from amparo.core import custody, keychain, sealing
from amparo.core.models import Clearance, DataKey, DataKeyCopy, OrganisationKey
from amparo.intake.access import KEY_PURPOSE as INTAKE
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.only_real_keys]


def test_rows_written_in_one_job_share_one_key_per_organisation_and_level() -> None:
    first, second = OrganisationFactory(), OrganisationFactory()
    with keychain.using(keychain.Keychain()):
        confidential = custody.writing_key(first.pk, Clearance.CONFIDENTIAL, INTAKE)
        assert custody.writing_key(first.pk, Clearance.CONFIDENTIAL, INTAKE) == confidential
        assert custody.writing_key(first.pk, Clearance.RESTRICTED, INTAKE) != confidential
        assert custody.writing_key(second.pk, Clearance.CONFIDENTIAL, INTAKE) != confidential
    with keychain.using(keychain.Keychain()):
        assert custody.writing_key(first.pk, Clearance.CONFIDENTIAL, INTAKE) != confidential
    assert not DataKey.objects.get(pk=confidential).dedicated


def test_a_key_made_in_a_rolled_back_transaction_is_not_used_again() -> None:
    organisation = OrganisationFactory()
    with keychain.using(keychain.Keychain()):
        with pytest.raises(RuntimeError), transaction.atomic():
            undone = custody.writing_key(organisation.pk, Clearance.CONFIDENTIAL, INTAKE)
            assert custody.writing_key(organisation.pk, Clearance.CONFIDENTIAL, INTAKE) == undone
            raise RuntimeError
        assert not DataKey.objects.filter(pk=undone).exists()
        with transaction.atomic():
            kept = custody.writing_key(organisation.pk, Clearance.CONFIDENTIAL, INTAKE)
        assert kept != undone
        assert DataKey.objects.filter(pk=kept).exists()
        # Committed: used again, in a later transaction too.
        with transaction.atomic():
            assert custody.writing_key(organisation.pk, Clearance.CONFIDENTIAL, INTAKE) == kept


def test_a_key_made_in_a_rolled_back_savepoint_is_not_used_again() -> None:
    organisation = OrganisationFactory()
    with keychain.using(keychain.Keychain()), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            undone = custody.writing_key(organisation.pk, Clearance.RESTRICTED, INTAKE)
            raise RuntimeError
        assert custody.writing_key(organisation.pk, Clearance.RESTRICTED, INTAKE) != undone


def test_many_data_keys_open_in_one_query() -> None:
    organisation = OrganisationFactory()
    custody.ensure_organisation_keys(organisation)
    made = [
        custody.new_data_key(organisation, Clearance.CONFIDENTIAL, INTAKE).pk for _ in range(30)
    ]
    holder = keychain.Keychain(
        organisation_keys={
            key.pk: sealing.unwrap(
                custody._custody_key(), key.server_custody, custody._custody_aad(key.pk)
            )
            for key in OrganisationKey.objects.filter(organisation=organisation)
        }
    )
    with keychain.using(holder), CaptureQueriesContext(connection) as queries:
        custody.open_data_keys(made)
    assert len(queries) == 1
    assert set(holder.data_keys) == set(made)
    assert DataKeyCopy.objects.filter(data_key_id__in=made).count() == 30


def test_a_row_whose_values_are_all_replaced_moves_to_a_key_that_opens_here() -> None:
    """A job without the row's key that writes every sealed value anew (an import's errors)
    seals them with its own writing key instead of failing on the key it cannot open."""
    from amparo.cases.models import ImportJob

    organisation = OrganisationFactory()
    custody.ensure_organisation_keys(organisation)
    with keychain.using(keychain.Keychain()):
        job = ImportJob.objects.create(organisation=organisation, errors=[{"row": 1}])
    with keychain.using(keychain.Keychain()):
        reread = ImportJob.objects.get(pk=job.pk)
        assert reread.errors != [{"row": 1}]  # locked: the key of the first job does not open
        reread.errors = [{"row": 2}]
        reread.save(update_fields=["errors"])
        assert reread.data_key_id != job.data_key_id
        assert ImportJob.objects.get(pk=job.pk).errors == [{"row": 2}]


def test_a_data_key_the_keys_held_do_not_open_is_asked_for_once() -> None:
    """A page of rows sealed with a key the reader does not hold (a level above their
    clearance) costs one query, not one per row; holding more keys asks again."""
    organisation, other = OrganisationFactory(), OrganisationFactory()
    custody.ensure_organisation_keys(organisation)
    custody.ensure_organisation_keys(other)
    foreign = custody.new_data_key(other, Clearance.CONFIDENTIAL, INTAKE).pk

    def custodied(owner: object) -> dict[int, bytes]:
        return {
            key.pk: sealing.unwrap(
                custody._custody_key(), key.server_custody, custody._custody_aad(key.pk)
            )
            for key in OrganisationKey.objects.filter(organisation=owner)
        }

    reader = keychain.Keychain(organisation_keys=custodied(organisation))
    with keychain.using(reader), CaptureQueriesContext(connection) as queries:
        for _row in range(5):
            assert custody.open_data_key(foreign) is None
    assert len(queries) == 1
    reader.organisation_keys.update(custodied(other))
    with keychain.using(reader):
        assert custody.open_data_key(foreign) is not None
