from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "amparo.core"
    label = "core"
    verbose_name = _("Amparo core")

    def ready(self) -> None:
        from amparo.core import signals  # noqa: F401 - connects the receivers
