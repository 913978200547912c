"""The size of the JSON report, full and compact (``--json-detail compact``), at scale.

A script, not a pytest test (it builds a 10 000-target report, a few seconds)::

    python tests/benchmarks/bench_json_size.py              # 10 000 targets
    python tests/benchmarks/bench_json_size.py --targets 1000

The report is synthetic (``tests/support/scaled_report.py``: ``sample_report``'s targets
repeated on their own hosts). It exits 1 when the compact form of 10 000 targets is over 60 MB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.scaled_report import scaled_report

from cors_audit.formats.json import render, render_compact

LIMIT_MB = 60.0
"""The compact form of 10 000 targets must be at most this (issue 17)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    args = parser.parse_args()
    report = scaled_report(args.targets)
    started = time.perf_counter()
    full = len(render(report).encode())
    middle = time.perf_counter()
    compact = len(render_compact(report).encode())
    ended = time.perf_counter()
    print(f"{len(report.targets)} targets, {len(report.findings)} findings")
    print(f"full:    {full / 1e6:8.1f} MB  ({middle - started:.1f} s)")
    print(f"compact: {compact / 1e6:8.1f} MB  ({ended - middle:.1f} s), {full / compact:.1f}x")
    limit = LIMIT_MB * len(report.targets) / 10_000
    if compact / 1e6 > limit:
        print(f"compact is over {limit:.1f} MB")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
