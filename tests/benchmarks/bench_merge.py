"""Memory of ``cors-audit merge`` at scale (issue 18). A script, not a pytest test.

    python tests/benchmarks/bench_merge.py [--shards 100] [--per-shard 1000] [--json out.json]

Writes ``--shards`` synthetic shard reports of ``--per-shard`` targets each (the test fixtures'
realistic targets copied onto distinct hosts, ``tests/support/scaled_report.py``: 1.5 findings
per target with their evidence, written in the compact form a large scan writes) to a temporary
directory, then runs ``cors-audit merge`` on them and on a split of a tenth as many shards, each
in a fresh child process, and prints the time, the peak RSS of the child and the merged file's size.
The merge reads one shard at a time and spools targets and findings to disk
(``report/spool.py``), so its peak RSS should barely grow from the tenth to all. No network.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


def child(args: list[str]) -> None:
    """Run ``cors-audit merge ARGS`` in this process; print its peak RSS (MB) last."""
    from cors_audit.cli import main as command

    sys.argv = ["cors-audit", "merge", *args]
    code: object = 0
    try:
        command.main()
    except SystemExit as exit_:
        code = exit_.code
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"exit": code, "peak_rss_mb": round(peak, 1)}))


def write_shards(root: Path, shards: int, per_shard: int) -> list[Path]:
    """``shards`` compact shard reports of ``per_shard`` targets each, on distinct hosts."""
    from support.scaled_report import scaled_report

    from cors_audit.report.compact import iter_compact

    template = "".join(iter_compact(scaled_report(per_shard)))
    paths = []
    total = shards * per_shard
    for k in range(shards):
        text = re.sub(r"\bh(\d+)\.", lambda m, k=k: f"s{k}h{m.group(1)}.", template)
        text = re.sub(
            r'"index":(\d+)', lambda m, k=k: f'"index":{int(m.group(1)) + k * per_shard}', text
        )
        document = json.loads(text)
        document["shard"] = {"index": k + 1, "count": shards, "total_targets": total}
        path = root / f"shard-{k + 1}.json"
        path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def merge(root: Path, paths: list[Path], label: str) -> dict[str, Any]:
    out = root / f"merged-{label}.json"
    args = [
        *map(str, paths),
        "--json",
        str(out),
        "--json-detail",
        "compact",
        "--fail-on",
        "never",
        "--allow-errors",
        "-q",
    ]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if done.returncode != 0 or figures["exit"] != 0:
        raise RuntimeError(f"merge failed ({figures}):\n{done.stderr[-3000:]}")
    merged = json.loads(out.read_text(encoding="utf-8"))
    figures.update(
        shards=len(paths),
        targets=merged["summary"]["targets"],
        findings=len(merged["findings"]),
        seconds=round(seconds, 1),
        merged_mb=round(out.stat().st_size / 1e6, 1),
        input_mb=round(sum(p.stat().st_size for p in paths) / 1e6, 1),
    )
    out.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=100)
    parser.add_argument("--per-shard", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    with tempfile.TemporaryDirectory(prefix="cors-audit-bench-merge-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        rows = []
        for count in (max(1, args.shards // 10), args.shards):
            folder = root / str(count)
            folder.mkdir()
            paths = write_shards(folder, count, args.per_shard)
            print(f"  {count} shard reports written ({time.perf_counter() - started:.0f} s)")
            rows.append(merge(folder, paths, str(count)))
            for path in paths:
                path.unlink()
    print("| shards | targets | findings | input | merged | time | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['shards']} | {row['targets']:,} | {row['findings']:,} | "
            f"{row['input_mb']} MB | {row['merged_mb']} MB | {row['seconds']} s | "
            f"{row['peak_rss_mb']} MB |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
