from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "amparo.stats"
    label = "stats"
    verbose_name = _("Statistics and evidence")

    def ready(self) -> None:
        from amparo.cases import hooks
        from amparo.stats.services import facts

        # The facts follow every change to case records (cases knows nothing of statistics).
        hooks.on_events_changed_prepared(facts.prepare_events, facts.refresh_events)
