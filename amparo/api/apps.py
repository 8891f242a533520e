from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "amparo.api"
    label = "api"
    verbose_name = _("Amparo API")

    def ready(self) -> None:
        from amparo.api import tokens
        from amparo.core import on_behalf

        on_behalf.register_token_opener(tokens.user_for_token)
