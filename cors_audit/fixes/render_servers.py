"""Remediation snippets written as plain header values: nginx (``map`` plus ``add_header``, the
one stack that is a proxy in front of the application) and the stack-independent "any server"
description.
"""

from __future__ import annotations

import json
from typing import Final

from cors_audit.fixes.escaping import NGINX_DOLLAR, nginx_key, nginx_regex_key, nginx_str
from cors_audit.fixes.plan import GENERIC, Settings
from cors_audit.fixes.render import Line, Renderer, integer, strs
from cors_audit.fixes.stack import Stack
from cors_audit.judging.rules import Setting

NGINX_SERVER_MARK: Final = "# --- server {} context, in the location that serves the API ---"
NGINX_UPSTREAM: Final = "proxy_pass http://app;"
"""The placeholder line for the location's existing content."""


def _nginx(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    origins, regexes = strs(settings, "origins"), strs(settings, "origin_regexes")
    keys = [nginx_key(o) for o in origins] + [nginx_regex_key(r) for r in regexes]
    credentials = settings["credentials"] is True
    methods, headers = strs(settings, "methods"), strs(settings, "headers")
    expose = strs(settings, "expose")
    values = [*origins, *methods, *headers, *expose]
    lines: list[Line] = [("# --- http {} context ---", None)]
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
    common: list[Line] = [
        ("add_header Access-Control-Allow-Origin $cors_origin always;", Setting.ORIGINS),
    ]
    if credentials:
        common.append(
            ('add_header Access-Control-Allow-Credentials "true" always;', Setting.CREDENTIALS)
        )
    preflight: list[Line] = [*common]
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
        (
            f"add_header Access-Control-Max-Age {integer(settings, 'max_age')} always;",
            Setting.MAX_AGE,
        )
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


def _generic(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    origins, regexes = strs(settings, "origins"), strs(settings, "origin_regexes")
    allow = [json.dumps(o) for o in origins] + [f"matches {json.dumps(r)}" for r in regexes]
    lines: list[Line] = [
        ("For every request with an Origin header that is exactly one of:", Setting.ORIGINS),
    ]
    lines += [(f"    {item}", Setting.ORIGINS) for item in allow or ["(none)"]]
    lines.append(("answer, on the actual reply and the preflight alike:", None))
    lines.append(("    Access-Control-Allow-Origin: <that Origin, echoed>", Setting.ORIGINS))
    if settings["credentials"] is True:
        lines.append(("    Access-Control-Allow-Credentials: true", Setting.CREDENTIALS))
    expose = strs(settings, "expose")
    if expose:
        lines.append((f"    Access-Control-Expose-Headers: {', '.join(expose)}", Setting.EXPOSE))
    elif settings["with_expose"] is True:
        lines.append(
            ("    (no Access-Control-Expose-Headers: the policy exposes none)", Setting.EXPOSE)
        )
    lines += [
        ("and to a preflight (OPTIONS with Access-Control-Request-Method), with status 204:", None),
        (
            f"    Access-Control-Allow-Methods: {', '.join(strs(settings, 'methods'))}",
            Setting.METHODS,
        ),
    ]
    headers = strs(settings, "headers")
    if headers:
        lines.append((f"    Access-Control-Allow-Headers: {', '.join(headers)}", Setting.HEADERS))
    lines += [
        (f"    Access-Control-Max-Age: {integer(settings, 'max_age')}", Setting.MAX_AGE),
        (
            "Other origins get no Access-Control-* header (and never Allow-Private-Network).",
            Setting.PRIVATE_NETWORK,
        ),
        ("Every reply, allowed or not:", None),
        ("    Vary: Origin", Setting.VARY),
    ]
    return lines


RENDERERS: Final[dict[str, Renderer]] = {
    Stack.NGINX: Renderer(
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
    GENERIC: Renderer("Any server", "text", "#", _generic, ()),
}
"""nginx and ``generic`` → their renderers."""
