from django.urls import include, path
from django.views.i18n import set_language

from amparo.core.permissions import public

urlpatterns = [
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("", include("amparo.core.urls")),
    path("cases/", include("amparo.cases.urls")),
    path("cases/", include("amparo.cases.exchange_urls")),
    path("", include("amparo.api.urls")),
    path("", include("amparo.intake.urls")),
]
