"""`amparo portal`: list what an account may see, withdraw at once as that account."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from amparo.core.models import Clearance, Role
from amparo.portal.models import Publication
from tests.factories import member
from tests.portal.conftest import World, publish

pytestmark = pytest.mark.django_db


def run(*arguments: str) -> str:
    out = StringIO()
    call_command("portal", *arguments, stdout=out)
    return out.getvalue()


def test_list_then_withdraw_at_the_command_line(world: World) -> None:
    publication = publish(world)
    assert publication.slug in run("list", "--user", world.reviewer.username)
    assert "no longer public" in run(
        "withdraw", publication.slug, "--user", world.reviewer.username
    )
    publication.refresh_from_db()
    assert publication.state == Publication.State.WITHDRAWN
    with pytest.raises(CommandError, match="not possible while the publication is withdrawn"):
        run("withdraw", publication.slug, "--user", world.reviewer.username)


def test_an_outsider_cannot_withdraw(world: World) -> None:
    publication = publish(world)
    outsider = member(Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL)
    with pytest.raises(CommandError, match="No publication"):
        run("withdraw", publication.slug, "--user", outsider.username)
    with pytest.raises(CommandError, match="No active account"):
        run("list", "--user", "nobody")
