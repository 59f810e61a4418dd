"""End to end: a check-in POST until a dashboard socket shows it counted.

Needs a running Good Mob (`make run`, or any deployment you may load-test) and sends
traffic only to --url. Creates an organizer (a guest), launches an action that starts
now, holds one dashboard websocket, then has --n guests check in on the spot at --rate
per second. A check-in counts as shown when a snapshot's `checked_in` reaches its
position (verification runs in arrival order).

    .venv/bin/python bench/e2e_checkin.py --url http://127.0.0.1:8000 --n 60 --rate 4

Prints one JSON line per measurement and a short table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

import httpx
import websockets

SPOT = {"lat": 52.5163, "lon": 13.3777}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def guest(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    response = await client.post("/api/v1/guests", json={"name": name})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def run(url: str, n: int, rate: float, timeout: float) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        organizer = await guest(client, "Bench Organizer")
        action = await client.post(
            "/api/v1/actions",
            headers=organizer,
            json={
                "title": f"Bench {uuid.uuid4().hex[:6]}",
                "deed": "Measure the time to the dashboard.",
                "place_name": "Pariser Platz",
                **SPOT,
                "radius_m": 150,
                "starts_at": datetime.now(UTC).isoformat(),
                "duration_minutes": 30,
                "goal": n,
            },
        )
        action.raise_for_status()
        slug = action.json()["slug"]
        people = [await guest(client, f"Runner {i}") for i in range(n)]

        sent: list[float] = []
        request_ms: list[float] = []
        shown: dict[int, float] = {}
        parsed = urlparse(url)
        ws_url = f"{'wss' if parsed.scheme == 'https' else 'ws'}://{parsed.netloc}/ws/actions/{slug}/"
        async with websockets.connect(ws_url, origin=url, max_size=2**22) as ws:
            await ws.recv()  # the snapshot on connect

            async def listen() -> None:
                while len(shown) < n:
                    message = json.loads(await ws.recv())
                    if message.get("type") == "snapshot":
                        now = time.perf_counter()
                        for position in range(message["counts"]["checked_in"]):
                            if position < len(sent):
                                shown.setdefault(position, now)

            listener = asyncio.create_task(listen())
            for i, headers in enumerate(people):
                started = time.perf_counter()
                sent.append(started)
                response = await client.post(
                    f"/api/v1/actions/{slug}/checkins",
                    headers=headers,
                    json={**SPOT, "accuracy_m": 10, "idempotency_key": uuid.uuid4().hex},
                )
                request_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 202, response.text
                await asyncio.sleep(max(0.0, (i + 1) / rate - (time.perf_counter() - sent[0])))
            try:
                await asyncio.wait_for(listener, timeout)
            except TimeoutError:
                pass
        tally = (await client.get(f"/api/v1/actions/{slug}/tally")).json()

    e2e_ms = [(shown[i] - sent[i]) * 1000 for i in shown]
    return {
        "bench": "e2e_checkin",
        "url": url,
        "checkins": n,
        "rate_per_s": rate,
        "shown": len(shown),
        "tally_checked_in": tally["checked_in"],
        "request_p50_ms": round(statistics.median(request_ms), 1),
        "request_p99_ms": round(percentile(request_ms, 0.99), 1),
        "e2e_p50_ms": round(statistics.median(e2e_ms), 1) if e2e_ms else None,
        "e2e_p99_ms": round(percentile(e2e_ms, 0.99), 1) if e2e_ms else None,
        "e2e_max_ms": round(max(e2e_ms), 1) if e2e_ms else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--rate", type=float, default=4.0, help="check-ins per second")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the last update")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("send load only to a server on this machine")
    result = asyncio.run(run(args.url, args.n, args.rate, args.timeout))
    print(json.dumps(result))
    print()
    print(f"{'check-ins':>10} {'shown':>6} {'req p50':>8} {'req p99':>8} {'e2e p50':>8} {'e2e p99':>8} {'e2e max':>8}")
    print(
        f"{result['checkins']:>10} {result['shown']:>6} {result['request_p50_ms']:>8} {result['request_p99_ms']:>8} "
        f"{result['e2e_p50_ms']:>8} {result['e2e_p99_ms']:>8} {result['e2e_max_ms']:>8}   (ms)"
    )


if __name__ == "__main__":
    main()
