"""`amparo network export`: a table as the named account may see it."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amparo.core.models import User
from tests.network.conftest import Delegation, sealed_to_readers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("command_password")]
NEEDS_VOCABULARIES = False


def test_a_table_is_written_as_the_account_may_see_it(
    kenya: Delegation, observer: User, tmp_path: Path
) -> None:
    sealed_to_readers()
    target = tmp_path / "points.csv"
    # Kenya's NHRI, with its keys: its own delegation's focal points, every field.
    call_command(
        "network", "export", "focal_points", "--as", kenya.nhri.username, "--output", str(target)
    )
    text = target.read_text()
    assert "civil_society.ke@example.org" in text and "Focal civil_society KE" in text
    # Staff outside the network's work: the fields in the clear.
    call_command(
        "network", "export", "focal_points", "--as", observer.username, "--output", str(target)
    )
    text = target.read_text()
    assert "state function" in text
    assert "state.ke@example.org" not in text and "Focal civil_society KE" not in text


def test_a_table_the_account_may_not_see_is_refused_with_a_message(observer: User) -> None:
    with pytest.raises(CommandError, match="may not"):
        call_command("network", "export", "scorecard", "--as", observer.username, stdout=StringIO())
    with pytest.raises(CommandError, match="No active user"):
        call_command("network", "export", "members", "--as", "nobody", stdout=StringIO())
