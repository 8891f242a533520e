from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "amparo.intake"
    label = "intake"
    verbose_name = _("Secure intake")

    def ready(self) -> None:
        from django.core import checks

        from amparo.cases import event_page as cases_event_page
        from amparo.core import access as core_access
        from amparo.core import home as core_home
        from amparo.core import keys as core_keys
        from amparo.intake import access, conf, event_page, home
        from amparo.intake.models import Submission
        from amparo.intake.services import migration

        core_access.register_trail_access(Submission._meta.label_lower, access.can_view_trail)
        core_access.register_key_readers(access.KEY_PURPOSE, _("Intake reports"), access.handling)
        core_keys.register_migration("intake", migration.move_to_data_keys)
        cases_event_page.register(event_page.SECTION)
        checks.register(conf.check_rate_limits)
        core_home.register(home.PANEL)
