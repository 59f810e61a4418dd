from channels.auth import AuthMiddlewareStack
from django.urls import path, re_path

from accounts.auth import BearerTokenMiddleware

from .consumers import ActionConsumer, MeConsumer, MovementConsumer, NotFoundConsumer

# Action sockets are public and read-only: no session or user lookup per connection,
# which keeps a connect storm of dashboards and phones off the database.
websocket_urlpatterns = [
    path("ws/actions/<slug:slug>/", ActionConsumer.as_asgi()),
    path("ws/movements/<int:movement_id>/", MovementConsumer.as_asgi()),
    path("ws/me/", AuthMiddlewareStack(BearerTokenMiddleware(MeConsumer.as_asgi()))),
    # Anything else (a mistyped path, a slug with other characters) is told so and closed.
    re_path(r"", NotFoundConsumer.as_asgi()),
]
