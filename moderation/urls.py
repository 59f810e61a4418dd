from django.urls import path

from . import views

urlpatterns = [
    path("a/<slug:key>/report", views.report, {"kind": "action"}, name="report_action"),
    path("u/<slug:key>/report", views.report, {"kind": "person"}, name="report_person"),
    path("moderation/", views.queue, name="moderation_queue"),
    path("moderation/decide", views.decide, name="moderation_decide"),
]
