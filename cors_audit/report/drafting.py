"""A policy drafted from a scan: ``cors-audit init --from-report report.json``.

Teams rarely know their intended CORS policy up front. This writes a commented policy TOML that
describes what the servers do *today* — the trusted origins that work, the methods, headers,
credentials, exposed headers and max-age that successful preflights grant — and marks every
item a rule flagged with ``FLAGGED`` (commented out when it would trust an attacker), so the
team starts from reality and tightens. Pure: report in, text out; the text always loads with
``policy.load_policy``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from cors_audit.browser import is_forbidden_method
from cors_audit.core.text import sanitize
from cors_audit.core.wire import url_origin
from cors_audit.judging.observed import LOCAL_DEV
from cors_audit.report.baseline import toml_string
from cors_audit.report.model import FindingModel, Report, TargetModel


def _array(key: str, items: Sequence[tuple[str, str]], flagged: Sequence[tuple[str, str]]) -> str:
    """``key = [ … ]`` with one commented item per line; flagged items are commented out."""
    if not items and not flagged:
        return f"{key} = []"
    lines = [f"{key} = ["]
    # Notes quote the report, which is untrusted input: a newline there would end the comment
    # and add TOML of the report's choosing, so control characters are shown escaped.
    lines += [f"  {toml_string(value)},  # {sanitize(note)}" for value, note in items]
    lines += [f"  # {toml_string(value)},  # FLAGGED {sanitize(note)}" for value, note in flagged]
    lines.append("]")
    return "\n".join(lines)


def _union(values: Iterable[str], *, fold: bool) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.lower() if fold else value
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _flags(findings: Sequence[FindingModel], rules: set[str]) -> list[str]:
    hits = Counter(f.rule for f in findings if f.rule in rules and not f.suppressed)
    return [f"{rule} on {count} target(s)" for rule, count in sorted(hits.items())]


def _comment(flags: list[str]) -> str:
    return f"  # FLAGGED {sanitize('; '.join(flags))}" if flags else ""


def draft_policy(report: Report, *, source: str, today: date | None = None) -> str:
    """The text of a policy file describing what ``report``'s targets do today."""
    scanned = [t for t in report.targets if t.observed is not None and t.error is None]
    findings = [f for f in report.findings if not f.suppressed]
    lines = [
        f"# cors-policy.toml drafted by `cors-audit init --from-report` from {sanitize(source)}",
        f"# on {(today or date.today()).isoformat()}: it describes what the {len(scanned)} "
        "scanned target(s) do TODAY.",
        "# Items marked FLAGGED were reported by a rule; the ones that would trust an attacker",
        "# are commented out. Review every line, tighten, then scan with --policy.",
        "",
    ]
    lines.append(_origins(scanned, findings, report))
    lines.append("")
    lines += _settings(scanned, findings)
    lines += _public_overrides(scanned, findings)
    lines += _targets(report.targets)
    return "\n".join(lines).rstrip() + "\n"


def _origins(
    scanned: Sequence[TargetModel], findings: Sequence[FindingModel], report: Report
) -> str:
    seen: Counter[str] = Counter()
    with_credentials: Counter[str] = Counter()
    discovered: Counter[str] = Counter()
    local: set[str] = set()
    reported = {f.origin for f in findings if f.origin}
    for target in scanned:
        assert target.observed is not None
        seen.update(set(target.observed.allowed_origins))
        with_credentials.update(set(target.observed.credentialed_origins))
        # Origins discovery found admitted are part of what the server trusts today, unless a
        # rule reported them (a local dev server, say): those stay flagged below.
        found = set(target.observed.discovered) - reported - set(target.observed.allowed_origins)
        discovered.update(o for o in found if not o.startswith(LOCAL_DEV))
        local.update(o for o in found if o.startswith(LOCAL_DEV))
    seen.update(discovered)
    stated = [o for o in report.policy.get("trusted_origins") or [] if isinstance(o, str)]
    order = {origin: i for i, origin in enumerate(stated)}
    ranked = sorted(seen, key=lambda origin: order.get(origin, len(order)))
    items = [
        (
            origin,
            ("found by discovery, " if origin in discovered else "")
            + f"works on {count} of {len(scanned)} target(s)"
            + (
                f", with credentials on {with_credentials[origin]}"
                if with_credentials[origin]
                else ""
            ),
        )
        for origin, count in ((o, seen[o]) for o in ranked)
    ]
    denied = {f.origin for f in findings if f.rule == "trusted-origin-denied" and f.origin}
    items += [
        (origin, "FLAGGED trusted-origin-denied: the policy trusts it but browsers are blocked")
        for origin in stated
        if origin not in seen and origin in denied
    ]
    flagged: dict[str, str] = {}
    for finding in findings:
        if (
            finding.origin
            and finding.origin not in seen
            and finding.rule != "trusted-origin-denied"
        ):
            flagged.setdefault(
                finding.origin, f"{finding.rule} ({finding.severity.value}): {finding.title}"
            )
    for origin in local:
        flagged.setdefault(
            origin,
            "third-party-origin: a local development server (any local program can serve it)",
        )
    return _array("trusted_origins", items, sorted(flagged.items()))


def _settings(scanned: Sequence[TargetModel], findings: Sequence[FindingModel]) -> list[str]:
    observed = [t.observed for t in scanned if t.observed is not None]
    credentials = any(o.credentialed_origins for o in observed)
    methods = _union((m for o in observed for m in o.methods), fold=False)
    # fetch() can never send these (BROWSER-MODEL.md §1.3); a policy may not list them.
    unusable = [m for m in methods if is_forbidden_method(m)]
    methods = [m for m in methods if not is_forbidden_method(m)]
    headers = _union((h for o in observed for h in o.headers), fold=True)
    exposed = _union((h for o in observed for h in o.exposed), fold=True)
    ages = [o.max_age for o in observed if o.max_age is not None]
    lines = [
        f"allow_credentials = {'true' if credentials else 'false'}"
        + _comment(_flags(findings, {"credentials-beyond-policy", "credentials-with-wildcard"})),
    ]
    method_flags = _flags(findings, {"methods-beyond-policy"})
    if unusable:
        method_flags.append(f"left out {', '.join(unusable)}: browsers can never send them")
    if methods:
        lines.append(
            f"allowed_methods = [{', '.join(toml_string(m) for m in methods)}]"
            + _comment(method_flags)
        )
    else:
        lines.append('# allowed_methods = ["GET"]  # no successful preflight was seen')
    lines.append(
        f"allowed_headers = [{', '.join(toml_string(h) for h in headers)}]"
        + _comment(_flags(findings, {"headers-beyond-policy"}))
    )
    lines.append(
        f"expose_headers = [{', '.join(toml_string(h) for h in exposed)}]"
        + _comment(_flags(findings, {"sensitive-exposed-headers"}))
    )
    age_flags = _flags(findings, {"missing-max-age", "max-age-out-of-range"})
    if ages:
        lines.append(f"max_age = {{ min = {min(ages)}, max = {max(ages)} }}" + _comment(age_flags))
    else:
        lines.append(
            "# max_age = { min = 600, max = 7200 }  # no Max-Age was seen" + _comment(age_flags)
        )
    lines.append("public = false")
    return lines


def _public_overrides(
    scanned: Sequence[TargetModel], findings: Sequence[FindingModel]
) -> list[str]:
    lines: list[str] = []
    flagged = {(f.url, f.method) for f in findings if f.rule == "wildcard-origin"}
    for target in scanned:
        assert target.observed is not None
        if not target.observed.wildcard:
            continue
        lines += ["", "[[override]]  # answers Access-Control-Allow-Origin: *"]
        if (target.url, target.method) in flagged:
            lines.append("# FLAGGED wildcard-origin: keep only if this URL really is public")
        lines += [f"match = {toml_string(target.url)}", "public = true"]
    return lines


def _targets(targets: Sequence[TargetModel]) -> list[str]:
    lines: list[str] = []
    for target in targets:
        lines += ["", "[[target]]", f"url = {toml_string(target.url)}"]
        if target.method != "GET":
            lines.append(f"method = {toml_string(target.method)}")
        if target.site_origin != url_origin(target.url):
            lines.append(f"site_origin = {toml_string(target.site_origin)}")
    return lines
