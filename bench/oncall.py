"""Rotation speed: the final schedule of a year of a 3-layer schedule with overrides.

Run: .venv/bin/python bench/oncall.py [--repeat N]
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.rotation import DAYS, HOURS, WEEKS, Layer, Override, Restriction, final_schedule


def schedule() -> tuple[list[Layer], list[Override]]:
    berlin = ZoneInfo("Europe/Berlin")
    anchor = datetime(2026, 1, 5, 9, tzinfo=berlin)
    people = tuple(f"engineer{i}" for i in range(8))
    layers = [
        Layer(people, 1, WEEKS, anchor=anchor, start=anchor),
        Layer(
            people[:5],
            1,
            DAYS,
            anchor=anchor,
            start=anchor,
            restriction=Restriction(frozenset(range(5)), clock(9), clock(17)),
        ),
        Layer(
            people[3:],
            12,
            HOURS,
            anchor=anchor,
            start=anchor,
            restriction=Restriction(frozenset({5, 6}), clock(8), clock(20)),
        ),
    ]
    overrides = [
        Override(
            anchor + timedelta(days=17 * i), anchor + timedelta(days=17 * i, hours=30), f"cover{i}"
        )
        for i in range(20)
    ]
    return layers, overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    layers, overrides = schedule()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=365)
    timings = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        shifts = final_schedule(layers, overrides, start, end, "Europe/Berlin")
        timings.append((time.perf_counter() - t0) * 1000)
    print(
        f"year of a 3-layer schedule + 20 overrides: {len(shifts)} shifts; "
        f"median {statistics.median(timings):.1f} ms, min {min(timings):.1f} ms, "
        f"max {max(timings):.1f} ms over {args.repeat} runs"
    )


if __name__ == "__main__":
    main()
