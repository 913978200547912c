"""Remediation: configuration snippets that fix a rule's finding, per server stack.

`remediation_for` renders, from the intended policy (trusted origins, subdomains, methods,
headers, credentials, Max-Age, exposed headers), one complete and correct CORS configuration
for the detected stack (when known) and a generic, stack-independent one. The lines of the
snippet that fix the given rule carry a ``<- <rule id>`` comment, and the notes start with what
to change for that rule, followed by the stack's pitfalls. `settings_for` returns the
structured settings a snippet is rendered from, so the snippet can be checked by building the
real middleware from them (``tests/test_remediation.py``).

Every value taken from the policy is quoted and escaped for the snippet's language (origins are
validated when the policy is loaded, but an `EffectivePolicy` may be built by hand), ``null``
and ``*`` are never put in an allowlist, and every regular expression is anchored with escaped
dots.

It must not do I/O, guess a stack (that is ``fixes/stack.py``), or change any finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cors_audit.core.errors import UsageError
from cors_audit.core.models import EffectivePolicy
from cors_audit.fixes.stack import Stack
from cors_audit.judging.rules.catalogue import ORIGIN_RULES, RULES_BY_ID

GENERIC: Final = "generic"
"""The ``stack`` of the stack-independent remediation."""

DEFAULT_MAX_AGE: Final = 600
"""Seconds of preflight caching when the policy allows it: Safari's cap, far above 5 s."""

SIMPLE_METHODS: Final = ("GET", "HEAD", "POST")
"""Rendered when the policy does not state ``allowed_methods`` (the CORS-safelisted methods)."""


@dataclass(frozen=True, slots=True)
class Remediation:
    """One snippet that fixes a finding on one stack."""

    stack: str
    """A `Stack` value, or ``generic``."""
    title: str
    language: str
    """Syntax of the snippet: ``nginx``, ``javascript``, ``python``, ``java``, ``csharp``,
    ``go`` or ``text``."""
    snippet: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OriginPattern:
    """An anchored regular expression for origins (used where a stack takes one)."""

    regex: str


class Setting(StrEnum):
    """The parts of a CORS configuration a rule can be fixed by."""

    ORIGINS = "origins"
    CREDENTIALS = "credentials"
    METHODS = "methods"
    HEADERS = "headers"
    EXPOSE = "expose"
    MAX_AGE = "max-age"
    VARY = "vary"
    PRIVATE_NETWORK = "private-network"


_ALLOWLIST = (Setting.ORIGINS, Setting.VARY)

FOCUS: Final[dict[str, tuple[Setting, ...]]] = {
    **dict.fromkeys(("reflected-origin", *ORIGIN_RULES), _ALLOWLIST),
    "wildcard-origin": _ALLOWLIST,
    "credentials-with-wildcard": (Setting.ORIGINS, Setting.CREDENTIALS, Setting.VARY),
    "invalid-allow-origin": (Setting.ORIGINS,),
    "trusted-origin-denied": (
        Setting.ORIGINS,
        Setting.CREDENTIALS,
        Setting.METHODS,
        Setting.HEADERS,
    ),
    "missing-vary-origin": (Setting.VARY,),
    "missing-max-age": (Setting.MAX_AGE,),
    "max-age-out-of-range": (Setting.MAX_AGE,),
    "methods-beyond-policy": (Setting.METHODS,),
    "headers-beyond-policy": (Setting.HEADERS,),
    "credentials-beyond-policy": (Setting.CREDENTIALS,),
    "sensitive-exposed-headers": (Setting.EXPOSE,),
    "private-network-allowed": (Setting.PRIVATE_NETWORK,),
    "preflight-actual-mismatch": (Setting.ORIGINS, Setting.METHODS, Setting.HEADERS),
}
"""Rule id → the settings that fix it (the first one names the remediation)."""

_FOCUS_TITLE: Final = {
    Setting.ORIGINS: "echo only allowlisted origins",
    Setting.CREDENTIALS: "allow credentials only as the policy says",
    Setting.METHODS: "allow only the policy's methods",
    Setting.HEADERS: "allow only the policy's request headers",
    Setting.EXPOSE: "expose only the headers clients need",
    Setting.MAX_AGE: "cache preflights for {max_age} s",
    Setting.VARY: "send Vary: Origin on every reply",
    Setting.PRIVATE_NETWORK: "grant private-network access only to allowlisted origins",
}

_FOCUS_NOTE: Final = {
    Setting.ORIGINS: "Allow-Origin must be the request's Origin echoed only after an exact "
    "match with the allowlist ({origins}); never a prefix, suffix, substring or unanchored "
    "regex match, never `null`, never `*` together with credentials.",
    Setting.CREDENTIALS: "Allow-Credentials is {credentials} per the policy.",
    Setting.METHODS: "Allow-Methods lists exactly the policy's methods ({methods}); never reflect "
    "Access-Control-Request-Method or answer `*`.",
    Setting.HEADERS: "Allow-Headers lists exactly the policy's request headers ({headers}); never "
    "reflect Access-Control-Request-Headers or answer `*`.",
    Setting.EXPOSE: "Expose-Headers lists only what scripts need ({expose}); never "
    "Authorization, Set-Cookie, tokens or session ids.",
    Setting.MAX_AGE: "Max-Age is {max_age} s, inside the policy's range; browsers cap it "
    "(Chromium 7200 s, Firefox 86400 s, Safari 600 s).",
    Setting.VARY: "`Vary: Origin` goes on every reply whose CORS headers depend on the Origin, "
    "including replies to origins that are refused, so no cache serves one origin's reply to "
    "another.",
    Setting.PRIVATE_NETWORK: "Access-Control-Allow-Private-Network is sent only to allowlisted "
    "origins (here: not at all); enable it only if allowlisted public pages must reach this "
    "private service.",
}

_GENERAL_NOTES: Final = (
    "Regular expressions must be anchored (`^https://app\\.example\\.com$`) with escaped dots: "
    "an unescaped `.` matches any character and a missing `$` accepts "
    "`app.example.com.attacker.net`.",
    "Never combine `*` (or reflecting every Origin) with credentials, and never allowlist "
    "`null`: sandboxed iframes and data: URLs send it.",
    "Produce CORS headers in exactly one layer (proxy or application), for OPTIONS and the "
    "actual method alike.",
)


# -- the plan: what every snippet renders --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    origins: tuple[str, ...]
    domains: tuple[str, ...]
    credentials: bool
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    expose: tuple[str, ...] | None
    max_age: int
    focus: tuple[Setting, ...]
    """The settings that fix the rule (see `_settings` for what that changes)."""
    notes: tuple[str, ...]
    """What the plan had to decide because the policy left it open or was unusable."""


def _clamp_max_age(policy: EffectivePolicy) -> int:
    value = DEFAULT_MAX_AGE
    if policy.max_age_min is not None and value < policy.max_age_min:
        value = policy.max_age_min
    if policy.max_age_max is not None and value > policy.max_age_max:
        value = policy.max_age_max
    return value


def _plan(policy: EffectivePolicy, focus: tuple[Setting, ...]) -> _Plan:
    notes: list[str] = []
    origins: list[str] = []
    for origin in policy.trusted_origins:
        if origin.strip().lower() in ("null", "*"):
            notes.append(f"{origin!r} was left out of the allowlist: it trusts every page.")
        elif origin not in origins:
            origins.append(origin)
    if not origins and not policy.trust_subdomains_of:
        notes.append("The policy trusts no origin: no origin is allowed.")
    methods = policy.allowed_methods
    if methods is None:
        methods = SIMPLE_METHODS
        notes.append(
            "The policy does not state allowed_methods: only the safelisted "
            f"{', '.join(SIMPLE_METHODS)} are rendered; add the methods your clients use."
        )
    if policy.allow_credentials is None:
        notes.append(
            "The policy does not state allow_credentials: credentials are left off; enable them "
            "only if clients send cookies or HTTP authentication."
        )
    return _Plan(
        origins=tuple(origins),
        domains=tuple(dict.fromkeys(d.strip(".").lower() for d in policy.trust_subdomains_of)),
        credentials=bool(policy.allow_credentials),
        methods=tuple(methods),
        headers=tuple(policy.allowed_headers or ()),
        expose=policy.expose_headers,
        max_age=_clamp_max_age(policy),
        focus=focus,
        notes=tuple(notes),
    )


# -- escaping ----------------------------------------------------------------------------------

_REGEX_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/:")


def regex_escape(text: str, *, pcre: bool = False) -> str:
    """``text`` as a regex matching itself in Python, JavaScript, Java, .NET and RE2 (or, with
    ``pcre``, nginx's PCRE2): letters, digits, ``-_/:`` as is, ``.`` as ``\\.``, any other
    character as a hex escape (validated origins are ASCII; others get ``\\u``, or their UTF-8
    bytes for PCRE)."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char in _REGEX_LITERAL:
            out.append(char)
        elif char == ".":
            out.append("\\.")
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif pcre:  # nginx's PCRE is not in UTF mode: match the UTF-8 bytes
            out.extend(f"\\x{byte:02x}" for byte in char.encode())
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def origin_regex(origin: str, *, pcre: bool = False) -> str:
    """An anchored regex matching exactly ``origin``."""
    return f"^{regex_escape(origin, pcre=pcre)}$"


def subdomain_regex(domains: Sequence[str]) -> str:
    """An anchored regex for every https subdomain (any depth, any port) of ``domains``,
    matching what `EffectivePolicy.trusts` accepts for ``trust_subdomains_of``."""
    alternatives = "|".join(regex_escape(domain) for domain in domains)
    group = alternatives if len(domains) == 1 else f"({alternatives})"
    return f"^https://([a-z0-9-]+\\.)+{group}(:[0-9]+)?$"


def py_str(text: str) -> str:
    """A Python string literal for ``text`` (raw when that keeps backslashes readable)."""
    printable = all(0x20 <= ord(c) < 0x7F for c in text)
    if "\\" in text and printable and '"' not in text and not text.endswith("\\"):
        return f'r"{text}"'
    return json.dumps(text)  # ASCII-only JSON string literals are valid Python literals


def js_str(text: str) -> str:
    """A JavaScript (also Go and C#) double-quoted string literal for ``text``."""
    return json.dumps(text)


def java_str(text: str) -> str:
    """A Java string literal. Java turns ``\\uXXXX`` into characters before parsing, so control
    characters are written as octal escapes instead."""
    out: list[str] = []
    simple = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    for char in text:
        if char in simple:
            out.append(simple[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_NGINX_SAFE = frozenset(_REGEX_LITERAL | {".", ",", " ", "*"})


def nginx_str(text: str) -> str:
    """An nginx double-quoted string whose text nginx reads back unchanged. ``$`` (a variable
    in nginx strings) becomes ``${cors_dollar}``, defined by `NGINX_DOLLAR`."""
    out: list[str] = []
    for char in text:
        if char in _NGINX_SAFE:
            out.append(char)
        elif char in '"\\':
            out.append("\\" + char)
        elif char == "$":
            out.append("${cors_dollar}")
        elif char in "\t\r\n":
            out.append({"\t": "\\t", "\r": "\\r", "\n": "\\n"}[char])
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


NGINX_DOLLAR: Final = 'geo $cors_dollar { default "$"; }'
"""The ``http {}`` line that lets `nginx_str` write a literal ``$``."""


def _nginx_key(origin: str) -> str:
    # An exact map key when the origin is plainly safe, else an anchored regex key whose
    # escapes leave no quote, `$` or `;` for nginx to interpret.
    if all(c in _REGEX_LITERAL or c == "." for c in origin):
        return nginx_str(origin)
    return _nginx_regex_key(origin_regex(origin, pcre=True))


def _nginx_regex_key(regex: str) -> str:
    # `regex_escape` output holds no quote and only the escapes \. and \xHH, which nginx's
    # parser keeps as they are; `$` in a map key is the regex anchor, never a variable.
    return f'"~{regex}"'


# -- settings per stack -------------------------------------------------------------------------

Settings = dict[str, object]


def _flask_origins(plan: _Plan) -> list[str]:
    # flask-cors adds `Vary: Origin` only when more than one origin or a regex could match
    # (flask_cors/core.py get_cors_headers) and treats any origin containing one of
    # `*\]?$^[]()` as a regex: anchored, escaped regexes avoid both traps.
    patterns = [origin_regex(origin) for origin in plan.origins]
    if plan.domains:
        patterns.append(subdomain_regex(plan.domains))
    return patterns


def _wildcards(plan: _Plan) -> list[str]:
    return [f"https://*.{domain}" for domain in plan.domains]


def _settings(stack: Stack | str, plan: _Plan) -> Settings:
    """The stack's settings, in the order the snippet shows them. Exposed headers and
    private-network access appear only when the policy states them or the rule is about them."""
    expose = list(plan.expose or ())
    with_expose = plan.expose is not None or Setting.EXPOSE in plan.focus
    private_network = Setting.PRIVATE_NETWORK in plan.focus
    methods, headers = list(plan.methods), list(plan.headers)
    regexes = [subdomain_regex(plan.domains)] if plan.domains else []
    settings: Settings
    if stack == Stack.STARLETTE:
        settings = {
            "allow_origins": list(plan.origins),
            "allow_origin_regex": regexes[0] if regexes else None,
            "allow_credentials": plan.credentials,
            "allow_methods": methods,
            "allow_headers": headers,
            **({"expose_headers": expose} if with_expose else {}),
            **({"allow_private_network": False} if private_network else {}),
            "max_age": plan.max_age,
        }
    elif stack == Stack.FLASK_CORS:
        settings = {
            "origins": _flask_origins(plan),
            "supports_credentials": plan.credentials,
            "methods": methods,
            "allow_headers": headers,
            **({"expose_headers": expose} if with_expose else {}),
            **({"allow_private_network": False} if private_network else {}),
            "max_age": plan.max_age,
            "vary_header": True,
        }
    elif stack == Stack.DJANGO:
        settings = {
            "CORS_ALLOW_ALL_ORIGINS": False,
            "CORS_ALLOWED_ORIGINS": list(plan.origins),
            "CORS_ALLOWED_ORIGIN_REGEXES": regexes,
            "CORS_ALLOW_CREDENTIALS": plan.credentials,
            "CORS_ALLOW_METHODS": methods,
            "CORS_ALLOW_HEADERS": headers,
            **({"CORS_EXPOSE_HEADERS": expose} if with_expose else {}),
            "CORS_PREFLIGHT_MAX_AGE": plan.max_age,
            "CORS_ALLOW_PRIVATE_NETWORK": False,
        }
    elif stack == Stack.EXPRESS:
        settings = {
            "origin": [*plan.origins, *(OriginPattern(r) for r in regexes)],
            "credentials": plan.credentials,
            "methods": methods,
            "allowedHeaders": headers,
            **({"exposedHeaders": expose} if with_expose else {}),
            "maxAge": plan.max_age,
        }
    elif stack == Stack.SPRING:
        settings = {
            "allowedOrigins": list(plan.origins),
            "allowedOriginPatterns": _wildcards(plan),
            "allowCredentials": plan.credentials,
            "allowedMethods": methods,
            "allowedHeaders": headers,
            **({"exposedHeaders": expose} if with_expose else {}),
            "maxAge": plan.max_age,
            **({"allowPrivateNetwork": False} if private_network else {}),
        }
    elif stack == Stack.ASPNETCORE:
        origins = [*plan.origins, *_wildcards(plan)]
        settings = {
            "origins": origins,
            "wildcard_subdomains": bool(plan.domains),
            "credentials": plan.credentials,
            "methods": methods,
            "headers": headers,
            **({"exposed_headers": expose} if with_expose else {}),
            "max_age": plan.max_age,
            # CorsService.PopulateResult: `VaryByOrigin = policy.Origins.Count > 1`.
            "add_vary_origin": len(origins) <= 1,
        }
    elif stack == Stack.RS_CORS:
        settings = {
            "AllowedOrigins": [*plan.origins, *_wildcards(plan)],
            "AllowCredentials": plan.credentials,
            "AllowedMethods": methods,
            "AllowedHeaders": headers,
            **({"ExposedHeaders": expose} if with_expose else {}),
            "MaxAge": plan.max_age,
            **({"AllowPrivateNetwork": False} if private_network else {}),
        }
    else:  # nginx and generic: plain header values
        settings = {
            "origins": list(plan.origins),
            "origin_regexes": regexes,
            "credentials": plan.credentials,
            "methods": methods,
            "headers": headers,
            "expose": expose,
            "with_expose": with_expose,
            "max_age": plan.max_age,
            "private_network": private_network,
        }
    return settings


def parse_stack(name: str) -> Stack | None:
    """The `Stack` called ``name`` (``None`` for ``generic``/``unknown``); `UsageError` when
    no stack has that name."""
    if name in (GENERIC, Stack.UNKNOWN):
        return None
    try:
        return Stack(name)
    except ValueError:
        known = ", ".join(s.value for s in Stack if s is not Stack.UNKNOWN)
        raise UsageError(f"unknown stack {name!r}; known stacks: {known}") from None


def _rule_focus(rule_id: str) -> tuple[Setting, ...]:
    if rule_id not in RULES_BY_ID:
        known = ", ".join(RULES_BY_ID)
        raise UsageError(f"unknown rule {rule_id!r}; known rules: {known}")
    return FOCUS[rule_id]


def settings_for(stack: str, policy: EffectivePolicy, rule_id: str | None = None) -> Settings:
    """The settings the ``stack`` snippet for ``rule_id`` renders, as that stack names them:
    keyword arguments for Starlette's ``CORSMiddleware`` and flask-cors ``CORS``, Django
    ``settings`` names, the express ``cors`` options object, rs/cors ``Options`` fields…
    Regexes for express are `OriginPattern`."""
    focus = _rule_focus(rule_id) if rule_id is not None else ()
    chosen = parse_stack(stack)
    return _settings(chosen or GENERIC, _plan(policy, focus))


# -- rendering -----------------------------------------------------------------------------------

_Line = tuple[str, Setting | None]


def _strs(settings: Settings, key: str) -> list[str]:
    value = settings[key]
    assert isinstance(value, list)
    return [str(item) for item in value]


def _int(settings: Settings, key: str) -> int:
    value = settings[key]
    assert isinstance(value, int)
    return value


def _mark(lines: Sequence[_Line], focus: tuple[Setting, ...], rule_id: str, comment: str) -> str:
    out = []
    for text, setting in lines:
        if setting is not None and setting in focus:
            out.append(f"{text}  {comment} <- {rule_id}")
        else:
            out.append(text)
    return "\n".join(out) + "\n"


_WIDTH: Final = 99


def _entry(
    indent: str,
    head: str,
    value: object,
    tail: str,
    render: Callable[[object], str],
    step: str = "    ",
) -> str:
    """``indent + head + value + tail``, with a list value spread over lines when too long."""
    line = f"{indent}{head}{render(value)}{tail}"
    if len(line) <= _WIDTH or not isinstance(value, list) or not value:
        return line
    items = [f"{indent}{step}{render(item)}," for item in value]
    return "\n".join([f"{indent}{head}[", *items, f"{indent}]{tail}"])


def _py_value(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return py_str(value)
    assert isinstance(value, list)
    return "[" + ", ".join(_py_value(item) for item in value) + "]"


_PY_SETTING: Final[dict[str, Setting]] = {
    "allow_origins": Setting.ORIGINS,
    "allow_origin_regex": Setting.ORIGINS,
    "origins": Setting.ORIGINS,
    "allow_credentials": Setting.CREDENTIALS,
    "supports_credentials": Setting.CREDENTIALS,
    "allow_methods": Setting.METHODS,
    "methods": Setting.METHODS,
    "allow_headers": Setting.HEADERS,
    "expose_headers": Setting.EXPOSE,
    "max_age": Setting.MAX_AGE,
    "vary_header": Setting.VARY,
    "allow_private_network": Setting.PRIVATE_NETWORK,
    "CORS_ALLOW_ALL_ORIGINS": Setting.ORIGINS,
    "CORS_ALLOWED_ORIGINS": Setting.ORIGINS,
    "CORS_ALLOWED_ORIGIN_REGEXES": Setting.ORIGINS,
    "CORS_ALLOW_CREDENTIALS": Setting.CREDENTIALS,
    "CORS_ALLOW_METHODS": Setting.METHODS,
    "CORS_ALLOW_HEADERS": Setting.HEADERS,
    "CORS_EXPOSE_HEADERS": Setting.EXPOSE,
    "CORS_PREFLIGHT_MAX_AGE": Setting.MAX_AGE,
    "CORS_ALLOW_PRIVATE_NETWORK": Setting.PRIVATE_NETWORK,
}


def _starlette(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    lines: list[_Line] = [
        ("from starlette.middleware.cors import CORSMiddleware", None),
        ("", None),
        ("app.add_middleware(", None),
        ("    CORSMiddleware,", None),
    ]
    lines += [
        (_entry("    ", f"{k}=", v, ",", _py_value), _PY_SETTING[k]) for k, v in settings.items()
    ]
    lines.append((")", None))
    return lines


def _flask(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    lines: list[_Line] = [("from flask_cors import CORS", None), ("", None), ("CORS(", None)]
    lines.append(("    app,", None))
    lines += [
        (_entry("    ", f"{k}=", v, ",", _py_value), _PY_SETTING[k]) for k, v in settings.items()
    ]
    lines.append((")", None))
    return lines


def _django(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    return [(_entry("", f"{k} = ", v, "", _py_value), _PY_SETTING[k]) for k, v in settings.items()]


def _js_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return js_str(value)
    if isinstance(value, OriginPattern):
        return f"new RegExp({js_str(value.regex)})"
    assert isinstance(value, list)
    return "[" + ", ".join(_js_value(item) for item in value) + "]"


_JS_SETTING: Final = {
    "origin": Setting.ORIGINS,
    "credentials": Setting.CREDENTIALS,
    "methods": Setting.METHODS,
    "allowedHeaders": Setting.HEADERS,
    "exposedHeaders": Setting.EXPOSE,
    "maxAge": Setting.MAX_AGE,
}


def _express(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    lines: list[_Line] = [
        ('const cors = require("cors");', None),
        ("", None),
        ("const corsOptions = {", None),
    ]
    lines += [
        (_entry("  ", f"{k}: ", v, ",", _js_value, "  "), _JS_SETTING[k])
        for k, v in settings.items()
    ]
    lines += [
        ("};", None),
        ("", None),
        ("app.use(cors(corsOptions)); // before the routes: it also answers preflights", None),
    ]
    if Setting.PRIVATE_NETWORK in focus:
        lines.append(
            (
                "// cors never sends Access-Control-Allow-Private-Network: do not add it by hand",
                Setting.PRIVATE_NETWORK,
            )
        )
    return lines


NGINX_SERVER_MARK: Final = "# --- server {} context, in the location that serves the API ---"
NGINX_UPSTREAM: Final = "proxy_pass http://app;"
"""The placeholder line for the location's existing content."""


def _nginx(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    origins, regexes = _strs(settings, "origins"), _strs(settings, "origin_regexes")
    keys = [_nginx_key(o) for o in origins] + [_nginx_regex_key(r) for r in regexes]
    credentials = settings["credentials"] is True
    methods, headers = _strs(settings, "methods"), _strs(settings, "headers")
    expose = _strs(settings, "expose")
    values = [*origins, *methods, *headers, *expose]
    lines: list[_Line] = [("# --- http {} context ---", None)]
    if any("$" in value for value in values):
        lines.append((NGINX_DOLLAR, None))
    lines += [
        (
            "# $cors_origin is the request Origin when it is allowlisted, else empty (no header).",
            None,
        ),
        ("map $http_origin $cors_origin {", Setting.ORIGINS),
        ('    default "";', None),
    ]
    lines += [(f"    {key} $http_origin;", Setting.ORIGINS) for key in keys]
    lines.append(("}", None))
    if settings["private_network"] is True:
        lines += [
            ("map $http_origin $cors_private_network {", Setting.PRIVATE_NETWORK),
            ('    default "";', None),
            ('    # add allowlisted keys here, mapped to "true", only if they need it', None),
            ("}", None),
        ]
    common: list[_Line] = [
        ("add_header Access-Control-Allow-Origin $cors_origin always;", Setting.ORIGINS),
    ]
    if credentials:
        common.append(
            ('add_header Access-Control-Allow-Credentials "true" always;', Setting.CREDENTIALS)
        )
    preflight: list[_Line] = [*common]
    preflight.append(
        (
            f"add_header Access-Control-Allow-Methods {nginx_str(', '.join(methods))} always;",
            Setting.METHODS,
        )
    )
    if headers:
        preflight.append(
            (
                f"add_header Access-Control-Allow-Headers {nginx_str(', '.join(headers))} always;",
                Setting.HEADERS,
            )
        )
    preflight.append(
        (f"add_header Access-Control-Max-Age {_int(settings, 'max_age')} always;", Setting.MAX_AGE)
    )
    if settings["private_network"] is True:
        preflight.append(
            (
                "add_header Access-Control-Allow-Private-Network $cors_private_network always;",
                Setting.PRIVATE_NETWORK,
            )
        )
    preflight.append(
        (
            'add_header Vary "Origin, Access-Control-Request-Method, '
            'Access-Control-Request-Headers" always;',
            Setting.VARY,
        )
    )
    actual = [*common]
    if expose:
        value = nginx_str(", ".join(expose))
        actual.append((f"add_header Access-Control-Expose-Headers {value} always;", Setting.EXPOSE))
    elif settings["with_expose"] is True:
        actual.append(
            ("# no Access-Control-Expose-Headers: the policy exposes none", Setting.EXPOSE)
        )
    actual.append(("add_header Vary Origin always;", Setting.VARY))
    lines += [
        ("", None),
        (NGINX_SERVER_MARK, None),
        ("# add_header in an if/location replaces inherited ones: keep all of them here.", None),
        ("if ($request_method = OPTIONS) {", None),
        *[("    " + text, setting) for text, setting in preflight],
        ("    return 204;", None),
        ("}", None),
        *actual,
        (f"{NGINX_UPSTREAM}  # your upstream or content, unchanged", None),
    ]
    return lines


def _java_list(values: list[str]) -> str:
    return "List.of(" + ", ".join(java_str(v) for v in values) + ")"


def _spring(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    lines: list[_Line] = [
        ("@Bean", None),
        ("CorsConfigurationSource corsConfigurationSource() {", None),
        ("    CorsConfiguration config = new CorsConfiguration();", None),
        (
            f"    config.setAllowedOrigins({_java_list(_strs(settings, 'allowedOrigins'))});",
            Setting.ORIGINS,
        ),
    ]
    patterns = _strs(settings, "allowedOriginPatterns")
    if patterns:
        lines.append(
            (f"    config.setAllowedOriginPatterns({_java_list(patterns)});", Setting.ORIGINS)
        )
    credentials = "true" if settings["allowCredentials"] is True else "false"
    lines += [
        (f"    config.setAllowCredentials({credentials});", Setting.CREDENTIALS),
        (
            f"    config.setAllowedMethods({_java_list(_strs(settings, 'allowedMethods'))});",
            Setting.METHODS,
        ),
        (
            f"    config.setAllowedHeaders({_java_list(_strs(settings, 'allowedHeaders'))});",
            Setting.HEADERS,
        ),
    ]
    if "exposedHeaders" in settings:
        exposed = _java_list(_strs(settings, "exposedHeaders"))
        lines.append((f"    config.setExposedHeaders({exposed});", Setting.EXPOSE))
    lines.append((f"    config.setMaxAge({_int(settings, 'maxAge')}L);", Setting.MAX_AGE))
    if "allowPrivateNetwork" in settings:
        lines.append(("    config.setAllowPrivateNetwork(false);", Setting.PRIVATE_NETWORK))
    lines += [
        (
            "    UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();",
            None,
        ),
        ('    source.registerCorsConfiguration("/**", config);', None),
        ("    return source;", None),
        ("}", None),
    ]
    return lines


def _cs_args(values: list[str]) -> str:
    return ", ".join(js_str(v) for v in values)


def _aspnet(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    lines: list[_Line] = [
        ('builder.Services.AddCors(options => options.AddPolicy("ApiCors", policy => policy', None),
        (f"    .WithOrigins({_cs_args(_strs(settings, 'origins'))})", Setting.ORIGINS),
    ]
    if settings["wildcard_subdomains"] is True:
        lines.append(("    .SetIsOriginAllowedToAllowWildcardSubdomains()", Setting.ORIGINS))
    if settings["credentials"] is True:
        lines.append(("    .AllowCredentials()", Setting.CREDENTIALS))
    else:
        lines.append(("    .DisallowCredentials()", Setting.CREDENTIALS))
    lines.append((f"    .WithMethods({_cs_args(_strs(settings, 'methods'))})", Setting.METHODS))
    headers = _strs(settings, "headers")
    if headers:
        lines.append((f"    .WithHeaders({_cs_args(headers)})", Setting.HEADERS))
    if "exposed_headers" in settings:
        exposed = _cs_args(_strs(settings, "exposed_headers"))
        lines.append((f"    .WithExposedHeaders({exposed})", Setting.EXPOSE))
    lines.append(
        (
            f"    .SetPreflightMaxAge(TimeSpan.FromSeconds({_int(settings, 'max_age')}))));",
            Setting.MAX_AGE,
        )
    )
    lines += [("", None), ("var app = builder.Build();", None)]
    if settings["add_vary_origin"] is True:
        lines.append(
            (
                'app.Use(async (context, next) => { context.Response.Headers.Append("Vary", '
                '"Origin"); await next(); });',
                Setting.VARY,
            )
        )
    lines.append(('app.UseCors("ApiCors");', None))
    if Setting.PRIVATE_NETWORK in focus:
        lines.append(
            (
                "// CorsService never sends Access-Control-Allow-Private-Network: do not add it "
                "in a middleware for every origin",
                Setting.PRIVATE_NETWORK,
            )
        )
    return lines


def _go_list(values: list[str]) -> str:
    return "[]string{" + ", ".join(js_str(v) for v in values) + "}"


def _rs_cors(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    credentials = "true" if settings["AllowCredentials"] is True else "false"
    lines: list[_Line] = [
        ("c := cors.New(cors.Options{", None),
        (f"\tAllowedOrigins:   {_go_list(_strs(settings, 'AllowedOrigins'))},", Setting.ORIGINS),
        (f"\tAllowCredentials: {credentials},", Setting.CREDENTIALS),
        (f"\tAllowedMethods:   {_go_list(_strs(settings, 'AllowedMethods'))},", Setting.METHODS),
        (f"\tAllowedHeaders:   {_go_list(_strs(settings, 'AllowedHeaders'))},", Setting.HEADERS),
    ]
    if "ExposedHeaders" in settings:
        exposed = _go_list(_strs(settings, "ExposedHeaders"))
        lines.append((f"\tExposedHeaders:   {exposed},", Setting.EXPOSE))
    lines.append((f"\tMaxAge:           {_int(settings, 'MaxAge')},", Setting.MAX_AGE))
    if "AllowPrivateNetwork" in settings:
        lines.append(("\tAllowPrivateNetwork: false,", Setting.PRIVATE_NETWORK))
    lines += [("})", None), ("handler := c.Handler(mux)", None)]
    return lines


def _generic(settings: Settings, focus: tuple[Setting, ...]) -> list[_Line]:
    origins, regexes = _strs(settings, "origins"), _strs(settings, "origin_regexes")
    allow = [json.dumps(o) for o in origins] + [f"matches {json.dumps(r)}" for r in regexes]
    lines: list[_Line] = [
        ("For every request with an Origin header that is exactly one of:", Setting.ORIGINS),
    ]
    lines += [(f"    {item}", Setting.ORIGINS) for item in allow or ["(none)"]]
    lines.append(("answer, on the actual reply and the preflight alike:", None))
    lines.append(("    Access-Control-Allow-Origin: <that Origin, echoed>", Setting.ORIGINS))
    if settings["credentials"] is True:
        lines.append(("    Access-Control-Allow-Credentials: true", Setting.CREDENTIALS))
    expose = _strs(settings, "expose")
    if expose:
        lines.append((f"    Access-Control-Expose-Headers: {', '.join(expose)}", Setting.EXPOSE))
    elif settings["with_expose"] is True:
        lines.append(
            ("    (no Access-Control-Expose-Headers: the policy exposes none)", Setting.EXPOSE)
        )
    lines += [
        ("and to a preflight (OPTIONS with Access-Control-Request-Method), with status 204:", None),
        (
            f"    Access-Control-Allow-Methods: {', '.join(_strs(settings, 'methods'))}",
            Setting.METHODS,
        ),
    ]
    headers = _strs(settings, "headers")
    if headers:
        lines.append((f"    Access-Control-Allow-Headers: {', '.join(headers)}", Setting.HEADERS))
    lines += [
        (f"    Access-Control-Max-Age: {_int(settings, 'max_age')}", Setting.MAX_AGE),
        (
            "Other origins get no Access-Control-* header (and never Allow-Private-Network).",
            Setting.PRIVATE_NETWORK,
        ),
        ("Every reply, allowed or not:", None),
        ("    Vary: Origin", Setting.VARY),
    ]
    return lines


@dataclass(frozen=True, slots=True)
class _Renderer:
    label: str
    language: str
    comment: str
    render: Callable[[Settings, tuple[Setting, ...]], list[_Line]]
    notes: tuple[str, ...]


_RENDERERS: Final[dict[str, _Renderer]] = {
    Stack.NGINX: _Renderer(
        "nginx",
        "nginx",
        "#",
        _nginx,
        (
            "`map` keys compare exactly (case-insensitively); keys starting with `~` are "
            "regexes and must be anchored with `^…$` and escaped dots.",
            "Never `add_header Access-Control-Allow-Origin $http_origin`: it reflects every "
            "origin. An empty `$cors_origin` makes nginx skip the header.",
            "`always` also sends the headers on 4xx/5xx replies, so clients can read errors.",
        ),
    ),
    Stack.EXPRESS: _Renderer(
        "express cors",
        "javascript",
        "//",
        _express,
        (
            "Pass `origin` as an array: a single string is sent to every request without any "
            "check, and `true` reflects every origin.",
            "Set `allowedHeaders`: when it is unset, cors reflects Access-Control-Request-Headers.",
            'Regexes go through `new RegExp("^…$")` with `\\\\.` for each dot.',
        ),
    ),
    Stack.STARLETTE: _Renderer(
        "Starlette / FastAPI CORSMiddleware",
        "python",
        "#",
        _starlette,
        (
            "FastAPI: `from fastapi.middleware.cors import CORSMiddleware` (the same class).",
            '`allow_origins=["*"]` with `allow_credentials=True` reflects every origin with '
            "credentials; list the origins instead.",
            "`allow_origin_regex` is matched with `re.fullmatch`; escape its dots.",
        ),
    ),
    Stack.FLASK_CORS: _Renderer(
        "flask-cors",
        "python",
        "#",
        _flask,
        (
            "Origins are given as anchored regexes: flask-cors sends `Vary: Origin` only when a "
            "regex or several origins could match, and it treats any origin containing "
            "`*\\]?$^[]()` (an IPv6 literal too) as a regex, tried with `re.match` (anchored "
            "at the start only).",
            "`CORS(app)` alone reflects every origin and every requested header.",
        ),
    ),
    Stack.DJANGO: _Renderer(
        "django-cors-headers",
        "python",
        "#",
        _django,
        (
            'Needs "corsheaders" in INSTALLED_APPS and "corsheaders.middleware.CorsMiddleware" '
            "in MIDDLEWARE before CommonMiddleware.",
            "CORS_ALLOWED_ORIGIN_REGEXES are tried with `re.match`: end them with `$`.",
            "Never CORS_ALLOW_ALL_ORIGINS = True with CORS_ALLOW_CREDENTIALS = True: every "
            "origin is then echoed with credentials.",
        ),
    ),
    Stack.SPRING: _Renderer(
        "Spring CorsConfiguration",
        "java",
        "//",
        _spring,
        (
            'The same values work in `@CrossOrigin(origins = …, allowCredentials = "true", '
            "maxAge = …)` or `WebMvcConfigurer.addCorsMappings`.",
            '`allowedOriginPatterns("https://*.example.com")` is the only place for '
            'wildcards; `allowedOrigins("*")` with credentials is rejected at startup.',
        ),
    ),
    Stack.ASPNETCORE: _Renderer(
        "ASP.NET Core CORS",
        "csharp",
        "//",
        _aspnet,
        (
            "`AllowAnyOrigin()` with `AllowCredentials()` throws; `SetIsOriginAllowed(_ => "
            "true)` with credentials reflects every origin: never use it.",
            "CorsService adds `Vary: Origin` only when the policy has more than one origin; the "
            "`app.Use` line adds it for a single origin.",
        ),
    ),
    Stack.RS_CORS: _Renderer(
        "Go rs/cors",
        "go",
        "//",
        _rs_cors,
        (
            "A `*` in AllowedOrigins matches any characters (dots too), one per origin; an "
            "`AllowOriginFunc` replaces AllowedOrigins entirely.",
            "rs/cors answers Allow-Methods with the requested method only and sends `Vary` itself.",
        ),
    ),
    GENERIC: _Renderer("Any server", "text", "#", _generic, ()),
}


def _rule_notes(focus: tuple[Setting, ...], plan: _Plan) -> list[str]:
    expose = "none" if not plan.expose else ", ".join(plan.expose)
    values = {
        "origins": ", ".join([*plan.origins, *(f"*.{d}" for d in plan.domains)]) or "none",
        "credentials": "on" if plan.credentials else "off",
        "methods": ", ".join(plan.methods),
        "headers": ", ".join(plan.headers) or "only the safelisted ones",
        "expose": expose,
        "max_age": str(plan.max_age),
    }
    return [_FOCUS_NOTE[setting].format(**values) for setting in focus]


def _render(key: str, rule_id: str, focus: tuple[Setting, ...], plan: _Plan) -> Remediation:
    renderer = _RENDERERS[key]
    settings = _settings(key, plan)
    snippet = _mark(renderer.render(settings, focus), focus, rule_id, renderer.comment)
    title = _FOCUS_TITLE[focus[0]].format(max_age=plan.max_age)
    notes = (*_rule_notes(focus, plan), *plan.notes, *renderer.notes, *_GENERAL_NOTES)
    return Remediation(
        stack=key,
        title=f"{renderer.label}: {title}",
        language=renderer.language,
        snippet=snippet,
        notes=notes,
    )


def remediation_for(rule_id: str, stack: str, policy: EffectivePolicy) -> list[Remediation]:
    """Fix snippets for ``rule_id``: the ``stack``'s first when it is a known stack, then the
    generic one. `UsageError` for an unknown rule id or stack name."""
    focus = _rule_focus(rule_id)
    chosen = parse_stack(stack)
    plan = _plan(policy, focus)
    keys = [chosen.value] if chosen is not None else []
    return [_render(key, rule_id, focus, plan) for key in [*keys, GENERIC]]
