from django.urls import path

from amparo.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("tables/", views.crosstab, name="crosstab"),
    path("sdg-16-10-1/", views.sdg_page, name="sdg"),
    path("report/", views.report, name="report"),
    path("laws/", views.law_list, name="law_list"),
    path("laws/new/", views.law_create, name="law_create"),
    path("laws/<int:pk>/", views.law_detail, name="law_detail"),
    path("laws/<int:pk>/edit/", views.law_edit, name="law_edit"),
    path("laws/<int:pk>/provisions/", views.provision_add, name="provision_add"),
    path("laws/<int:pk>/uses/", views.law_use, name="law_use"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/search/", views.duplicates_search, name="duplicates_search"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate_detail"),
    path("duplicates/<int:pk>/decide/", views.duplicate_decide, name="duplicate_decide"),
]
