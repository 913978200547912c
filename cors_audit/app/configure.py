"""From the values the command line gave to a `RunRequest`: the policy file is found and loaded
(its ``[scan]`` table checked against the settings table), every setting resolved (command
line, environment, ``[scan]``, default: ``app/settings.py``) and checked, and the options of
the scan built. Every mistake is a ``UsageError`` or ``PolicyError`` naming the option, file,
line or key, raised before anything is sent."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cors_audit.app.request import Inventories, RunRequest, TargetSources
from cors_audit.app.scan import ScanOptions
from cors_audit.app.settings import SETTINGS, Values, resolve
from cors_audit.core.errors import UsageError
from cors_audit.core.models import EffectivePolicy, Severity
from cors_audit.formats import ReportFormat
from cors_audit.inputs import settings as s
from cors_audit.inputs.auth import headers_from_env, read_header_file
from cors_audit.inputs.policy import Policy, discover_policy, load_policy
from cors_audit.inputs.policy_values import parse_rate
from cors_audit.inputs.targets import resolve_shard
from cors_audit.report.build import GateSettings
from cors_audit.sending.engine import EngineOptions

if TYPE_CHECKING:
    from cors_audit.browser import Mode


def scan_request(given: Mapping[str, Any]) -> RunRequest:
    """The run that ``cors-audit scan`` was asked for: ``given`` maps each setting's name to
    what the command line (or its environment variable) gave, ``None`` when nothing."""
    if given.get(s.VERIFY_BROWSER.name) and not given.get(s.DRY_RUN.name):
        # Fail fast (exit 2) before scanning when no browser can be used.
        from cors_audit.verify import replay as verify

        verify.find_chromium()
        verify.require_playwright()
    policy = find_policy(given.get(s.POLICY.name))
    stated = policy.scan if policy else None
    base = Path(policy.source).parent if policy and policy.source else Path.cwd()
    values = resolve(given, stated, base)
    fail_on = parse_fail_on(values[s.FAIL_ON])
    mode = values[s.BROWSER_MODE]
    if mode not in s.BROWSER_MODES:
        raise UsageError(
            f"{s.BROWSER_MODE.option_flags[0]} must be {' or '.join(s.BROWSER_MODES)}, not {mode!r}"
        )
    json_detail = parse_json_detail(values[s.JSON_DETAIL])
    label = values[s.LABEL]
    options = ScanOptions(
        engine=_engine_options(values),
        mode=cast("Mode", mode),  # one of BROWSER_MODES, checked above
        label=None if label is None else _check_label(label),
        thorough=values[s.THOROUGH],
        max_requests=values[s.MAX_REQUESTS],
        target_deadline=values[s.TARGET_DEADLINE],
        max_requests_per_target=values[s.MAX_REQUESTS_PER_TARGET],
    )
    engine = replace(options.engine, fast_transport=values[s.FAST_TRANSPORT])
    deadline = values[s.REQUEST_DEADLINE]
    if deadline is not None:
        if deadline <= 0:
            raise UsageError("--request-deadline must be positive")
        engine = replace(engine, request_deadline=deadline)
    outputs = {fmt: path for fmt in ReportFormat if (path := values.report(fmt)) is not None}
    shard = values[s.SHARD]
    return RunRequest(
        targets=TargetSources(
            urls=values[s.URLS],
            files=values[s.FILE],
            method=values[s.METHOD],
            site_origin=values[s.SITE_ORIGIN],
        ),
        policy=policy,
        options=replace(options, engine=engine),
        outputs=outputs,
        gate=GateSettings(fail_on=fail_on, allow_errors=values[s.ALLOW_ERRORS]),
        baseline=values[s.BASELINE],
        shard=None if shard is None else resolve_shard(shard, os.environ),
        scope=values[s.SCOPE],
        cookie_file=values[s.COOKIE_FILE],
        inventories=Inventories(
            openapi=values[s.OPENAPI],
            base_url=values[s.BASE_URL],
            har=values[s.HAR],
            har_credentials=values[s.HAR_CREDENTIALS],
        ),
        dry_run=values[s.DRY_RUN],
        verify=values[s.VERIFY_BROWSER],
        json_detail=json_detail,
    )


def find_policy(path: Path | None) -> Policy | None:
    """The policy at ``path``, else the one discovered in the working directory
    (``cors-policy.toml``, or a ``pyproject.toml`` with ``[tool.cors-audit]``), else none."""
    if path is None:
        path = discover_policy(Path.cwd())
    return None if path is None else read_policy(path)


def read_policy(path: Path) -> Policy:
    """The policy file at ``path``, its ``[scan]`` table checked against the settings table."""
    return load_policy(path, SETTINGS)


def parse_fail_on(value: str, where: str = s.FAIL_ON.option_flags[0]) -> Severity | None:
    """A ``--fail-on`` value (any case): a severity, or ``None`` for ``never``."""
    value = value.lower()
    if value not in s.FAIL_ON_CHOICES:
        raise UsageError(f"{where} must be one of {', '.join(s.FAIL_ON_CHOICES)}, not {value!r}")
    return None if value == "never" else Severity(value)


def parse_json_detail(value: str | None) -> str:
    """A ``--json-detail`` value (any case; ``None``: the default)."""
    if value is None:
        return s.JSON_DETAIL.default
    detail = value.lower()
    if detail not in s.JSON_DETAILS:
        raise UsageError(
            f"{s.JSON_DETAIL.option_flags[0]} must be one of {', '.join(s.JSON_DETAILS)}, "
            f"not {value!r}"
        )
    return detail


def parse_headers(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``-H`` values (``Name: value``) as header pairs. A malformed one is refused without
    echoing it (it may be a secret); ``Origin`` is refused (cors-audit chooses the origins)."""
    headers: list[tuple[str, str]] = []
    for index, value in enumerate(values, 1):
        name, sep, rest = value.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
            # Never echo the value: it may be a secret.
            raise UsageError(f"-H number {index} must look like 'Name: value'")
        if name.strip().lower() == "origin":
            raise UsageError("-H Origin is not allowed: cors-audit chooses the probe origins")
        headers.append((name.strip(), rest.strip()))
    return tuple(headers)


def _engine_options(values: Values) -> EngineOptions:
    header_file, given = values[s.HEADER_FILE], values[s.HEADER]
    headers = (
        *parse_headers(given),
        *(read_header_file(header_file) if header_file is not None else ()),
        *headers_from_env(),
    )
    concurrency, per_host = values[s.CONCURRENCY], values[s.PER_HOST]
    timeout, retries = values[s.TIMEOUT], values[s.RETRIES]
    if concurrency < 1 or per_host < 1:
        raise UsageError("--concurrency and --per-host must be at least 1")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    if retries < 0:
        raise UsageError("--retries must be 0 or more")
    return EngineOptions(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        rate=_parse_rate(values[s.RATE]),
        proxy=values[s.PROXY],
        insecure=values[s.INSECURE],
        ca_bundle=values[s.CA_BUNDLE],
        headers=headers,
        cookie=values[s.COOKIE],
    )


def _parse_rate(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_rate(value)
    except ValueError as error:
        raise UsageError(f"--rate {error}") from None


def _check_label(label: str) -> str:
    from cors_audit.probing.origins import probe_origins

    try:
        probe_origins("https://example.com", EffectivePolicy(trusted_origins=()), label)
    except ValueError as error:
        raise UsageError(f"--label: {error}") from None
    return label


__all__ = [
    "find_policy",
    "parse_fail_on",
    "parse_headers",
    "read_policy",
    "scan_request",
]
