from django.urls import path

from . import network_views, views

urlpatterns = [
    path("launch/", views.launch, name="launch"),
    path("a/<slug:slug>", views.action_page, name="action"),
    path("a/<slug:slug>.ics", views.action_ics, name="action_ics"),
    path("a/<slug:slug>/join", views.join, name="join"),
    path("a/<slug:slug>/cancel", views.cancel, name="cancel"),
    path("a/<slug:slug>/qr.svg", views.qr_svg, name="qr"),
    path("a/<slug:slug>/presence.svg", views.presence_qr, name="presence_qr"),
    path("a/<slug:slug>/preview.png", views.preview_png, name="preview"),
    path("a/<slug:slug>/live", views.dashboard, name="dashboard"),
    path("a/<slug:slug>/overlay/<str:widget>", views.overlay, name="overlay"),
    path("a/<slug:slug>/console", views.console, name="console"),
    path("a/<slug:slug>/results", views.results, name="results"),
    path("a/<slug:slug>/results.png", views.results_png, name="results_png"),
    path("a/<slug:slug>/results.csv", views.results_csv, name="results_csv"),
    path("a/<slug:slug>/fork", network_views.fork, name="fork"),
    path("m/<int:movement_id>", network_views.movement, name="movement"),
    path("m/<int:movement_id>/live", network_views.movement_live, name="movement_live"),
    path("m/<int:movement_id>/qr.svg", network_views.movement_qr, name="movement_qr"),
    path("j/", views.join_by_code, name="join_by_code"),
    path("j/<str:code>", views.join_by_code, name="join_code"),
]
