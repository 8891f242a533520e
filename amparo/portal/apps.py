from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "amparo.portal"
    label = "portal"
    verbose_name = _("Public knowledge portal")

    def ready(self) -> None:
        from amparo.cases import hooks
        from amparo.core import access as core_access
        from amparo.portal import access, whitelist
        from amparo.portal.services import consent_withdrawn

        # Refuse to start with a whitelist that does not load: a mistake there is a leak.
        whitelist.load()
        hooks.on_consent_withdrawn(consent_withdrawn)
        core_access.register_key_readers(
            access.KEY_PURPOSE, _("Publication drafts"), access.key_readers
        )
