from django.urls import path

from . import views

urlpatterns = [
    path("account/alerts/", views.alerts, name="alerts"),
    path("alerts/off/<str:token>", views.turn_off, name="alerts_off"),
]
