"""The cascade under a crowd: --pledges pledges in --duration seconds, each through the
share link of someone who pledged before (or directly), while a dashboard socket with
?cascade=1 records every `cascade` frame. Reports frames per second and bytes per frame
(the frames must stay coalesced: about one a second, never one per pledge), then audits
that the graph the dashboard assembled from the frames equals the graph read from rows.

    .venv/bin/python bench/cascade.py --pledges 20000 --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, report  # noqa: E402
from bench.ingest import FrameRecorder  # noqa: E402
from bench.stack import start_django  # noqa: E402
from bench.wsclient import handshake  # noqa: E402


def held_graph(frames: list[dict]) -> dict[str, dict]:
    nodes: dict[str, dict] = {}
    for frame in frames:
        if frame["full"]:
            nodes = {}
        nodes.update({n["id"]: n for n in frame["nodes"]})
        for gone in frame["removed"]:
            nodes.pop(gone, None)
    return nodes


async def drive(port: int, action, users: list, args: argparse.Namespace) -> dict:
    from asgiref.sync import sync_to_async

    from actions import cascade, services

    host, port, request = handshake(f"ws://127.0.0.1:{port}/ws/actions/{action.slug}/?cascade=1")
    _, screen = await asyncio.get_running_loop().create_connection(
        lambda: FrameRecorder(request, "cascade"), host, port
    )
    await asyncio.sleep(1)
    handles: list[str] = []

    def pledge_share(lane: int, start: float) -> None:
        # One lane of --threads: pledges n = lane, lane + threads, ... each at its due
        # time, so together they keep the schedule a single thread could not.
        from django.db import connection

        rng = random.Random(lane)
        try:
            for n in range(lane, len(users), args.threads):
                due = start + n * args.duration / len(users)
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                ref = rng.choice(handles) if handles and rng.random() < args.shared else None
                services.pledge(action, users[n], ref_handle=ref)
                handles.append(users[n].profile.handle)
        finally:
            connection.close()

    def pledge_all() -> float:
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(pledge_share, range(args.threads), [start] * args.threads))
        return time.monotonic() - start

    started = time.monotonic()
    took = await sync_to_async(pledge_all, thread_sensitive=False)()
    exact = await sync_to_async(cascade.current_frame)(action)
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        if screen.frames and held_graph([f for _, _, f in screen.frames]) == {n["id"]: n for n in exact["nodes"]}:
            break
        await asyncio.sleep(0.5)
    converged = time.monotonic()
    screen.transport.close()
    frames = [(t, size, f) for t, size, f in screen.frames if t >= started]
    sizes = [size for _, size, f in frames if not f["full"]]
    window = max(1e-9, (frames[-1][0] - frames[0][0]) if len(frames) > 1 else 1)
    held = held_graph([f for _, _, f in screen.frames])
    wanted = {n["id"]: n for n in exact["nodes"]}
    wrong = [i for i in wanted.keys() | held.keys() if held.get(i) != wanted.get(i)]
    if wrong:
        print("first mismatch:", held.get(wrong[0]), "wanted", wanted.get(wrong[0]), file=sys.stderr)
    seqs = [f["seq"] for _, _, f in screen.frames]
    return {
        "pledges": len(users),
        "pledging_s": round(took, 1),
        "pledges_per_s": round(len(users) / took, 1),
        "frames": len(frames),
        "frames_per_s": round(len(frames) / window, 2),
        "full_frames": sum(1 for _, _, f in frames if f["full"]),
        "bytes_p50": int(percentile(sizes, 0.5)) if sizes else 0,
        "bytes_p99": int(percentile(sizes, 0.99)) if sizes else 0,
        "bytes_max": max(sizes, default=0),
        "nodes_per_frame_p50": int(percentile([len(f["nodes"]) for _, _, f in frames], 0.5)) if frames else 0,
        "settle_s": round(converged - started - took, 1),
        "exact": not wrong,
        "mismatched_nodes": len(wrong),
        "seq_gaps": sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b != a + 1),
        "people": exact["people"],
        "depth_max": max((n["depth"] for n in exact["nodes"]), default=0),
    }


def run(args: argparse.Namespace) -> dict:
    stack = start_django()
    from django.contrib.auth.models import User

    from bench.seed import bulk_participants, seed_action

    action = seed_action(duration_minutes=60)
    ids = [uid for uid, _ in bulk_participants(args.pledges)]
    users = list(User.objects.filter(pk__in=ids).select_related("profile").order_by("pk"))
    try:
        stack.start_workers(args.workers)
        stack.start_web(1)
        time.sleep(1.5)
        return asyncio.run(drive(stack.ports[0], action, users, args))
    finally:
        stack.close()


COLUMNS = [
    ("pledges", "pledges"),
    ("pledges_per_s", "pledges/s"),
    ("frames_per_s", "frames/s"),
    ("full_frames", "full"),
    ("bytes_p50", "bytes p50"),
    ("bytes_p99", "bytes p99"),
    ("nodes_per_frame_p50", "nodes/frame"),
    ("settle_s", "settle s"),
    ("depth_max", "depth"),
    ("exact", "exact"),
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Cascade benchmark")
    p.add_argument("--pledges", type=int, default=20_000)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--shared", type=float, default=0.7, help="share of pledges that come through someone's link")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=8, help="threads pledging in this process")
    p.add_argument("--settle", type=float, default=60)
    return p


if __name__ == "__main__":
    report(run(parser().parse_args()), COLUMNS)
