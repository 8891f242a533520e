from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "amparo.portal"
    label = "portal"
    verbose_name = _("Public knowledge portal")

    def ready(self) -> None:
        from amparo.cases import hooks
        from amparo.portal import whitelist
        from amparo.portal.services import consent_withdrawn

        # Refuse to start with a whitelist that does not load: a mistake there is a leak.
        whitelist.load()
        hooks.on_consent_withdrawn(consent_withdrawn)
