from django.urls import path

from amparo.cases import exchange_views

app_name = "cases_exchange"

urlpatterns = [
    path("import/", exchange_views.import_upload, name="import"),
    path("import/confirm/", exchange_views.import_confirm, name="import_confirm"),
    path("export/", exchange_views.export, name="export"),
]
