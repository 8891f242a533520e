from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningConfig(AppConfig):
    name = "amparo.warning"
    label = "warning"
    verbose_name = _("Early warning")

    def ready(self) -> None:
        from amparo.cases import hooks
        from amparo.core import home
        from amparo.warning import home as warning_home
        from amparo.warning import tasks

        # Recording an act queues the evaluation of its victims (cases knows nothing of warning).
        hooks.on_events_changed(tasks.events_changed)
        home.register(
            home.Panel("warning.to_acknowledge", home.Order.URGENT, warning_home.to_acknowledge)
        )
