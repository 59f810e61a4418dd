from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("near/", views.near, name="near"),
    path("u/<slug:handle>", views.profile, name="profile"),
    path("u/<slug:handle>/follow", views.toggle_follow, name="toggle_follow"),
]
