"""Nothing lost: Ctrl-C or SIGTERM during a scan writes the reports for what finished, marked
``"interrupted": true``, and exits 130; report files are written atomically."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


FAST_PROBES = threading.Semaphore(0)


def quick(request: RequestView) -> Reply:
    FAST_PROBES.release()
    lines = [("Access-Control-Allow-Origin", request.origin)] if request.origin else []
    return Reply(200, tuple(lines), b"{}")


def planned_requests(url: str, cwd: Path) -> int:
    """How many requests the scan sends to ``url`` (its --dry-run plan; a reflecting server
    lets an arbitrary origin through, so only round 1 is sent)."""
    plan = cwd / "plan.json"
    subprocess.run(
        [sys.executable, "-m", "cors_audit", "scan", url, "--dry-run", "--json", str(plan), "-q"],
        check=True,
        cwd=cwd,
    )
    requests = json.loads(plan.read_text(encoding="utf-8"))["targets"][0]["requests"]
    return sum(1 for r in requests if r["round"] == 1)


@pytest.fixture
def lab() -> Iterator[tuple[DemoLab, threading.Event]]:
    reached = threading.Event()
    release = threading.Event()

    def hanging(request: RequestView) -> Reply:
        reached.set()
        release.wait(20)  # until the test is over; the scan is interrupted long before
        return Reply(200, (), b"{}")

    endpoints = [
        Endpoint("/fast", "fast", "GET", frozenset(), quick),
        Endpoint("/hangs", "hangs", "GET", frozenset(), hanging),
    ]
    with DemoLab(endpoints=endpoints) as running:
        yield running, reached
        release.set()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_writes_what_finished_and_exits_130(
    lab: tuple[DemoLab, threading.Event], tmp_path: Path, sig: signal.Signals
) -> None:
    server, reached = lab
    out = tmp_path / "r.json"
    expected = planned_requests(server.url("/fast"), tmp_path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cors_audit",
            "scan",
            server.url("/fast"),
            server.url("/hangs"),
            "--timeout",
            "30",
            "--json",
            str(out),
            "-q",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reached.wait(20), "the scan never reached the hanging endpoint"
        for _ in range(expected):  # every probe of /fast has been answered
            assert FAST_PROBES.acquire(timeout=20)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["interrupted"] is True
    # The hanging target never finished, so it is not in the report; the fast one is, unless
    # the signal beat the scanner's last few microseconds of work on it (the note says which).
    urls = [t["url"] for t in report["targets"]]
    assert server.url("/hangs") not in urls
    assert set(urls) <= {server.url("/fast")}
    assert any(f"interrupted: {len(urls)} of 2 targets had finished" in n for n in report["notes"])
    assert not list(tmp_path.glob(".r.json.*"))  # no temporary file left behind
