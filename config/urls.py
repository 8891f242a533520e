from django.urls import include, path, register_converter

from amparo.core.views import switch_language
from amparo.portal.converters import LanguagePrefixConverter

register_converter(LanguagePrefixConverter, "portal_language")

urlpatterns = [
    path("i18n/setlang/", switch_language, name="set_language"),
    path("", include("amparo.core.urls")),
    path("cases/", include("amparo.cases.urls")),
    path("cases/", include("amparo.cases.exchange.urls")),
    path("recommendations/", include("amparo.recommendations.urls")),
    path("", include("amparo.api.urls")),
    path("", include("amparo.intake.urls")),
    path("network/", include("amparo.network.urls")),
    path("stats/", include("amparo.stats.urls")),
    path("warning/", include("amparo.warning.urls")),
    path("response/", include("amparo.response.urls")),
    path("portal/manage/", include("amparo.portal.urls")),
    path("<portal_language:lang_prefix>portal/", include("amparo.portal.public_urls")),
]
