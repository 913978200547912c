"""The targets of a run and the credentials that go with them: URL arguments, target files,
targets made in memory, inventories (OpenAPI, HAR) and the policy's ``[[target]]``, checked
against the scope; the HAR's credentials and a cookie jar's cookies join the options, and every
warning about them is said (to the observer) and kept for the report's notes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from cors_audit.app.request import Observer, RunRequest
from cors_audit.app.scan import ScanOptions
from cors_audit.core.errors import UsageError
from cors_audit.core.models import Headers, Target
from cors_audit.core.redaction import parameter_warning, redact_url
from cors_audit.inputs.auth import cookie_from_jar
from cors_audit.inputs.policy import Policy
from cors_audit.inputs.settings import INSECURE, PROXY
from cors_audit.inputs.targets import check_scope, collect_targets, in_scope


@dataclass(frozen=True, slots=True)
class Collected:
    """The targets of a run, in order, with what was learnt collecting them."""

    targets: Sequence[Target]
    """In order, on disk (``inputs/targets.py``): read them in passes, do not hold them."""
    options: ScanOptions
    """The request's options with the HAR's credentials and the cookie jar's cookie added."""
    notes: list[str]
    """For the report's notes: what the inventories said, and every warning."""
    url_parameters: bool
    """Some target URL has a credential-like query parameter (redacted in every output)."""


def collect(request: RunRequest, observer: Observer) -> Collected:
    """Every target of ``request``. Raises ``UsageError`` (nothing was sent) when there is none,
    one is out of scope, or the credentials cannot be used."""
    policy = request.policy
    policy_targets = [(t.url, t.method, t.site_origin) for t in policy.targets] if policy else []
    imported, notes, har_headers = _imports(request)
    sources = request.targets
    targets = collect_targets(
        sources.urls,
        sources.files,
        policy_targets,
        method=sources.method,
        site_origin=sources.site_origin,
        stdin=sys.stdin,
        imported=[*sources.given, *imported],
    )
    if not targets:
        raise UsageError(
            "no targets: give URLs, -f FILE (or -f - for stdin), or [[target]] in the policy"
        )
    check_scopes(targets, policy, request.scope)
    options = request.options
    if har_headers:
        engine = options.engine
        options = replace(options, engine=replace(engine, headers=engine.headers + har_headers))
    if request.cookie_file is not None:
        if options.engine.cookie is not None:
            raise UsageError("give either --cookie or --cookie-file, not both")
        cookie = cookie_from_jar(request.cookie_file, (t.url for t in targets))
        options = replace(options, engine=replace(options.engine, cookie=cookie))
    for note in plain_http_warnings(targets, options, request.scope):
        observer.alert(note)
        notes.append(note)
    warning = parameter_warning(t.url for t in targets)
    if warning is not None:
        notes.append(warning)
        observer.warn(warning)
    return Collected(targets, options, notes, url_parameters=warning is not None)


def check_scopes(targets: Sequence[Target], policy: Policy | None, cli: Sequence[str]) -> None:
    """``--scope`` is an upper bound: the policy's ``scope`` may narrow it, never widen it, and
    a policy may not route the scan elsewhere (``[scan] proxy``) or drop TLS checks
    (``insecure``) under it. Raises ``UsageError`` naming the policy file and key."""
    narrowed = policy.scope if policy else ()
    if not cli:
        check_scope(targets, narrowed)
        return
    if policy is not None:
        where = policy.source or "the policy"
        stated = policy.scan
        for setting in (PROXY, INSECURE):
            value = None if stated is None else stated.value(setting)
            if value is not None and value is not False:
                raise UsageError(
                    f"{where}: [scan] {setting.key} is refused when --scope is given on the "
                    "command line (a policy may not widen what the scan reaches); give "
                    f"--{setting.key} on the command line instead"
                )
        for target in targets:
            if target.source == "policy" and not in_scope(target.url, cli):
                raise UsageError(
                    f"{where}: [[target]] {redact_url(target.url)} is outside the --scope given "
                    "on the "
                    f"command line ({', '.join(cli)}); nothing was sent"
                )
    check_scope(targets, cli)
    check_scope(targets, narrowed)


def plain_http_warnings(
    targets: Sequence[Target], options: ScanOptions, scope: Sequence[str]
) -> list[str]:
    """Warnings before credentials go over plain http to a host the user did not name on the
    command line (a URL argument or a ``--scope`` glob)."""
    if not (options.engine.headers or options.engine.cookie):
        return []
    named = {urlsplit(t.url).netloc for t in targets if t.source == "argument"}
    hosts: dict[str, str] = {}
    for target in targets:
        parts = urlsplit(target.url)
        if parts.scheme != "http" or parts.netloc in named:
            continue
        if scope and in_scope(target.url, scope):
            continue
        hosts.setdefault(parts.netloc, target.source)
    return [
        f"credentials are sent over plain http to {host} (from {source}), a host not named on "
        "the command line; anyone on the network path can read them"
        for host, source in hosts.items()
    ]


def _imports(request: RunRequest) -> tuple[list[Target], list[str], Headers]:
    """Targets from --openapi / --har, run notes, and the HAR's credentials (only with
    --har-credentials)."""
    from cors_audit.inputs.sources import ImportOptions, load_all

    given = request.inventories
    if given.base_url is not None and given.openapi is None:
        raise UsageError("--base-url needs --openapi")
    if given.har_credentials and given.har is None:
        raise UsageError("--har-credentials needs --har")
    targets: list[Target] = []
    notes: list[str] = []
    headers: Headers = ()
    files = {"openapi": given.openapi, "har": given.har}
    options = ImportOptions(base_url=given.base_url, with_credentials=given.har_credentials)
    for _, inventory in load_all(files, options):
        targets += [
            replace(t, request_headers=inventory.request_headers.get((t.method, t.url), ()))
            for t in inventory.targets
        ]
        notes += inventory.notes
        if inventory.origin_candidates:
            notes.append(
                "origins seen calling these URLs in the HAR (candidates only, never trusted "
                "automatically; add them to trusted_origins if intended): "
                + ", ".join(inventory.origin_candidates)
            )
        if given.har_credentials and not inventory.credentials and inventory.credentials_by_origin:
            raise UsageError(
                f"{given.har}: its credentials belong to several origins "
                f"({', '.join(inventory.credentials_by_origin)}); import one site per run"
            )
        headers += inventory.credentials
    return targets, notes, headers


__all__ = ["Collected", "check_scopes", "collect", "plain_http_warnings"]
