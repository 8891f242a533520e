"""The editors' pages, under /portal/manage/ (signed in). The public pages are `public_urls`."""

from django.urls import path

from amparo.portal import views

app_name = "portal_manage"

urlpatterns = [
    path("", views.publication_list, name="list"),
    path("new/events/", views.create_events, name="create_events"),
    path("new/statistics/", views.create_statistics, name="create_statistics"),
    path("new/recommendations/", views.create_recommendations, name="create_recommendations"),
    path("<int:pk>/", views.publication_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.publication_transition, name="transition"),
]
