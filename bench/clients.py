"""An open-loop schedule spread over several client processes, so that the load
generator is never the limit: each process sends its share of the requests on its own
event loop (uvloop), and reports the CPU it spent; a process past 70% of a core is
flagged, as its figures would then mix its own delays with the server's."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.loadgen import Pool, Result, run_schedule

BUSY_CLIENT = 0.7  # of one core
Address = tuple[str, int]


@dataclass(frozen=True)
class Plan:
    """What one client process sends: payloads (each names its web port) and its share
    of the cumulative schedule `due`."""

    payloads: list[tuple[Address, bytes]]  # (where, request)
    share: float
    connections: int


@dataclass
class ClientRun:
    results: list[Result]
    cpu_s: float
    wall_s: float

    @property
    def core_share(self) -> float:
        return self.cpu_s / max(1e-9, self.wall_s)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _send(plan: Plan, due: Callable[[float], float], duration: float, start_at: float) -> list[Result]:
    per_address: dict[Address, list[bytes]] = {}
    for address, payload in plan.payloads:
        per_address.setdefault(address, []).append(payload)
    size = max(1, plan.connections // len(per_address))
    pools = {address: Pool(address[0], [address[1]], size) for address in per_address}
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))

    def scaled(factor: float) -> Callable[[float], float]:
        return lambda t: due(t) * factor

    runs = await asyncio.gather(
        *(
            run_schedule(pools[address], sent, scaled(plan.share * len(sent) / len(plan.payloads)), duration)
            for address, sent in per_address.items()
        )
    )
    return [result for _, results in runs for result in results]


def _client(plan: Plan, due: Callable[[float], float], duration: float, start_at: float, out) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    cpu0 = _cpu()
    results = asyncio.run(_send(plan, due, duration, start_at))
    # The CPU of the sending, from the common start to the last answer.
    wall = max((r.sent_at + r.latency for r in results), default=start_at) - start_at
    out.send(ClientRun(results, _cpu() - cpu0, max(wall, 1e-9)))
    out.close()


def run_clients(
    payloads: list[tuple[Address, bytes]],
    due: Callable[[float], float],
    duration: float,
    processes: int,
    connections: int,
) -> tuple[float, list[ClientRun]]:
    """Send `payloads` on the schedule `due` (cumulative count by second) from
    `processes` client processes started with fork; returns the common start (monotonic,
    shared by every process on Linux) and each process's run."""
    context = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.5 + 0.05 * processes  # every process ready before it
    pipes, procs = [], []
    for i in range(processes):
        mine = payloads[i::processes]
        plan = Plan(mine, len(mine) / max(1, len(payloads)), max(1, connections // processes))
        receive, send = context.Pipe(duplex=False)
        proc = context.Process(target=_client, args=(plan, due, duration, start_at, send), daemon=True)
        proc.start()
        send.close()
        pipes.append(receive)
        procs.append(proc)
    runs = [pipe.recv() for pipe in pipes]
    for proc in procs:
        proc.join()
    for n, run in enumerate(runs):
        if run.core_share > BUSY_CLIENT:
            print(
                f"warning: client process {n} used {run.core_share:.0%} of a core; "
                "its figures include its own delays (add --clients)",
                file=sys.stderr,
            )
    return start_at, runs
