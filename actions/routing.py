from django.urls import path

from .consumers import ActionConsumer, MeConsumer

websocket_urlpatterns = [
    path("ws/actions/<slug:slug>/", ActionConsumer.as_asgi()),
    path("ws/me/", MeConsumer.as_asgi()),
]
