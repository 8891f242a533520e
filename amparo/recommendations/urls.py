from django.urls import path

from amparo.recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("", views.recommendation_list, name="list"),
    path("new/", views.recommendation_create, name="create"),
    path("matrix/", views.matrix, name="matrix"),
    path("indicators/overdue/", views.overdue, name="overdue"),
    path("export/", views.export, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("states/", views.state_list, name="states"),
    path("states/<str:state>/", views.state_dashboard, name="state"),
    path("states/<str:state>/ratifications/", views.ratification_set, name="ratification_set"),
    path("states/<str:state>/report.<str:file_format>", views.state_report, name="state_report"),
    path("ratifications/import/", views.ratifications_import, name="ratifications_import"),
    path("<int:pk>/", views.recommendation_detail, name="detail"),
    path("<int:pk>/edit/", views.recommendation_edit, name="edit"),
    path("<int:pk>/respond/", views.respond, name="respond"),
    path("<int:pk>/themes/", views.theme_confirm, name="theme_confirm"),
    path("<int:pk>/themes/<int:theme_pk>/remove/", views.theme_remove, name="theme_remove"),
    path("<int:pk>/themes/suggest/", views.suggest, name="suggest"),
    path("<int:pk>/links/", views.link_add, name="link_add"),
    path("<int:pk>/links/<int:link_pk>/remove/", views.link_remove, name="link_remove"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("<int:pk>/actions/<int:action_pk>/status/", views.action_status, name="action_status"),
    path(
        "<int:pk>/actions/<int:action_pk>/indicators/",
        views.indicator_add,
        name="indicator_add",
    ),
    path(
        "<int:pk>/indicators/<int:indicator_pk>/values/",
        views.indicator_value,
        name="indicator_value",
    ),
    path("<int:pk>/progress/", views.progress_add, name="progress_add"),
    path("<int:pk>/progress/<int:report_pk>/review/", views.review, name="review"),
]
