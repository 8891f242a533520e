"""One English word, several meanings: each is translated in its own sense (pgettext), and
counts agree with their number (ngettext)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import ngettext

from amparo.cases.models import Event
from amparo.intake.models import Status as ReportStatus
from amparo.network.models import Commitment
from amparo.warning.models import Alert


def test_closed_agrees_with_what_is_closed() -> None:
    with translation.override("es"):
        assert str(Alert.Status.CLOSED.label) == "Cerrada"
        assert str(ReportStatus.CLOSED.label) == "Cerrada"
        assert str(Event.Status.CLOSED.label) == "Cerrado"


def test_an_open_commitment_is_one_under_way() -> None:
    with translation.override("fr"):
        assert str(Commitment.State.OPEN.label) == "En cours"


def test_a_count_of_one_reads_in_the_singular() -> None:
    singular = "%(count)d act named in an intake report"
    plural = "%(count)d acts named in an intake report"
    with translation.override("fr"):
        assert ngettext(singular, plural, 1) % {"count": 1} == "1 acte cité dans un signalement"
        assert ngettext(singular, plural, 3) % {"count": 3} == "3 actes cités dans un signalement"
