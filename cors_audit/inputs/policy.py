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

import fnmatch
import functools
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
    model_validator,
)

from cors_audit.core import models
from cors_audit.inputs.policy_values import (
    _DOMAIN_EXAMPLE,
    _GLOB_EXPECTED,
    _ORIGIN_EXAMPLE,
    _RATE_EXPECTED,
    Domains,
    HeaderNames,
    Methods,
    Origins,
    OriginStr,
    PathStr,
    Seconds,
    _check_glob,
    _check_rate,
    _check_scope_glob,
    _check_shard,
    _check_target_method,
    _check_url,
    _Invalid,
    _q,
)
from cors_audit.inputs.settings import (
    FAIL_ON_CHOICES,
    AnySetting,
    Kind,
    scan_settings,
    starter_scan_block,
)
from cors_audit.inputs.toml_file import (
    _TOOL_HEADER_RE,
    PolicyValidationError,
    TomlSchema,
    _Locator,
    _tool_table,
    _unknown_key_error,
    read_toml,
    validate_toml,
)

POLICY_FILE_NAME: Final = "cors-policy.toml"
PYPROJECT_FILE_NAME: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = ("tool", "cors-audit")

# ---------------------------------------------------------------------------------------------
# Value checks. Each raises ``_Invalid`` (a ValueError, so pydantic records it with its location)
# carrying a message that names the offending value and what was expected instead.


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


_SCAN_KINDS: Final[dict[Kind, tuple[Any, str]]] = {
    Kind.FLAG: (StrictBool, "true or false"),
    Kind.PATH: (PathStr, "a file path"),
    Kind.COUNT: (Annotated[StrictInt, Field(ge=1)], "a whole number >= 1"),
    Kind.RETRIES: (Annotated[StrictInt, Field(ge=0)], "a whole number >= 0"),
    Kind.SECONDS: (Annotated[StrictInt | StrictFloat, Field(gt=0)], "a number of seconds > 0"),
    Kind.METHOD: (
        Annotated[StrictStr, AfterValidator(_check_target_method)],
        'an HTTP method such as "GET"',
    ),
    Kind.ORIGIN: (OriginStr, _ORIGIN_EXAMPLE),
    Kind.PROXY: (StrictStr, 'a proxy URL such as "http://127.0.0.1:8080"'),
    Kind.RATE: (
        Annotated[StrictStr | StrictInt | StrictFloat, AfterValidator(_check_rate)],
        _RATE_EXPECTED,
    ),
    Kind.FAIL_ON: (
        Literal.__getitem__(Kind.FAIL_ON.choices),
        "one of " + ", ".join(FAIL_ON_CHOICES),
    ),
    Kind.BROWSER_MODE: (
        Literal.__getitem__(Kind.BROWSER_MODE.choices),
        " or ".join(f'"{mode}"' for mode in Kind.BROWSER_MODE.choices),
    ),
    Kind.SHARD: (
        Annotated[StrictStr, AfterValidator(_check_shard)],
        'a shard such as "2/5", or "auto"',
    ),
    Kind.JSON_DETAIL: (
        Literal.__getitem__(Kind.JSON_DETAIL.choices),
        " or ".join(f'"{detail}"' for detail in Kind.JSON_DETAIL.choices),
    ),
}


"""Each kind of ``[scan]`` value: its validation and what an error says was expected."""


class ScanSettings(BaseModel):
    """The ``[scan]`` table of the policy file (or ``[tool.cors-audit.scan]`` in
    pyproject.toml): defaults for ``cors-audit scan`` options. Precedence: command line, then
    ``CORS_AUDIT_*`` environment variables, then this table, then the built-in default. Paths
    are relative to the file. Secrets (headers, cookies) are deliberately not accepted here.

    Its keys are the settings table's (``inputs/settings.py``): the policy loader makes a
    subclass with one validated field per row that has a kind, and refuses any other key. The
    application's table adds one row per report format (``load_policy(path, SETTINGS)`` from
    ``app/settings.py``, as every command loads a policy); without it, only the rows of
    ``inputs/settings.py`` are keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def value(self, setting: AnySetting) -> object:
        """The value the table states for ``setting`` (``None``: not stated)."""
        field = _field_name(setting)
        return getattr(self, field) if field in type(self).model_fields else None


def _field_name(setting: AnySetting) -> str:
    # Suffixed: a key may be named like a BaseModel attribute ("json"); the key is the alias.
    return f"{setting.name}_"


@functools.cache
def _scan_settings_model(settings: tuple[AnySetting, ...]) -> type[ScanSettings]:
    fields: dict[str, Any] = {
        _field_name(row): (_SCAN_KINDS[row.kind][0] | None, Field(default=None, alias=row.key))
        for row in settings
        if row.kind is not None
    }
    return create_model("ScanSettings", __base__=ScanSettings, **fields)


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


def load_policy(path: Path, settings: Sequence[AnySetting] = ()) -> Policy:
    """Read and validate a policy file; ``pyproject.toml`` is read from ``[tool.cors-audit]``.
    Its ``[scan]`` table is checked against ``settings`` (the scan settings table; see
    `policy_schema`).

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
        raise PolicyValidationError(
            [_unknown_key_error(("source",), file, locator, prefix, POLICY_SCHEMA)]
        )
    policy = validate_toml(data, text, file, policy_schema(settings), prefix)
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
}


_NESTED: Final[dict[str, type[BaseModel]]] = {
    "override": Override,
    "target": TargetEntry,
    "max_age": MaxAge,
}


@functools.cache
def _policy_schema(settings: tuple[AnySetting, ...]) -> TomlSchema:
    scan = _scan_settings_model(settings)
    optional: Any = scan | None
    root = create_model("Policy", __base__=Policy, scan=(optional, None))
    hints = {row.key: (_SCAN_KINDS[row.kind][1], "") for row in settings if row.kind and row.key}
    return TomlSchema(root=root, nested={**_NESTED, "scan": scan}, hints={**_HINTS, **hints})


def policy_schema(settings: Sequence[AnySetting] = ()) -> TomlSchema:
    """The policy file's schema, its ``[scan]`` keys the rows of ``settings`` that have a kind
    (default: the rows of ``inputs/settings.py``, without the report formats' rows)."""
    return _policy_schema(tuple(settings) or scan_settings(()))


POLICY_SCHEMA: Final = policy_schema()


"""The policy file's schema with the ``[scan]`` keys of ``inputs/settings.py``."""


_STARTER_POLICY: Final = """\
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

"""


"""The commented starter policy, up to its ``[scan]`` block (see `starter_policy`)."""


def starter_policy(settings: Sequence[AnySetting]) -> str:
    """The commented starter policy written by ``cors-audit init``, its ``[scan]`` block made
    from ``settings`` (the scan settings table)."""
    return _STARTER_POLICY + starter_scan_block(settings)


__all__ = [
    "POLICY_FILE_NAME",
    "MaxAge",
    "Override",
    "Policy",
    "PolicyValidationError",
    "ScanSettings",
    "TargetEntry",
    "discover_policy",
    "load_policy",
    "policy_free",
    "policy_schema",
    "resolved_dict",
    "starter_policy",
]
