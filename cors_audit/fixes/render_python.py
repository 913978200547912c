"""Remediation snippets for the Python stacks: Starlette / FastAPI ``CORSMiddleware``,
flask-cors and django-cors-headers. Each passes exactly the structured settings of
``plan.stack_settings`` as keyword arguments or ``settings`` names
(``tests/fixes/test_remediation.py`` builds the real middlewares from them).
"""

from __future__ import annotations

from typing import Final

from cors_audit.fixes.escaping import py_str
from cors_audit.fixes.plan import Settings
from cors_audit.fixes.render import Line, Renderer, entry
from cors_audit.fixes.stack import Stack
from cors_audit.judging.rules import Setting


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


def _starlette(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    lines: list[Line] = [
        ("from starlette.middleware.cors import CORSMiddleware", None),
        ("", None),
        ("app.add_middleware(", None),
        ("    CORSMiddleware,", None),
    ]
    lines += [
        (entry("    ", f"{k}=", v, ",", _py_value), _PY_SETTING[k]) for k, v in settings.items()
    ]
    lines.append((")", None))
    return lines


def _flask(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    lines: list[Line] = [("from flask_cors import CORS", None), ("", None), ("CORS(", None)]
    lines.append(("    app,", None))
    lines += [
        (entry("    ", f"{k}=", v, ",", _py_value), _PY_SETTING[k]) for k, v in settings.items()
    ]
    lines.append((")", None))
    return lines


def _django(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    return [(entry("", f"{k} = ", v, "", _py_value), _PY_SETTING[k]) for k, v in settings.items()]


RENDERERS: Final[dict[str, Renderer]] = {
    Stack.STARLETTE: Renderer(
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
    Stack.FLASK_CORS: Renderer(
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
    Stack.DJANGO: Renderer(
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
}
"""Python stack → its renderer."""
