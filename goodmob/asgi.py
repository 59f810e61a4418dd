import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goodmob.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up)
from django.urls import get_resolver  # noqa: E402

from common import collector  # noqa: E402
from common.logs import RequestIds  # noqa: E402
from common.metrics import forget_on_exit  # noqa: E402
from edge.door import HotRoutes  # noqa: E402
from goodmob.server import ensure_fd_headroom  # noqa: E402
from realtime.admission import OwnOrigins, SocketCap  # noqa: E402
from realtime.consumers import RawSendMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

ensure_fd_headroom()
forget_on_exit()
# Django imports the URLconf (every view, and the API's schemas) at its first reverse():
# 1.6 s of CPU, measured inside the reconnect storm that follows a restart, where the
# first snapshot sent to a socket asked for its action's URL. Pay it before listening.
get_resolver().reverse_dict  # noqa: B018

application = RequestIds(
    ProtocolTypeRouter(
        {
            "http": HotRoutes(django_asgi_app),
            "websocket": SocketCap(RawSendMiddleware(OwnOrigins(URLRouter(websocket_urlpatterns)))),
        }
    )
)

collector.tune()
