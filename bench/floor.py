"""The HTTP floor: what one web process spends per request before Good Mob does anything.

Runs uvicorn exactly as the Procfile does (same protocol classes and options) on a
minimal ASGI app that reads the body, parses its JSON and answers 202 with a small
JSON body, then sends the ingestion bench's requests to it on the same open-loop
schedule and client processes. The server's CPU per request is the floor under the
web figure of `bench/ingest.py`: whatever Good Mob does per check-in comes on top.
With `--webs 2` the rate is shared round-robin, as the ingestion bench shares it.

    .venv/bin/python bench/floor.py --rate 700 --duration 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.clients import run_clients  # noqa: E402
from bench.common import PYTHON, CpuMeter, free_port, percentile, report, spawn, stop, wait_port  # noqa: E402
from bench.ingest import checkin_requests  # noqa: E402
from bench.loadgen import ramp  # noqa: E402
from bench.stack import WEB_ARGS  # noqa: E402

ANSWER = json.dumps({"id": 1, "slug": "floor", "status": "pending", "reason": "", "detail": "Checking."}).encode()


async def app(scope: dict, receive, send) -> None:
    """The least a check-in door can do: read, parse, answer."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    json.loads(body or b"{}")
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})


def run(args: argparse.Namespace) -> dict:
    ports = [free_port() for _ in range(args.webs)]
    servers = [spawn([PYTHON, "-m", "uvicorn", "bench.floor:app", "--port", str(p), *WEB_ARGS]) for p in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_port(port, proc=server)
        # The ingestion bench's own requests, round-robin; any token does, the app reads none.
        payloads = checkin_requests("floor", ports, [(0, "x")] * (int(args.rate * args.duration) + 10))
        meter = CpuMeter({"web": [s.pid for s in servers]})
        meter.start()
        _, clients = run_clients(payloads, ramp(args.rate, args.rate, 0.001), args.duration, args.clients, 256)
        meter.stop()
    finally:
        stop(servers)
    results = [r for c in clients for r in c.results]
    answered = [r for r in results if r.status == 202]
    latencies = sorted(r.latency * 1000 for r in answered)
    return {
        "bench": "floor",
        "webs": args.webs,
        "target_rate": args.rate,
        "answered": len(answered),
        "answered_per_s": round(len(answered) / args.duration, 1),
        "request_p50_ms": round(percentile(latencies, 0.50) or 0, 1),
        "request_p99_ms": round(percentile(latencies, 0.99) or 0, 1),
        "cpu_ms_web": meter.per_unit_ms(len(answered))["web"],
        "client_core_max": round(max(c.core_share for c in clients), 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description="The HTTP floor: uvicorn's own CPU per request")
    p.add_argument("--rate", type=float, default=700)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--webs", type=int, default=1, help="web processes sharing the rate, round-robin")
    result = run(p.parse_args())
    report(result, [(key, key.replace("_", " ")) for key in result if key != "bench"])


if __name__ == "__main__":
    main()
