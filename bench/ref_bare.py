"""Reference (b): a bare `websockets` server using broadcast(), the practical limit for
Python. A Redis subscription feeds it, like every other server in the benchmark.

    python bench/ref_bare.py --port 8100 --redis redis://127.0.0.1:6379/0 --channel bench
"""

from __future__ import annotations

import argparse
import asyncio

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection, broadcast, serve

CONNECTIONS: set[ServerConnection] = set()


async def handler(connection: ServerConnection) -> None:
    CONNECTIONS.add(connection)
    try:
        await connection.wait_closed()
    finally:
        CONNECTIONS.discard(connection)


async def main(port: int, url: str, channel: str) -> None:
    client = aioredis.Redis.from_url(url, socket_timeout=None)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=4096):
        async for message in pubsub.listen():
            if message["type"] == "message":
                broadcast(CONNECTIONS, message["data"].decode())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    import uvloop

    uvloop.install()
    asyncio.run(main(args.port, args.redis, args.channel))
