"""Theme suggestion, Django side: the interface the classifier provides, and its model file.

The classifier is Django-free and lives in a module of its own (by default
`amparo.analysis.themes`; the setting AMPARO_THEME_CLASSIFIER names another). It learns from
plain rows and must provide, at module level:

    def train(texts: Sequence[str], labels: Sequence[Sequence[str]],
              descriptions: Mapping[str, str]) -> ThemeModel
        # labels[i]: the theme codes confirmed for texts[i]; descriptions: theme code → what
        # the theme covers in English (for themes with too few examples)
    def load(path: Path) -> ThemeModel

and its models:

    class ThemeModel(Protocol):
        def save(self, path: Path) -> None          # one plain file, no pickle of Django objects
        def suggest(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]
            # for each text: (theme code, confidence in [0, 1]) for every theme whose
            # confidence reaches that theme's decision threshold, highest first

The services (services/themes.py) train it from the instance's confirmed labels, keep the
trained model as a file under the var directory, and store its suggestions as labels that a
person confirms or rejects.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Protocol, cast

from django.conf import settings
from django.utils.translation import gettext as _

from amparo.core.services import DomainError

DEFAULT_CLASSIFIER = "amparo.analysis.themes"
Suggestions = list[list[tuple[str, float]]]


class ThemeModel(Protocol):
    def save(self, path: Path) -> None: ...

    def suggest(self, texts: Sequence[str]) -> Suggestions: ...


class Classifier(Protocol):
    def train(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        descriptions: Mapping[str, str],
    ) -> ThemeModel: ...

    def load(self, path: Path) -> ThemeModel: ...


class SuggestionUnavailable(DomainError):
    """No classifier is installed, or none has been trained yet."""


def classifier() -> Classifier:
    """The classifier module (AMPARO_THEME_CLASSIFIER), or SuggestionUnavailable."""
    name = getattr(settings, "AMPARO_THEME_CLASSIFIER", DEFAULT_CLASSIFIER)
    try:
        module: ModuleType = importlib.import_module(name)
    except ImportError:
        raise SuggestionUnavailable(
            _("Theme suggestion is not installed on this server.")
        ) from None
    if not (hasattr(module, "train") and hasattr(module, "load")):
        raise SuggestionUnavailable(_("Theme suggestion is not installed on this server."))
    return cast(Classifier, module)


def model_directory() -> Path:
    return Path(settings.VAR_DIR) / "models"
