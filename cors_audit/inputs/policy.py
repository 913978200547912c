"""The policy stage: what CORS behaviour the user *intends*, loaded from TOML and validated.

It reads ``cors-policy.toml`` (or ``[tool.cors-audit]`` in ``pyproject.toml``), validates every
value against what a browser can actually send (serialized origins, byte-exact methods, header
tokens — BROWSER-MODEL.md §1.2, §1.3) and resolves ``[[override]]`` tables into one
``models.EffectivePolicy`` per URL. Anything wrong in the file becomes a ``PolicyError`` naming
file, line, key and what was expected.

It must not do any network I/O, invent defaults for settings the user did not state (``None``
means "not stated" and the rules comparing against it are skipped), or know about rules, probes
or reports beyond ``resolved_dict`` (the policy section of the JSON report).
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import ipaddress
import json
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from cors_audit.browser import is_forbidden_method, is_token, normalize_method
from cors_audit.core import models
from cors_audit.core.errors import PolicyError, UsageError
from cors_audit.core.origin import SHARED_HOSTING_DOMAINS, canonical_host
from cors_audit.inputs.targets import parse_shard

POLICY_FILE_NAME: Final = "cors-policy.toml"
PYPROJECT_FILE_NAME: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = ("tool", "cors-audit")

# ---------------------------------------------------------------------------------------------
# Value checks. Each raises ``_Invalid`` (a ValueError, so pydantic records it with its location)
# carrying a message that names the offending value and what was expected instead.


class _Invalid(ValueError):
    """A value that is well-typed but wrong; ``index`` points into a list when known."""

    def __init__(self, message: str, expected: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.index = index


InvalidValue = _Invalid
"""Public name for validators of other TOML files (the baseline) that reuse this machinery."""


def _q(value: object) -> str:
    """A value as it would be written in TOML (strings double-quoted), shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, datetime | date | time):
        text = value.isoformat()
    elif isinstance(value, list):
        text = "[" + ", ".join(_q(v) for v in value[:4]) + (", …]" if len(value) > 4 else "]")
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {_q(v)}" for k, v in list(value.items())[:4]) + "}"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


_ORIGIN_EXAMPLE: Final = 'a serialized origin such as "https://app.example.com"'
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _split_host_port(netloc: str) -> tuple[str, str | None]:
    """``host[:port]`` (host possibly a bracketed IPv6 literal) → (host, port text or None)."""
    if netloc.startswith("["):  # urlsplit has already checked the brackets are closed
        host, _, rest = netloc.partition("]")
        return host + "]", (rest[1:] if rest.startswith(":") else None)
    if ":" in netloc:
        host, port = netloc.rsplit(":", 1)
        return host, port
    return netloc, None


def _canonical_host(raw: str, value: str) -> str:
    """The host as a browser serializes it: lowercase ASCII, IDNs in punycode, IPv6 compressed."""
    try:
        return canonical_host(raw)
    except ValueError as exc:
        raise _Invalid(f"{_q(value)} has an invalid host: {exc}", _ORIGIN_EXAMPLE) from None


def _check_origin(value: str) -> str:
    """Accept only an origin exactly as a browser puts it in ``Origin`` (BROWSER-MODEL.md §1.2)."""
    if value.lower() == "null":
        raise _Invalid(
            f"{_q(value)} cannot be trusted: any page can send Origin: null from a sandboxed "
            "iframe, a data: URL or after a cross-origin redirect (BROWSER-MODEL.md §1.2)",
            _ORIGIN_EXAMPLE,
        )
    if not value or any(c.isspace() for c in value):
        raise _Invalid(f"{_q(value)} is empty or contains whitespace", _ORIGIN_EXAMPLE)
    if "*" in value:
        domain = value.split("://", 1)[-1].split("/", 1)[0].lstrip("*.").split(":", 1)[0]
        raise _Invalid(
            f"{_q(value)} is a wildcard, and browsers compare origins exactly; to trust every "
            f'https subdomain use trust_subdomains_of = ["{domain}"]',
            _ORIGIN_EXAMPLE,
        )
    if "://" not in value:
        guess = "https://" + value.split("/", 1)[0]
        raise _Invalid(f"{_q(value)} has no scheme; did you mean {_q(guess)}?", _ORIGIN_EXAMPLE)
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # unbalanced brackets, an invalid bracketed IPv6 literal
        raise _Invalid(f"{_q(value)} is not a valid URL ({exc})", _ORIGIN_EXAMPLE) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _Invalid(f"{_q(value)} does not use the http or https scheme", _ORIGIN_EXAMPLE)
    if "@" in parts.netloc:
        raise _Invalid(
            f"{_q(value)} contains userinfo (user@host), which no browser sends in Origin",
            _ORIGIN_EXAMPLE,
        )
    raw_host, raw_port = _split_host_port(parts.netloc)
    if not raw_host:
        raise _Invalid(f"{_q(value)} has no host", _ORIGIN_EXAMPLE)
    host = _canonical_host(raw_host, value)
    port: int | None = None
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise _Invalid(f"{_q(value)} has an invalid port {_q(raw_port)}", _ORIGIN_EXAMPLE)
        port = int(raw_port)
    canonical = f"{scheme}://{host}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        canonical += f":{port}"
    expected = f"the serialized origin {_q(canonical)}"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        reason = "it has a query or fragment, which an origin never has"
    elif parts.path == "/":
        reason = "it has a trailing slash, which an origin never has"
    elif parts.path:
        reason = f"it has a path ({_q(parts.path)}), which an origin never has"
    elif port is not None and port == _DEFAULT_PORTS[scheme]:
        reason = f"{port} is the default port for {scheme}, and browsers omit it"
    elif not raw_host.isascii():
        reason = "browsers send internationalized domain names in punycode"
    elif value != canonical:
        reason = "the scheme and host of a serialized origin are lowercase"
    else:
        return value
    raise _Invalid(
        f"{_q(value)} is not what a browser sends in Origin: {reason}; write {_q(canonical)}",
        expected,
    )


_DOMAIN_EXAMPLE: Final = 'a bare domain name such as "example.com"'


def _check_domain(value: str) -> str:
    """A domain whose https subdomains are all trusted: bare, lowercase, punycode."""
    bare = value.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lstrip("*.")
    if value != bare or not bare:
        raise _Invalid(
            f"{_q(value)} is not a bare domain name (no scheme, path, port, leading dot or "
            f"wildcard); write {_q(bare)}",
            _DOMAIN_EXAMPLE,
        )
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        raise _Invalid(f"{_q(value)} is an IP address, which has no subdomains", _DOMAIN_EXAMPLE)
    canonical = _canonical_host(value, value)
    if canonical != value:
        raise _Invalid(
            f"{_q(value)} is not how a browser writes this domain (lowercase, punycode); "
            f"write {_q(canonical)}",
            f"the domain {_q(canonical)}",
        )
    if "." not in value:
        raise _Invalid(
            f"{_q(value)} is a single label: trusting all its subdomains would trust a whole "
            "top-level domain",
            _DOMAIN_EXAMPLE,
        )
    if value in SHARED_HOSTING_DOMAINS:
        raise _Invalid(
            f"{_q(value)} is a shared hosting platform where anyone can get a subdomain "
            "(BROWSER-MODEL.md §6.1 P-3P); list your own origins in trusted_origins instead",
            _DOMAIN_EXAMPLE,
        )
    return value


def _check_method(value: str, *, wildcard: bool = True) -> str:
    """A method as the application sends it; byte-exact, since browsers compare methods
    case-sensitively (BROWSER-MODEL.md §1.3)."""
    expected = 'an HTTP method such as "GET" or "PATCH"'
    if value == "*" and wildcard:
        return value
    if not is_token(value) or value == "*":
        raise _Invalid(f"{_q(value)} is not an HTTP method name (a token)", expected)
    upper = normalize_method(value)
    if is_forbidden_method(value):
        raise _Invalid(
            f"{_q(value)} is a forbidden method: fetch() refuses to send it "
            "(BROWSER-MODEL.md §1.3)",
            expected,
        )
    if value != upper:
        raise _Invalid(
            f"{_q(value)} is never sent by a browser, which upper-cases it first "
            f"(BROWSER-MODEL.md §1.3); write {_q(upper)}",
            _q(upper),
        )
    return value


def _check_target_method(value: str) -> str:
    return _check_method(value, wildcard=False)


def _check_header(value: str) -> str:
    """A header name (a token) or ``*``. The original case is kept for display."""
    if not is_token(value):
        raise _Invalid(
            f"{_q(value)} is not an HTTP header name (a token)",
            'a header name such as "Content-Type"',
        )
    return value


def _check_url(value: str) -> str:
    """An absolute http(s) URL to scan."""
    expected = 'an absolute http(s) URL such as "https://staging.example.com/api"'
    if not value or any(c.isspace() for c in value):
        raise _Invalid(f"{_q(value)} is empty or contains whitespace", expected)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - urlsplit validates the port lazily
    except ValueError as exc:
        raise _Invalid(f"{_q(value)} is not a valid URL ({exc})", expected) from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise _Invalid(f"{_q(value)} is not an absolute http or https URL", expected)
    return value


_GLOB_EXPECTED: Final = 'a glob on the full URL such as "*/public/*" or "https://api.example.com/*"'


def _check_glob(value: str) -> str:
    """A glob that can match an absolute URL: the URL's scheme is part of what it matches."""
    literal = re.split(r"[*?\[]", value, maxsplit=1)[0]
    if not value or not any(
        s.startswith(literal) or literal.startswith(s) for s in ("http://", "https://")
    ):
        raise _Invalid(
            f"{_q(value)} can never match: match is a case-sensitive glob on the full URL, "
            "scheme included",
            _GLOB_EXPECTED,
        )
    return value


def _unique(what: str, fold: Callable[[str], str]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A list check rejecting duplicates (after ``fold``), pointing at the repeated element."""

    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, int] = {}
        for index, value in enumerate(values):
            first = seen.setdefault(fold(value), index)
            if first != index:
                raise _Invalid(
                    f"{_q(value)} repeats {_q(values[first])} (element {first})",
                    f"each {what} once",
                    index=index,
                )
        return values

    return check


def _non_empty_methods(values: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        raise _Invalid(
            "the list is empty; omit the key if you do not want to state methods",
            'at least one method, e.g. ["GET", "POST"]',
        )
    return values


def _same(value: str) -> str:
    return value


OriginStr = Annotated[StrictStr, AfterValidator(_check_origin)]
DomainStr = Annotated[StrictStr, AfterValidator(_check_domain)]
MethodStr = Annotated[StrictStr, AfterValidator(_check_method)]
HeaderStr = Annotated[StrictStr, AfterValidator(_check_header)]
Origins = Annotated[tuple[OriginStr, ...], AfterValidator(_unique("origin", _same))]
Domains = Annotated[tuple[DomainStr, ...], AfterValidator(_unique("domain", _same))]
# Methods are byte-exact (BROWSER-MODEL.md §1.3): "PATCH" and "patch" are different methods.
Methods = Annotated[
    tuple[MethodStr, ...],
    AfterValidator(_non_empty_methods),
    AfterValidator(_unique("method", _same)),
]
# Header names compare case-insensitively (BROWSER-MODEL.md §1.1); the given case is kept for
# display.
HeaderNames = Annotated[tuple[HeaderStr, ...], AfterValidator(_unique("header", str.lower))]
Seconds = Annotated[StrictInt, Field(ge=0)]

# ---------------------------------------------------------------------------------------------
# The models.

_FROZEN: Final = ConfigDict(extra="forbid", frozen=True)


class MaxAge(BaseModel):
    """The acceptable range for ``Access-Control-Max-Age`` in seconds; either end optional."""

    model_config = _FROZEN

    min: Seconds | None = None
    max: Seconds | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MaxAge:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _Invalid(
                f"min = {self.min} is greater than max = {self.max}", "min to be at most max"
            )
        return self


class Override(BaseModel):
    """Settings for URLs matching ``match``; each stated key replaces the top-level value."""

    model_config = _FROZEN

    match: Annotated[StrictStr, AfterValidator(_check_glob)]
    """fnmatch-style glob on the full URL, case-sensitive (``*`` also matches ``/``)."""
    trusted_origins: Origins | None = None
    trust_subdomains_of: Domains | None = None
    allow_credentials: StrictBool | None = None
    allowed_methods: Methods | None = None
    allowed_headers: HeaderNames | None = None
    expose_headers: HeaderNames | None = None
    max_age: MaxAge | None = None
    public: StrictBool | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> Override:
        if all(getattr(self, name) is None for name in _SETTING_KEYS):
            raise _Invalid(
                f"the override for {_q(self.match)} changes nothing",
                "at least one setting besides match: " + ", ".join(_SETTING_KEYS),
            )
        return self


class TargetEntry(BaseModel):
    """A URL to audit listed in the policy file (``[[target]]``)."""

    model_config = _FROZEN

    url: Annotated[StrictStr, AfterValidator(_check_url)]
    method: Annotated[StrictStr, AfterValidator(_check_target_method)] = "GET"
    site_origin: OriginStr | None = None

    def to_target(self, source: str = "policy") -> models.Target:
        """The pipeline's ``Target`` for this entry."""
        return models.Target(
            url=self.url, method=self.method, site_origin=self.site_origin, source=source
        )


def _check_rate(value: str | float) -> float:
    try:
        return parse_rate(str(value))
    except ValueError as exc:
        raise _Invalid(f"the rate {exc}", _RATE_EXPECTED) from None


def _check_shard(value: str) -> str:
    try:
        parse_shard(value)
    except UsageError:
        raise _Invalid(f"{_q(value)} is not a shard", 'a shard such as "2/5"') from None
    return value


def _check_scope_glob(value: str) -> str:
    if not value.strip() or "/" in value or any(c.isspace() for c in value):
        raise _Invalid(
            f"{_q(value)} is not a host glob", 'a host glob such as "*.staging.example.com"'
        )
    return value


def _check_path(value: str) -> str:
    if not value.strip():
        raise _Invalid("the path is empty", "a file path")
    return value


_RATE_EXPECTED: Final = 'a positive rate such as "20/s" or 20'
PathStr = Annotated[StrictStr, AfterValidator(_check_path)]
FAIL_ON_CHOICES: Final = ("critical", "high", "medium", "low", "info", "never")
FailOn = Literal["critical", "high", "medium", "low", "info", "never"]


def parse_rate(text: str) -> float:
    """``"20/s"`` or ``"20"`` → 20.0; raises ``ValueError`` with the reason otherwise."""
    number = text.strip().lower().removesuffix("/s")
    try:
        rate = float(number)
    except ValueError:
        raise ValueError(f"must look like 20/s or 20, not {text!r}") from None
    if not rate > 0 or rate == float("inf"):
        raise ValueError(f"must be positive, not {text!r}")
    return rate


class ScanSettings(BaseModel):
    """Defaults for ``cors-audit scan`` options: the ``[scan]`` table of the policy file (or
    ``[tool.cors-audit.scan]`` in pyproject.toml). Precedence: command line, then
    ``CORS_AUDIT_*`` environment variables, then this table, then the built-in default. Paths are
    relative to the file. Secrets (headers, cookies) are deliberately not accepted here."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    fail_on: FailOn | None = None
    allow_errors: StrictBool | None = None
    baseline: PathStr | None = None
    json_path: PathStr | None = Field(default=None, alias="json")
    html: PathStr | None = None
    sarif: PathStr | None = None
    junit: PathStr | None = None
    markdown: PathStr | None = None
    method: Annotated[StrictStr, AfterValidator(_check_target_method)] | None = None
    site_origin: OriginStr | None = None
    proxy: StrictStr | None = None
    insecure: StrictBool | None = None
    concurrency: Annotated[StrictInt, Field(ge=1)] | None = None
    per_host: Annotated[StrictInt, Field(ge=1)] | None = None
    rate: Annotated[StrictStr | StrictInt | StrictFloat, AfterValidator(_check_rate)] | None = None
    timeout: Annotated[StrictInt | StrictFloat, Field(gt=0)] | None = None
    retries: Annotated[StrictInt, Field(ge=0)] | None = None
    target_deadline: Annotated[StrictInt | StrictFloat, Field(gt=0)] | None = None
    request_deadline: Annotated[StrictInt | StrictFloat, Field(gt=0)] | None = None
    max_requests_per_target: Annotated[StrictInt, Field(ge=1)] | None = None
    max_requests: Annotated[StrictInt, Field(ge=1)] | None = None
    thorough: StrictBool | None = None
    browser_mode: Literal["chromium", "spec"] | None = None
    shard: Annotated[StrictStr, AfterValidator(_check_shard)] | None = None


class Policy(BaseModel):
    """The whole policy file. Settings left out are ``None`` ("not stated")."""

    model_config = _FROZEN

    trusted_origins: Origins = ()
    trust_subdomains_of: Domains = ()
    allow_credentials: StrictBool | None = None
    allowed_methods: Methods | None = None
    allowed_headers: HeaderNames | None = None
    expose_headers: HeaderNames | None = None
    max_age: MaxAge | None = None
    public: StrictBool = False
    override: tuple[Override, ...] = ()
    """Applied in file order on top of the settings above: later overrides win."""
    target: tuple[TargetEntry, ...] = ()
    scope: tuple[Annotated[StrictStr, AfterValidator(_check_scope_glob)], ...] = ()
    """Host globs a scan may contact (within ``--scope`` when given); empty: the targets given."""
    scan: ScanSettings | None = None
    """Default scan options (not part of the intended CORS policy)."""
    source: str | None = Field(default=None, exclude=True)
    """The file the policy came from (for messages and the report); never read from the file."""

    @property
    def targets(self) -> tuple[TargetEntry, ...]:
        """The ``[[target]]`` entries, in file order."""
        return self.target

    def for_url(self, url: str) -> models.EffectivePolicy:
        """The intended policy for ``url``: top-level settings, then every override whose glob
        matches the URL (case-sensitively), in file order."""
        values: dict[str, Any] = {key: getattr(self, key) for key in _SETTING_KEYS}
        for override in self.override:
            if fnmatch.fnmatchcase(url, override.match):
                for key in _SETTING_KEYS:
                    value = getattr(override, key)
                    if value is not None:
                        values[key] = value
        max_age: MaxAge | None = values["max_age"]
        return models.EffectivePolicy(
            trusted_origins=values["trusted_origins"],
            trust_subdomains_of=values["trust_subdomains_of"],
            allow_credentials=values["allow_credentials"],
            allowed_methods=values["allowed_methods"],
            allowed_headers=values["allowed_headers"],
            expose_headers=values["expose_headers"],
            max_age_min=None if max_age is None else max_age.min,
            max_age_max=None if max_age is None else max_age.max,
            public=values["public"],
            policy_free=False,
        )


_SETTING_KEYS: Final = (
    "trusted_origins",
    "trust_subdomains_of",
    "allow_credentials",
    "allowed_methods",
    "allowed_headers",
    "expose_headers",
    "max_age",
    "public",
)


def policy_free(own_origin: str) -> models.EffectivePolicy:
    """The judgement used without a policy file: only the target's own origin is trusted and
    nothing else is stated (README "Policy file")."""
    return models.EffectivePolicy(trusted_origins=(own_origin,), policy_free=True)


def resolved_dict(policy: Policy | None) -> dict[str, object]:
    """The policy section of the JSON report: every setting, the overrides (stated keys only),
    where it came from and whether the judgement was policy-free."""
    base = Policy() if policy is None else policy
    settings = base.model_dump(mode="json", include=set(_SETTING_KEYS))
    return {
        "source": None if policy is None else policy.source,
        "policy_free": policy is None,
        **{key: settings[key] for key in _SETTING_KEYS},
        "override": [o.model_dump(mode="json", exclude_none=True) for o in base.override],
    }


# ---------------------------------------------------------------------------------------------
# Loading.


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; ``pyproject.toml`` is read from ``[tool.cors-audit]``.

    Raises ``PolicyError`` (all problems of a file at once, see ``PolicyValidationError``).
    """
    file = str(path)
    text, data = read_toml(path, "policy")
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT_FILE_NAME:
        prefix = PYPROJECT_TABLE
        data = _tool_table(data, text, file)
    if "source" in data:  # a model field filled by the loader, not a key of the file
        locator = _Locator(text)
        raise PolicyValidationError([_unknown_key_error(("source",), file, locator, prefix)])
    policy = validate_toml(data, text, file, POLICY_SCHEMA, prefix)
    assert isinstance(policy, Policy)
    return policy.model_copy(update={"source": file})


def discover_policy(cwd: Path) -> Path | None:
    """The policy to use when none is named: ``cors-policy.toml`` in ``cwd``, else a
    ``pyproject.toml`` with a ``[tool.cors-audit]`` table, else ``None``."""
    candidate = cwd / POLICY_FILE_NAME
    if candidate.is_file():
        return candidate
    pyproject = cwd / PYPROJECT_FILE_NAME
    if not pyproject.is_file():
        return None
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # A broken pyproject that seems to hold our table: load it, so the user sees the error
        # instead of a silently policy-free scan.
        return pyproject if _TOOL_HEADER_RE.search(text) else None
    tool = data.get("tool")
    return pyproject if isinstance(tool, dict) and PYPROJECT_TABLE[1] in tool else None


_TOOL_HEADER_RE: Final = re.compile(r'^\s*\[\[?\s*tool\s*\.\s*["\']?cors-audit\b', re.MULTILINE)


def read_toml(path: Path, what: str) -> tuple[str, dict[str, Any]]:
    """The text and parsed data of a TOML file (``what`` names it in errors: "policy",
    "baseline"); raises ``PolicyError`` with file and line for unreadable or invalid TOML."""
    text = _read_text(path, what)
    return text, _parse_toml(text, str(path))


def _read_text(path: Path, what: str) -> str:
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(file, f"{what} file not found") from None
    except IsADirectoryError:
        raise PolicyError(file, f"is a directory, not a {what} file") from None
    except OSError as exc:
        raise PolicyError(file, f"cannot read the {what} file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PolicyError(
            file,
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
            line=line,
            expected="a UTF-8 encoded TOML file",
        ) from None
    return text.removeprefix("\ufeff")  # editors on Windows add a BOM that TOML does not allow


_TOML_POS_RE: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


_LONG_NUMBER: Final = re.compile(r"\d{4301,}")


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line: int | None = None
        found = _TOML_POS_RE.search(message)
        if found:
            line = int(found.group(1))
            message = f"{message[: found.start()]} (column {found.group(2)})"
        else:
            message = message.replace(" (at end of document)", " at the end of the file")
            line = text.count("\n") + 1
        raise PolicyError(
            file, f"invalid TOML: {message}", line=line, expected="valid TOML"
        ) from None
    except ValueError:  # Python's limit on the digits of an int (TOMLDecodeError is handled)
        found = _LONG_NUMBER.search(text)
        digits = len(found.group()) if found else 0
        raise PolicyError(
            file,
            f"a number with {digits} digits",
            line=None if found is None else text.count("\n", 0, found.start()) + 1,
            expected="a number of at most 4300 digits",
        ) from None


def _tool_table(data: dict[str, Any], text: str, file: str) -> dict[str, Any]:
    tool = data.get("tool")
    table = tool.get(PYPROJECT_TABLE[1]) if isinstance(tool, dict) else None
    if table is None:
        near = ""
        if isinstance(tool, dict) and "cors_audit" in tool:
            near = " (found [tool.cors_audit]: the table is spelled with a hyphen)"
        raise PolicyError(
            file,
            f"no [tool.cors-audit] table{near}",
            expected="a [tool.cors-audit] table holding the policy keys",
        )
    if not isinstance(table, dict):
        raise PolicyError(
            file,
            f"{_q(table)} is {_kind(table)}",
            line=_Locator(text).line(PYPROJECT_TABLE),
            key="tool.cors-audit",
            expected="a table: [tool.cors-audit]",
        )
    return table


class PolicyValidationError(PolicyError):
    """Every problem found in one policy file. The attributes describe the first problem (in
    file order), ``errors`` holds them all and ``str()`` lists them one per line."""

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        first = errors[0]
        super().__init__(
            first.file, first.message, line=first.line, key=first.key, expected=first.expected
        )
        self.errors: tuple[PolicyError, ...] = tuple(errors)
        self.args = ("\n".join(str(e) for e in self.errors),)


@dataclass(frozen=True, slots=True)
class TomlSchema:
    """How to validate one kind of TOML file and explain its errors."""

    root: type[BaseModel]
    nested: dict[str, type[BaseModel]]
    """Key → the model of the table(s) under it (for listing allowed keys)."""
    hints: dict[str, tuple[str, str]]
    """Key → (what the whole value should be, what each list element should be)."""


def validate_toml(
    data: dict[str, Any], text: str, file: str, schema: TomlSchema, prefix: tuple[str, ...] = ()
) -> BaseModel:
    """``data`` (parsed from ``text``) validated as ``schema.root``; raises
    ``PolicyValidationError`` listing every problem with its line, key and what was expected."""
    locator = _Locator(text)
    try:
        return schema.root.model_validate(data)
    except ValidationError as exc:
        problems = [
            _translate(err, file, locator, prefix, schema) for err in exc.errors(include_url=False)
        ]
    unique = {(p.line, p.key): p for p in reversed(problems)}  # a union reports each member
    problems = sorted(unique.values(), key=lambda e: (e.line is None, e.line or 0))
    raise PolicyValidationError(problems)


# ---------------------------------------------------------------------------------------------
# Turning pydantic errors into PolicyErrors.

_HINTS: Final[dict[str, tuple[str, str]]] = {
    # key: (what the whole value should be, what each element should be)
    "trusted_origins": (
        'an array of origins, e.g. ["https://app.example.com"]',
        _ORIGIN_EXAMPLE,
    ),
    "trust_subdomains_of": ('an array of domain names, e.g. ["example.com"]', _DOMAIN_EXAMPLE),
    "allowed_methods": (
        'a non-empty array of methods, e.g. ["GET", "POST"]',
        'a method name such as "GET"',
    ),
    "allowed_headers": (
        'an array of header names, e.g. ["Content-Type"]',
        'a header name such as "Content-Type"',
    ),
    "expose_headers": (
        'an array of header names, e.g. ["X-Request-Id"]',
        'a header name such as "X-Request-Id"',
    ),
    "allow_credentials": ("true or false", ""),
    "public": ("true or false", ""),
    "max_age": ("a table such as { min = 600, max = 86400 }", ""),
    "min": ("a whole number of seconds >= 0", ""),
    "max": ("a whole number of seconds >= 0", ""),
    "override": ("an array of tables written [[override]]", "a table written [[override]]"),
    "target": ("an array of tables written [[target]]", "a table written [[target]]"),
    "match": (_GLOB_EXPECTED, ""),
    "url": ('an absolute http(s) URL such as "https://staging.example.com/api"', ""),
    "method": ('an HTTP method such as "GET"', ""),
    "site_origin": (_ORIGIN_EXAMPLE, ""),
    "scan": ("a table written [scan]", ""),
    "scope": (
        'an array of host globs, e.g. ["*.staging.example.com"]',
        'a host glob such as "*.staging.example.com"',
    ),
    "fail_on": ("one of " + ", ".join(FAIL_ON_CHOICES), ""),
    "allow_errors": ("true or false", ""),
    "insecure": ("true or false", ""),
    "baseline": ("a file path", ""),
    "json": ("a file path", ""),
    "html": ("a file path", ""),
    "sarif": ("a file path", ""),
    "junit": ("a file path", ""),
    "markdown": ("a file path", ""),
    "proxy": ('a proxy URL such as "http://127.0.0.1:8080"', ""),
    "concurrency": ("a whole number >= 1", ""),
    "per_host": ("a whole number >= 1", ""),
    "rate": (_RATE_EXPECTED, ""),
    "timeout": ("a number of seconds > 0", ""),
    "retries": ("a whole number >= 0", ""),
    "browser_mode": ('"chromium" or "spec"', ""),
    "target_deadline": ("a number of seconds > 0", ""),
    "request_deadline": ("a number of seconds > 0", ""),
    "max_requests_per_target": ("a whole number >= 1", ""),
    "max_requests": ("a whole number >= 1", ""),
    "thorough": ("true or false", ""),
    "shard": ('a shard such as "2/5"', ""),
}

POLICY_SCHEMA: Final = TomlSchema(
    root=Policy,
    nested={"override": Override, "target": TargetEntry, "max_age": MaxAge, "scan": ScanSettings},
    hints=_HINTS,
)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _hint(loc: tuple[str | int, ...], schema: TomlSchema) -> str | None:
    names = [part for part in loc if isinstance(part, str)]
    if not names or names[-1] not in schema.hints:
        return None
    whole, element = schema.hints[names[-1]]
    return element if isinstance(loc[-1], int) and element else whole


def _key_path(prefix: tuple[str, ...], loc: tuple[str | int, ...]) -> str | None:
    text = ""
    for part in (*prefix, *loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)
            text += f".{name}" if text else name
    return text or None


def _allowed_keys(loc: tuple[str | int, ...], schema: TomlSchema) -> list[str]:
    model = schema.root
    for part in loc:
        if isinstance(part, str) and part in schema.nested:
            model = schema.nested[part]
    return [
        field.alias or name
        for name, field in model.model_fields.items()
        if not field.exclude  # fields the loader fills (the policy's source)
    ]


def _unknown_key_error(
    loc: tuple[str | int, ...],
    file: str,
    locator: _Locator,
    prefix: tuple[str, ...],
    schema: TomlSchema = POLICY_SCHEMA,
) -> PolicyError:
    name = str(loc[-1])
    allowed = _allowed_keys(loc[:-1], schema)
    close = difflib.get_close_matches(name, allowed, n=1)
    message = f"unknown key {_q(name)}" + (f"; did you mean {_q(close[0])}?" if close else "")
    return PolicyError(
        file,
        message,
        line=locator.line((*prefix, *loc)),
        key=_key_path(prefix, loc),
        expected="one of " + ", ".join(allowed),
    )


_UNION_TAGS: Final = frozenset({"str", "int", "float", "bool"})
"""How pydantic names the members of a union in an error location."""


def _translate(
    err: Any, file: str, locator: _Locator, prefix: tuple[str, ...], schema: TomlSchema
) -> PolicyError:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind: str = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    expected = _hint(loc, schema)
    # A union of types (rate = "20/s" or 20) reports each member: keep the value's location.
    # (Never for an unknown key: its name is the last part, whatever it is called.)
    while (
        kind != "extra_forbidden"
        and len(loc) > 1
        and isinstance(loc[-1], str)
        and (loc[-1] in _UNION_TAGS or loc[-1].startswith("function-"))
    ):
        loc = loc[:-1]
    if kind == "extra_forbidden":
        return _unknown_key_error(loc, file, locator, prefix, schema)
    if isinstance(error, _Invalid):
        message, expected = error.message, error.expected
        if error.index is not None:
            loc = (*loc, error.index)
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "greater_than_equal":
        bound = ctx.get("ge")
        message = f"{_q(value)} is negative" if bound == 0 else f"{_q(value)} is below {bound}"
    elif kind == "greater_than":
        message = f"{_q(value)} is not above {ctx.get('gt')}"
    elif kind == "literal_error":
        message = f"{_q(value)} is not one of the choices"
    elif kind.endswith("_type"):
        message = f"{_q(value)} is {_kind(value)}"
    else:  # e.g. an impossible date; pydantic's text without its "Value error," prefix
        message = f"{_q(value)}: {error or err['msg']}"
    return PolicyError(
        file,
        message,
        line=locator.line((*prefix, *loc)),
        key=_key_path(prefix, loc),
        expected=expected,
    )


# ---------------------------------------------------------------------------------------------
# Finding the line of a key. tomllib reports no positions, so this walks the (already valid)
# TOML source once and records the line where every key path, array-of-tables element and list
# element starts.

_Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """``nl``, ``punct`` (one of ``[]{}=,``), ``str`` (a quoted string) or ``bare``."""
    text: str
    line: int


_PUNCT: Final = frozenset("[]{}=,")
_BARE_STOP: Final = frozenset(" \t\r\n[]{}=,#\"'")


def _scan_string(text: str, start: int) -> tuple[str, int]:
    """The content and end offset of the quoted string starting at ``start``."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        pos = start + 3
        while pos < len(text):
            if quote == '"' and text[pos] == "\\":
                pos += 2
                continue
            if text.startswith(quote * 3, pos):
                end = pos + 3
                while end < len(text) and text[end] == quote and end - pos < 5:
                    end += 1  # up to two quotes may sit right before the closing delimiter
                return text[start + 3 : end - 3], end
            pos += 1
        return text[start + 3 :], len(text)
    pos = start + 1
    while pos < len(text) and text[pos] not in (quote, "\n"):
        pos += 2 if quote == '"' and text[pos] == "\\" else 1
    content = text[start + 1 : pos]
    if quote == '"' and "\\" in content:
        # A TOML-only escape (\e, \U…) fails to decode: the raw text still identifies the key.
        with contextlib.suppress(ValueError):
            content = json.loads(f'"{content}"')
    return content, pos + 1


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    line, pos = 1, 0
    while pos < len(text):
        char = text[pos]
        if char == "\n":
            tokens.append(_Token("nl", char, line))
            line += 1
            pos += 1
        elif char in " \t\r":
            pos += 1
        elif char == "#":
            end = text.find("\n", pos)
            pos = len(text) if end == -1 else end
        elif char in _PUNCT:
            tokens.append(_Token("punct", char, line))
            pos += 1
        elif char in "\"'":
            content, end = _scan_string(text, pos)
            tokens.append(_Token("str", content, line))
            line += text.count("\n", pos, end)
            pos = end
        else:
            end = pos
            while end < len(text) and text[end] not in _BARE_STOP:
                end += 1
            tokens.append(_Token("bare", text[pos:end], line))
            pos = end
    return tokens


class _Locator:
    """Line numbers of key paths in a TOML source (1-based). Paths use tomllib's shape:
    table names, then for arrays of tables the element index (``("override", 2, "public")``)."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._pos = 0
        self._lines: dict[_Path, int] = {}
        self._aot_counts: dict[_Path, int] = {}
        self._document()

    def line(self, path: _Path) -> int | None:
        """The line of ``path``, or of its nearest recorded ancestor; ``None`` if none is."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return None

    # -- the walk --------------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> _Token:
        index = self._pos + ahead
        if index < len(self._tokens):
            return self._tokens[index]
        return _Token("eof", "", 0)

    def _is(self, token: _Token, char: str) -> bool:
        return token.kind == "punct" and token.text == char

    def _record(self, path: _Path, line: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], line)

    def _skip_line(self) -> None:
        while self._peek().kind not in ("nl", "eof"):
            self._pos += 1

    def _key(self, stop: str) -> list[str]:
        parts: list[str] = []
        while True:
            token = self._peek()
            if token.kind in ("nl", "eof") or self._is(token, stop):
                return parts
            if token.kind == "str":
                parts.append(token.text)
            elif token.kind == "bare":
                parts.extend(p.strip() for p in token.text.split(".") if p.strip())
            self._pos += 1

    def _document(self) -> None:
        table: _Path = ()
        while (token := self._peek()).kind != "eof":
            if token.kind == "nl":
                self._pos += 1
                continue
            if self._is(token, "["):
                array = self._is(self._peek(1), "[")
                self._pos += 2 if array else 1
                table = self._header(self._key("]"), array)
                self._record(table, token.line)
            else:
                path = (*table, *self._key("="))
                self._pos += 1  # the "="
                self._record(path, token.line)
                self._value(path)
            self._skip_line()

    def _header(self, parts: list[str], array: bool) -> _Path:
        resolved: _Path = ()
        for index, part in enumerate(parts):
            resolved = (*resolved, part)
            last = index == len(parts) - 1
            if array and last:
                count = self._aot_counts.get(resolved, 0)
                self._aot_counts[resolved] = count + 1
                return (*resolved, count)
            if resolved in self._aot_counts:  # a sub-table of the latest array element
                resolved = (*resolved, self._aot_counts[resolved] - 1)
        return resolved

    def _value(self, path: _Path) -> None:
        token = self._peek()
        self._pos += 1
        if self._is(token, "["):
            index = 0
            while (item := self._peek()).kind != "eof":
                if item.kind == "nl":
                    self._pos += 1
                elif self._is(item, "]"):
                    self._pos += 1
                    return
                elif self._is(item, ","):
                    self._pos += 1
                    index += 1
                else:
                    self._record((*path, index), item.line)
                    self._value((*path, index))
        elif self._is(token, "{"):
            while (item := self._peek()).kind != "eof":
                if self._is(item, "}"):
                    self._pos += 1
                    return
                if item.kind == "nl" or self._is(item, ","):
                    self._pos += 1
                    continue
                key = (*path, *self._key("="))
                self._pos += 1  # the "="
                self._record(key, item.line)
                self._value(key)


# ---------------------------------------------------------------------------------------------

STARTER_POLICY: Final = """\
# cors-policy.toml — what CORS behaviour you INTEND, so cors-audit can judge what your
# servers actually do the way a browser would. Written by `cors-audit init`; edit freely.
#
# Any setting you leave out is "not stated": the checks that compare against it are skipped
# instead of guessed. Unknown keys are errors, so typos cannot silently weaken the audit.

# Origins allowed to read responses cross-origin. Write them exactly as a browser sends the
# Origin header: scheme and host in lowercase, no path, no trailing slash, no default port
# (":443" / ":80"), internationalized names in punycode. Wildcards and "null" are not accepted.
trusted_origins = ["https://app.example.com", "https://admin.example.com"]

# Domains whose https subdomains are ALL trusted (e.g. ["example.com"] trusts
# https://anything.example.com). Leave empty unless every subdomain is really yours.
trust_subdomains_of = []

# Whether trusted origins may send cookies / HTTP auth (Access-Control-Allow-Credentials: true).
allow_credentials = true

# Methods the frontend uses cross-origin. Case matters ("PATCH" is not "patch"); "*" means any.
allowed_methods = ["GET", "POST", "PATCH"]

# Request headers the frontend sends (case-insensitive); "*" means any.
allowed_headers = ["Content-Type", "Authorization", "X-Api-Key"]

# Response headers scripts may read beyond the safelisted ones (Cache-Control, Content-Type...).
expose_headers = []

# Acceptable Access-Control-Max-Age in seconds for preflight caching. Browsers use 5 s when it
# is missing; Chromium caps it at 7200 s and Firefox at 86400 s.
max_age = { min = 600, max = 86400 }

# true when "Access-Control-Allow-Origin: *" is intended (a public API, CDN assets).
public = false

# Overrides: settings for URLs matching a glob. `match` is matched case-sensitively against the
# full URL (scheme included, `*` also spans "/"). Each key stated here replaces the top-level
# value; when several overrides match, later ones win.
[[override]]
match = "*/public/*"
public = true
allowed_methods = ["GET"]
allow_credentials = false

# Targets can also live here (in addition to URLs on the command line):
# [[target]]
# url = "https://staging.example.com/api/posts/20"
# method = "PATCH"                            # the method the application uses (default GET)
# site_origin = "https://api.example.com"     # the origin browsers see, if you connect by IP

# Hosts a scan may ever contact (host globs, optionally with :port). A target outside them is
# refused before anything is sent. --scope on the command line bounds it: this list may narrow it.
# scope = ["*.staging.example.com", "api.example.com"]

# Default options for `cors-audit scan` (the command line and CORS_AUDIT_* variables win).
# Paths are relative to this file. Never put secrets here: use CORS_AUDIT_HEADER / _COOKIE.
# [scan]
# fail_on = "high"              # critical | high | medium | low | info | never
# baseline = "cors-baseline.toml"
# sarif = "reports/cors-audit.sarif"
# concurrency = 20
# rate = "50/s"
"""
"""The commented starter policy written by ``cors-audit init``."""

__all__ = [
    "POLICY_FILE_NAME",
    "STARTER_POLICY",
    "MaxAge",
    "Override",
    "Policy",
    "PolicyValidationError",
    "TargetEntry",
    "discover_policy",
    "load_policy",
    "policy_free",
    "resolved_dict",
]
