from django.urls import path

from amparo.cases.exchange import views

app_name = "cases_exchange"

urlpatterns = [
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/jobs/<int:pk>/", views.import_job, name="import_job"),
    path("export/", views.export, name="export"),
]
