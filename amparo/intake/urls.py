from django.urls import path

from amparo.intake import staff_views, views

app_name = "intake"

urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/follow-up/", views.follow_up, name="follow_up"),
    path("report/follow-up/reply/", views.follow_up_reply, name="follow_up_reply"),
    path("report/proof/", views.proof, name="proof"),
    path("report/forget.css", views.forget, name="forget"),
    path("intake/", staff_views.inbox, name="inbox"),
    path("intake/<uuid:pk>/", staff_views.detail, name="detail"),
    path("intake/<uuid:pk>/assign/", staff_views.assign, name="assign"),
    path("intake/<uuid:pk>/status/", staff_views.set_status, name="status"),
    path("intake/<uuid:pk>/mark/", staff_views.mark, name="mark"),
    path("intake/<uuid:pk>/reply/", staff_views.reply, name="reply"),
    path("intake/<uuid:pk>/note/", staff_views.add_note, name="note"),
    path("intake/<uuid:pk>/communication/", staff_views.communication, name="communication"),
    path("intake/<uuid:pk>/open-case/", staff_views.open_case, name="open_case"),
    path("intake/<uuid:pk>/files/<uuid:file_pk>/", staff_views.download, name="download"),
]
