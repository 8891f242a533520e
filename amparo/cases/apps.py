from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "amparo.cases"
    label = "cases"
    verbose_name = _("Case documentation")

    def ready(self) -> None:
        from amparo.cases import access, home
        from amparo.cases.models import Event, Person
        from amparo.core import access as core_access

        core_access.register_trail_access(Event._meta.label_lower, access.can_view_event_id)
        core_access.register_trail_access(Person._meta.label_lower, access.can_view_person_id)
        home.register()
        core_access.register_key_readers(access.KEY_PURPOSE, _("Case records"), access.key_readers)
