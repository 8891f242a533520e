from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "amparo.response"
    label = "response"
    verbose_name = _("Coordinated response")

    def ready(self) -> None:
        from amparo.cases import event_page as cases_event_page
        from amparo.core import home
        from amparo.response import event_page
        from amparo.response import home as response_home

        cases_event_page.register(event_page.SECTION)

        home.register(home.Panel("response.actions_due", home.Order.WAITING, response_home.due))
