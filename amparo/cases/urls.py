from django.urls import path

from amparo.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_create, name="event_create"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("<int:pk>/print/", views.event_print, name="event_print"),
    path("<int:pk>/submit/", views.event_submit, name="event_submit"),
    path("<int:pk>/verify/", views.event_verify, name="event_verify"),
    path("<int:pk>/close/", views.event_close, name="event_close"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path(
        "<int:pk>/versions/<int:number>/restore/",
        views.version_restore,
        name="version_restore",
    ),
    path("<int:pk>/sharing/", views.sharing_grant, name="sharing_grant"),
    path(
        "<int:pk>/sharing/<int:grant_pk>/revoke/",
        views.sharing_revoke,
        name="sharing_revoke",
    ),
    path("<int:pk>/persons/<int:person_pk>/consent/", views.consent_give, name="consent_give"),
    path(
        "<int:pk>/consents/<int:consent_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:pk>/comments/", views.comment_add, name="comment_add"),
    path(
        "persons/<int:person_pk>/disclosures/",
        views.person_disclosures,
        name="person_disclosures",
    ),
    path("<int:pk>/sources/new/", views.source_add, name="source_add"),
    path("<int:pk>/sources/<int:item_pk>/remove/", views.source_remove, name="source_remove"),
    path("<int:pk>/interventions/new/", views.intervention_add, name="intervention_add"),
    path(
        "<int:pk>/interventions/<int:item_pk>/remove/",
        views.intervention_remove,
        name="intervention_remove",
    ),
    path("<int:pk>/links/new/", views.link_add, name="link_add"),
    path("<int:pk>/links/<int:item_pk>/remove/", views.link_remove, name="link_remove"),
]
