"""HTML report scale benchmark (issue 17): size, first render and filter speed at 10 000 targets.

    python tests/benchmarks/bench_html.py [--targets 10000] [--json out.json] [--keep report.html]

It builds a synthetic report from the test fixtures' realistic targets (``sample_report``: a
reflecting API with three findings and four exchanges each, a private-network feed with three
findings, a clean target and a timed-out one), copied round-robin onto ``--targets`` distinct
hosts with a detected stack (nginx, express-cors, starlette or unknown), so every finding has its
own URL, fingerprint, curl and evidence. It renders the HTML (timed, and the size measured),
opens it from ``file://`` in headless Chromium through the project driver
(``cors_audit/verify/chromium.py``) and measures:

* first render: the navigation's ``domContentLoadedEventEnd`` and ``loadEventEnd`` (from
  navigation start), and first contentful paint;
* filter response: a severity filter, a rule filter, a host filter, a text search (the first
  one reads every row's summary text) and "Clear", each from the input event to the end of the
  next frame (a ``requestAnimationFrame`` after the handler, with a forced layout);
* a sort of the 10 000-row targets table by URL.

It prints the figures (and writes them as JSON with ``--json``). A script, not a pytest test: the
timings depend on the machine, so nothing here asserts them. No network: Chromium resolves no
name and the page loads nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.report_fixtures import sample_report  # noqa: E402

from cors_audit.formats import html  # noqa: E402
from cors_audit.report.model import FindingModel, Report, StackModel, TargetModel  # noqa: E402
from cors_audit.verify.chromium import find_chromium, running_chromium  # noqa: E402

STACKS = ("nginx", "express-cors", "starlette", "unknown")


def _host_of(url: str) -> str:
    return url.split("/")[2]


def synthetic_report(count: int) -> Report:
    """``count`` targets cycled from `sample_report`, each on its own host and path."""
    base = sample_report()
    templates = [
        (target, [f for f in base.findings if f.url == target.url]) for target in base.targets
    ]
    targets: list[TargetModel] = []
    findings: list[FindingModel] = []
    for index in range(count):
        target, own = templates[index % len(templates)]
        old_host = _host_of(target.url)
        new_host = f"api{index}.svc{index % 97}.example.com"
        stack = STACKS[index % len(STACKS)]
        targets.append(
            target.model_copy(
                update={
                    "index": index,
                    "url": target.url.replace(old_host, new_host),
                    "site_origin": target.site_origin.replace(old_host, new_host),
                    "stack": StackModel(name=stack, confidence=0.9, evidence=[])
                    if stack != "unknown"
                    else target.stack,
                }
            )
        )
        for finding in own:
            text = finding.model_dump_json().replace(old_host, new_host)
            copy = FindingModel.model_validate_json(text)
            digest = hashlib.sha256(f"{index}:{finding.fingerprint}".encode()).hexdigest()[:32]
            findings.append(copy.model_copy(update={"fingerprint": digest}))
    by_severity = dict.fromkeys(base.summary.by_severity, 0)
    for finding in findings:
        by_severity[finding.severity.value] = by_severity.get(finding.severity.value, 0) + 1
    summary = base.summary.model_copy(
        update={
            "targets": count,
            "findings": len(findings),
            "by_severity": by_severity,
            "errors": sum(1 for t in targets if t.error),
            "requests": sum(t.requests for t in targets),
        }
    )
    synthetic: Report = base.model_copy(
        update={"targets": targets, "findings": findings, "summary": summary}
    )
    return synthetic


FRAME_JS = """
async ([kind, id, value]) => {
  const el = document.getElementById(id);
  const t0 = performance.now();
  if (kind === "click") { el.click(); }
  else {
    el.value = value;
    el.dispatchEvent(new Event(kind, { bubbles: true }));
  }
  void document.body.offsetHeight;
  const handled = performance.now() - t0;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return { handled_ms: handled, frame_ms: performance.now() - t0,
           shown: document.getElementById("f-count").textContent };
}
"""

SORT_JS = """
async () => {
  const button = document.querySelectorAll("#targets-table [data-sort] button")[2];
  const t0 = performance.now();
  button.click();
  void document.body.offsetHeight;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - t0;
}
"""

TIMING_JS = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return { dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
           first_contentful_paint_ms: fcp ? fcp.startTime : null,
           findings: document.querySelectorAll("details.finding").length,
           targets: document.querySelectorAll("#targets-table .target").length };
}
"""


def measure(path: Path) -> dict[str, Any]:
    """Open ``path`` in headless Chromium (the project driver) and time it."""
    figures: dict[str, Any] = {}
    with running_chromium(find_chromium(), ["--host-resolver-rules=MAP * ~NOTFOUND"]) as browser:
        context = browser.contexts[0]
        loads = []
        for _ in range(3):  # the first open also warms the disk cache; report every run
            page = context.new_page()
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(path.as_uri(), wait_until="load", timeout=120_000)
            loads.append(page.evaluate(TIMING_JS))
            if _ != 2:
                page.close()
        figures["loads"] = loads
        steps = [
            ("severity=critical", ("change", "f-severity", "critical")),
            ("clear", ("click", "f-clear", "")),
            ("rule=private-network-allowed", ("change", "f-rule", "private-network-allowed")),
            ("stack=nginx", ("change", "f-stack", "nginx")),
            ("clear", ("click", "f-clear", "")),
            ("host contains 'svc42.'", ("input", "f-host", "svc42.")),
            ("clear", ("click", "f-clear", "")),
            ("search 'private' (first)", ("input", "f-q", "private")),
            ("search 'patch'", ("input", "f-q", "patch")),
            ("clear", ("click", "f-clear", "")),
        ]
        figures["filters"] = [
            {"step": name, **page.evaluate(FRAME_JS, list(args))} for name, args in steps
        ]
        figures["sort_by_url_ms"] = page.evaluate(SORT_JS)
        page.set_viewport_size({"width": 390, "height": 844})
        figures["scroll_width_at_390"] = page.evaluate("() => document.documentElement.scrollWidth")
        page.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", type=Path, help="keep the rendered page here")
    args = parser.parse_args()

    started = time.perf_counter()
    report = synthetic_report(args.targets)
    built = time.perf_counter() - started
    started = time.perf_counter()
    page = html.render(report)
    rendered = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    with tempfile.TemporaryDirectory(prefix="bench-html-") as tmp:
        path = args.keep or Path(tmp) / "report.html"
        path.write_text(page, encoding="utf-8")
        figures: dict[str, Any] = {
            "targets": len(report.targets),
            "findings": len(report.findings),
            "cpus": os.cpu_count(),
            "build_s": round(built, 2),
            "render_s": round(rendered, 2),
            "bytes": size,
            "megabytes": round(size / 1_000_000, 2),
            **measure(path),
        }
    print(f"{figures['targets']} targets, {figures['findings']} findings, {figures['cpus']} CPUs")
    print(f"render (Python): {figures['render_s']} s; page: {figures['megabytes']} MB")
    for run, load in enumerate(figures["loads"], 1):
        print(
            f"open #{run}: DOMContentLoaded {load['dom_content_loaded_ms']:.0f} ms, load "
            f"{load['load_ms']:.0f} ms, first contentful paint "
            f"{load['first_contentful_paint_ms'] or 0:.0f} ms"
        )
    for step in figures["filters"]:
        print(
            f"filter {step['step']}: handler+layout {step['handled_ms']:.0f} ms, next frame "
            f"{step['frame_ms']:.0f} ms ({step['shown']})"
        )
    print(f"sort targets by URL: {figures['sort_by_url_ms']:.0f} ms")
    print(f"page width at 390 px viewport: {figures['scroll_width_at_390']} px")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
