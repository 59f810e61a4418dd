"""`make bench`: every benchmark in one run, JSON lines as they finish, then tables.

    .venv/bin/python bench/run.py            # full: fan-out to 1k..20k, ingestion at 1,000/s
    .venv/bin/python bench/run.py --quick    # a small look in about two minutes

Each benchmark also runs alone (see bench/fanout.py, bench/ingest.py). Everything they
start, they stop; traffic goes to 127.0.0.1 only; each run bounds its own time.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import fanout, ingest  # noqa: E402
from bench.common import emit, table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    args = parser.parse_args()

    sizes = "1000" if args.quick else "1000,5000,10000,20000"
    broadcasts = "10" if args.quick else "30"
    sys.argv = ["fanout", "--sizes", sizes, "--broadcasts", broadcasts]
    fan = fanout.main()

    runs = []
    scale = [(1, 1), (2, 2)]
    for webs, workers in scale:
        options = ["--webs", str(webs), "--workers", str(workers)]
        if args.quick:
            options += ["--rate", "100", "--duration", "15", "--ramp", "5", "--start-rate", "20"]
        result = ingest.run(ingest.parser().parse_args(options))
        emit(result)
        runs.append(result)

    print("\nFan-out (time from the broadcast call until the last socket has it)")
    print(table(fan, fanout.COLUMNS))
    print("\nIngestion and end to end (check-in POST until the dashboard socket shows it)")
    print(table(runs, ingest.COLUMNS))


if __name__ == "__main__":
    main()
