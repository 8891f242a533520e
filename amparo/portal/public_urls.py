"""The public pages, mounted at /portal/ and at /fr/portal/, /es/portal/, /ar/portal/ (the
`lang_prefix` every view receives; `templatetags.portal.portal_url` keeps it in links)."""

from django.urls import path

from amparo.portal import public_views

app_name = "portal"

urlpatterns = [
    path("", public_views.home, name="home"),
    path("reprisals/", public_views.reprisals, name="reprisals"),
    path("statistics/", public_views.statistics, name="statistics"),
    path("recommendations/", public_views.recommendations, name="recommendations"),
    path("methodology/", public_views.methodology, name="methodology"),
    path("data/", public_views.open_data, name="open_data"),
    path("data/reprisals.csv", public_views.reprisals_csv, name="reprisals_csv"),
    path("data/reprisals.json", public_views.reprisals_json, name="reprisals_json"),
    path(
        "data/recommendations.csv",
        public_views.recommendations_csv,
        name="recommendations_csv",
    ),
    path(
        "data/recommendations.json",
        public_views.recommendations_json,
        name="recommendations_json",
    ),
    path("feed.atom", public_views.feed, name="feed"),
    path("p/<slug:slug>/", public_views.publication_page, name="publication"),
    path("p/<slug:slug>/table.csv", public_views.table_csv, name="table_csv"),
    path("p/<slug:slug>/table.json", public_views.table_json, name="table_json"),
    path("p/<slug:slug>/<slug:code>/", public_views.item_page, name="item"),
]
