"""Reference (c): the usual way to build this, a minimal stock Channels consumer doing
group_send over channels_redis with default settings, served by uvicorn with its
defaults. BENCH_LAYER picks the layer: `pubsub` or `core`.

    BENCH_LAYER=pubsub REDIS_URL=redis://127.0.0.1:6379/0 BENCH_PREFIX=bench \\
        uvicorn bench.ref_channels:application --port 8200
"""

from __future__ import annotations

import os

import django
from django.conf import settings

LAYERS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
GROUP = "bench"

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["channels"],
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": LAYERS[os.environ.get("BENCH_LAYER", "pubsub")],
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": os.environ.get("BENCH_PREFIX", "asgi")},
        }
    },
)
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class BenchConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def bench_message(self, event: dict) -> None:
        await self.send(text_data=event["text"])


application = URLRouter([path("ws/", BenchConsumer.as_asgi())])
