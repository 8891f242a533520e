from django.urls import path

from amparo.core import audit_views, views, vocabulary_views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("accounts/two-factor/", views.otp_verify, name="otp_verify"),
    path("accounts/two-factor/enrol/", views.otp_enrol, name="otp_enrol"),
    path("accounts/two-factor/backup-codes/", views.backup_codes, name="backup_codes"),
    path("accounts/", views.account, name="account"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/recover/", views.recover, name="recover"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("vocabularies/", vocabulary_views.thesaurus_list, name="thesaurus_list"),
    path("vocabularies/<slug:slug>/", vocabulary_views.thesaurus_detail, name="thesaurus_detail"),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path(
        "audit/<str:object_type>/<str:object_id>/",
        audit_views.object_audit_trail,
        name="object_audit_trail",
    ),
]
