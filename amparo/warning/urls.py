from django.urls import path

from amparo.warning import views

app_name = "warning"

urlpatterns = [
    path("", views.board, name="board"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("alerts/<int:pk>/close/", views.alert_close, name="close"),
    path("persons/<int:pk>/", views.person_risk, name="person"),
    path("persons/<int:pk>/override/", views.person_override, name="override"),
    path("subscriptions/", views.subscription_list, name="subscriptions"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete, name="subscription_delete"),
]
