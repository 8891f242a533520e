from django.urls import path

from amparo.response import views

app_name = "response"

urlpatterns = [
    path("", views.board, name="board"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/actions/", views.action_add, name="action_add"),
    path("plans/<int:pk>/communications/", views.communication_add, name="communication_add"),
    path("actions/<int:pk>/", views.action_update, name="action_update"),
    path("alerts/<int:alert_pk>/plan/", views.plan_for_alert, name="plan_for_alert"),
    path("cases/<int:event_pk>/plan/", views.plan_for_event, name="plan_for_event"),
]
