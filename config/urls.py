from django.urls import include, path

from amparo.core.permissions import public
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("", include("amparo.core.urls")),
]
