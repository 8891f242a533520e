from django.urls import path

from amparo.network import public_views, views

app_name = "network"

urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("members/new/", views.member_propose, name="member_propose"),
    path("members/<str:country>/", views.member_detail, name="member_detail"),
    path(
        "members/<str:country>/steps/<slug:transition>/",
        views.member_transition,
        name="member_transition",
    ),
    path("members/<str:country>/letters/<int:pk>/", views.letter_download, name="letter"),
    path("members/<str:country>/organisations/", views.organisation_add, name="organisation_add"),
    path(
        "members/<str:country>/organisations/<int:pk>/remove/",
        views.organisation_remove,
        name="organisation_remove",
    ),
    path(
        "members/<str:country>/organisations/<int:pk>/accreditation/",
        views.accreditation_set,
        name="accreditation",
    ),
    path("members/<str:country>/focal-points/", views.contact_add, name="contact_add"),
    path(
        "members/<str:country>/focal-points/<int:pk>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
    path("members/<str:country>/publication/", views.publication, name="publication"),
    path("members/<str:country>/commitments/new/", views.commitment_add, name="commitment_add"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment_detail"),
    path("commitments/<int:pk>/publish/", views.commitment_publish, name="commitment_publish"),
    path("commitments/<int:pk>/close/", views.commitment_close, name="commitment_close"),
    path("commitments/<int:pk>/progress/", views.progress_add, name="progress_add"),
    path("progress/<int:pk>/comments/", views.progress_comment, name="progress_comment"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/submissions/", views.review_submit, name="review_submit"),
    path("reviews/<int:pk>/summary/", views.review_summarise, name="review_summarise"),
    path("reviews/<int:pk>/recommendation/", views.review_recommend, name="review_recommend"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("directory/", views.directory_page, name="directory"),
    path("governance/", views.governance_page, name="governance"),
    path("governance/co-chairs/", views.co_chairs_confirm, name="co_chairs_confirm"),
    path("governance/co-chairs/next/", views.co_chairs_confirm_next, name="co_chairs_confirm_next"),
    path("governance/steering-group/", views.steering_add, name="steering_add"),
    path("governance/steering-group/<int:pk>/end/", views.steering_end, name="steering_end"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("meetings/<int:pk>/actions/", views.action_add, name="action_add"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("export/", views.export_index, name="export"),
    path("export/<slug:table>.csv", views.export_table, name="export_table"),
    path("public/", public_views.public_index, name="public_index"),
    path("public/<str:country>/", public_views.public_member, name="public_member"),
]
