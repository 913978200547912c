"""Generated CORS servers: pure models of real-world CORS code, served in-process.

A `Server` is a pure function of the request (method, ``Origin``,
``Access-Control-Request-Method``/``-Headers``) to a status and a header list. It models what CORS
middlewares and hand-written allowlists do, mistakes included:

- which origins it admits (`Admits`): every origin (reflection), an exact list (``null``,
  ``http://`` forms, localhost dev servers, a GitHub Pages origin…), regexes with the usual slips
  (no ``^``, no ``$``, unescaped dots, any subdomain, ``https?``, whole hosting platforms), or none;
- what an admitted origin gets (`Answer`: the origin reflected or a fixed value, with or without
  ``Access-Control-Allow-Credentials: true``) and what every other request gets (nothing, or a
  static fallback such as ``*``, a fixed origin or ``null``), with or without ``Vary: Origin``;
- preflights and actual requests answered by the same `Cors` or by two independent ones, CORS
  headers on actual requests for some methods only, preflights listing methods and headers
  (static or echoing the request), with 200/204 and occasionally a non-2xx status, granting
  private-network access or not, setting a session cookie (``SameSite=None`` or ``Lax``) or not.

`servers()` draws them for Hypothesis; `Server.transport()` serves one through
``httpx.MockTransport`` (the ``transport=`` seam of `cors_audit.app.scan.scan`), so nothing goes
over the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import httpx
from hypothesis import strategies as st

from cors_audit.core.models import Target
from cors_audit.inputs.policy import Policy

TARGET_URL: Final = "https://api.example.com/v1/items"
APP: Final = "https://app.example.com"
ADMIN: Final = "https://admin.example.com"

REFLECT: Final = "<reflect>"
"""In an `Answer` or a preflight's methods/headers: echo what the request asked for."""

POLICY: Final = Policy.model_validate(
    {
        "trusted_origins": [APP, ADMIN],
        "allowed_methods": ["GET", "POST", "PATCH"],
        "allowed_headers": ["Content-Type", "Authorization"],
        "allow_credentials": True,
    }
)
"""The intended policy of the policy-given scans: the first-party app and admin origins."""

TARGETS: Final = (
    Target(url=TARGET_URL, method="GET"),
    Target(url=TARGET_URL, method="PATCH"),
    Target(url=TARGET_URL, method="GET", request_headers=("authorization",)),
)
"""A simple read, a preflighted write and a read the application preflights (Authorization)."""

ORIGIN_POOL: Final = (
    APP,
    ADMIN,
    "https://example.com",
    "https://www.example.com",
    "https://api.example.com",
    "https://staging.example.com",
    "http://app.example.com",
    "http://example.com",
    "null",
    "http://localhost",
    "http://localhost:3000",
    "http://localhost:5173",
    "http://127.0.0.1:8080",
    "https://example-org.github.io",
    "https://example-preview.vercel.app",
)
"""Origins real allowlists hold: first-party (not only the target's own), http:// forms,
``null``, local development servers, platform-hosted pages."""

PATTERNS: Final = {
    "unanchored-start": r"example\.com$",
    "unanchored-start-app": r"app\.example\.com$",
    "unanchored-end": r"^https://app\.example\.com",
    "unanchored-end-admin": r"^https://admin\.example\.com",
    "unescaped-dot": r"^https://app.example.com$",
    "any-subdomain": r"^https://([a-z0-9-]+\.)*example\.com$",
    "http-or-https": r"^https?://app\.example\.com$",
    "github-pages": r"\.github\.io$",
    "vercel": r"\.vercel\.app$",
    "localhost-any-port": r"^http://localhost(:\d+)?$",
    "any-dot-com": r"^https://[a-z0-9-]+\.com$",
    "anchored": r"^https://(app|admin)\.example\.com$",
}
"""Allowlist regexes, each with the mistake it is named after (``anchored`` is correct;
``any-dot-com`` lost the domain it was written for: every ``https://<name>.com`` passes)."""

STATIC_VALUES: Final = ("*", APP, "null", ADMIN)
"""Fixed ``Access-Control-Allow-Origin`` values servers send whatever the request origin."""


@dataclass(frozen=True, slots=True)
class Admits:
    """Which request origins the server's allowlist admits (``re.search`` for patterns)."""

    any_origin: bool = False
    exact: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __call__(self, origin: str | None) -> bool:
        if origin is None:
            return False
        return (
            self.any_origin
            or origin in self.exact
            or any(re.search(pattern, origin) for pattern in self.patterns)
        )

    def describe(self) -> str:
        if self.any_origin:
            return "any origin"
        parts = [*self.exact, *(f"/{p}/" for p in self.patterns)]
        return " | ".join(parts) if parts else "nothing"


@dataclass(frozen=True, slots=True)
class Answer:
    """The CORS response headers for one case: ``Access-Control-Allow-Origin`` (`REFLECT` or a
    fixed value) and whether ``Access-Control-Allow-Credentials: true`` comes with it."""

    allow_origin: str
    credentials: bool = False

    def describe(self) -> str:
        value = "reflect" if self.allow_origin == REFLECT else repr(self.allow_origin)
        return value + (" +credentials" if self.credentials else "")


@dataclass(frozen=True, slots=True)
class Cors:
    """One CORS decision: admitted origins get ``hit``, every other request (also one without
    ``Origin``) gets ``miss`` (``None``: no CORS headers at all)."""

    admits: Admits
    hit: Answer = Answer(REFLECT)
    miss: Answer | None = None
    vary: bool = True

    def answer(self, origin: str | None) -> Answer | None:
        return self.hit if self.admits(origin) else self.miss

    def describe(self) -> str:
        miss = "nothing" if self.miss is None else self.miss.describe()
        vary = "Vary: Origin" if self.vary else "no Vary"
        if self.admits == Admits():
            return f"always {miss}; {vary}"
        return f"admits {self.admits.describe()} -> {self.hit.describe()}; else {miss}; {vary}"


@dataclass(frozen=True, slots=True)
class Server:
    """A whole server: how it answers actual requests and preflights."""

    actual: Cors
    preflight: Cors | None = None
    """``None``: the same decision as ``actual``."""
    allow_methods: str | None = "GET, POST, PATCH"
    """``Access-Control-Allow-Methods`` on preflights that get CORS headers (`REFLECT`: echo
    ``Access-Control-Request-Method``; ``None``: not sent)."""
    allow_headers: str | None = "Content-Type, Authorization"
    """``Access-Control-Allow-Headers`` likewise (`REFLECT`: echo the request's list)."""
    preflight_status: int = 204
    """Status of a preflight that gets CORS headers."""
    refused_status: int = 204
    """Status of a preflight that does not."""
    actual_methods: tuple[str, ...] | None = None
    """Actual requests get CORS headers only for these methods (``None``: for every method)."""
    private_network: bool = False
    """Preflights that get CORS headers and ask for private-network access get
    ``Access-Control-Allow-Private-Network: true``."""
    cookie: str | None = None
    """``SameSite`` of a session cookie set on every actual reply (``None``: no cookie)."""
    label: str = field(default="", compare=False)
    """A name for readable test ids and messages."""

    def respond(
        self,
        method: str,
        origin: str | None,
        request_method: str | None,
        request_headers: str | None,
        private_network: bool = False,
    ) -> tuple[int, list[tuple[str, str]]]:
        """Status and headers for one request (a preflight is an ``OPTIONS`` with
        ``Access-Control-Request-Method``)."""
        preflight = method == "OPTIONS" and request_method is not None
        cors = (self.preflight or self.actual) if preflight else self.actual
        answer = cors.answer(origin)
        if not preflight and self.actual_methods is not None and method not in self.actual_methods:
            answer = None
        headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
        if answer is not None:
            value = answer.allow_origin
            if value == REFLECT:
                value = origin or ""
            if value:
                headers.append(("Access-Control-Allow-Origin", value))
            if answer.credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            if preflight:
                methods = request_method if self.allow_methods == REFLECT else self.allow_methods
                if methods:
                    headers.append(("Access-Control-Allow-Methods", methods))
                listed = request_headers if self.allow_headers == REFLECT else self.allow_headers
                if listed:
                    headers.append(("Access-Control-Allow-Headers", listed))
                if private_network and self.private_network:
                    headers.append(("Access-Control-Allow-Private-Network", "true"))
        if cors.vary:
            headers.append(("Vary", "Origin"))
        if preflight:
            return (self.preflight_status if answer is not None else self.refused_status), headers
        if self.cookie is not None:
            headers.append(
                ("Set-Cookie", f"session=s3cr3t; Secure; HttpOnly; SameSite={self.cookie}")
            )
        return 200, headers

    def __call__(self, request: httpx.Request) -> httpx.Response:
        status, headers = self.respond(
            request.method,
            request.headers.get("origin"),
            request.headers.get("access-control-request-method"),
            request.headers.get("access-control-request-headers"),
            request.headers.get("access-control-request-private-network") == "true",
        )
        body = b"" if request.method == "OPTIONS" else b'{"items": []}'
        return httpx.Response(status, headers=headers, content=body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def describe(self) -> str:
        lines = [f"actual:    {self.actual.describe()}"]
        if self.actual_methods is not None:
            lines.append(f"           (CORS headers on {', '.join(self.actual_methods)} only)")
        preflight = "same as actual" if self.preflight is None else self.preflight.describe()
        lines.append(f"preflight: {preflight}")
        lines.append(
            f"           methods={self.allow_methods!r} headers={self.allow_headers!r} "
            f"status={self.preflight_status}/{self.refused_status}"
        )
        if self.private_network:
            lines.append("           grants private-network access")
        if self.cookie is not None:
            lines.append(f"cookie:    SameSite={self.cookie}")
        return "\n".join(lines)


# -- the concrete regressions (issue 14) ------------------------------------------------------


def _reflect_if(admits: Admits, *, credentials: bool = True, label: str) -> Server:
    return Server(Cors(admits, Answer(REFLECT, credentials)), label=label)


REGRESSIONS: Final = {
    "static-null-credentials": Server(
        Cors(Admits(), miss=Answer("null", credentials=True), vary=False),
        label="static-null-credentials",
    ),
    "flask-cors-app-and-null": Server(
        Cors(Admits(exact=(APP, "null")), Answer(REFLECT)), label="flask-cors-app-and-null"
    ),
    "start-anchored": _reflect_if(
        Admits(patterns=(PATTERNS["unanchored-end"],)), label="start-anchored"
    ),
    "end-anchored": _reflect_if(
        Admits(patterns=(PATTERNS["unanchored-start"],)), label="end-anchored"
    ),
    "any-subdomain": _reflect_if(
        Admits(patterns=(PATTERNS["any-subdomain"],)), label="any-subdomain"
    ),
    "unescaped-dot": _reflect_if(
        Admits(patterns=(PATTERNS["unescaped-dot"],)), label="unescaped-dot"
    ),
    "github-pages": _reflect_if(
        Admits(exact=(APP,), patterns=(PATTERNS["github-pages"],)), label="github-pages"
    ),
}
"""Servers named in the issue, each with the rule a policy-free default scan must report (see
`EXPECTED_RULES`)."""

FOUND: Final = {
    "preflight-star-but-null": Server(
        Cors(Admits(any_origin=True), Answer(REFLECT, credentials=True)),
        preflight=Cors(
            Admits(exact=("null",)), Answer(REFLECT, credentials=True), miss=Answer("*")
        ),
        allow_methods=REFLECT,
        label="preflight-star-but-null",
    ),
    "actual-echo-behind-refused-preflight": Server(
        Cors(Admits(exact=("null",)), Answer(REFLECT, credentials=True), vary=False),
        preflight=Cors(Admits(exact=(APP,))),
        label="actual-echo-behind-refused-preflight",
    ),
    "regex-admits-any-dot-com": _reflect_if(
        Admits(patterns=(PATTERNS["any-dot-com"],)), label="regex-admits-any-dot-com"
    ),
}
"""Servers on which the property test found the default plan missing a finding (PATCH target,
no policy): reflection of every origin on actual requests with ``*`` on preflights except an
echoed ``null`` (``null-origin``), and an echo without ``Vary`` on the actual request behind a
refused preflight (``missing-vary-origin``); and (GET target) a regex that admits every
``https://<name>.com``, so the second arbitrary origin gets in where the first was refused
(``reflected-origin``)."""

EXPECTED_RULES: Final = {
    "static-null-credentials": {"null-origin"},
    "flask-cors-app-and-null": {"null-origin"},
    "start-anchored": {"prefix-match"},
    "end-anchored": {"suffix-match"},
    "any-subdomain": {"arbitrary-subdomain"},
    "unescaped-dot": {"unescaped-dot"},
    "github-pages": {"third-party-origin"},
}


# -- strategies -------------------------------------------------------------------------------


def admits() -> st.SearchStrategy[Admits]:
    exact = st.lists(st.sampled_from(ORIGIN_POOL), min_size=1, max_size=4, unique=True).map(tuple)
    patterns = st.lists(
        st.sampled_from(tuple(PATTERNS.values())), min_size=1, max_size=2, unique=True
    ).map(tuple)
    return st.one_of(
        st.just(Admits(any_origin=True)),
        st.builds(Admits, exact=exact),
        st.builds(Admits, patterns=patterns),
        st.builds(Admits, exact=exact, patterns=patterns),
        st.just(Admits()),
    )


def answers(*, reflect: bool) -> st.SearchStrategy[Answer]:
    values = st.sampled_from(STATIC_VALUES)
    if reflect:
        # Mostly reflection: that is what allowlist code does on a hit.
        values = st.one_of(st.just(REFLECT), st.just(REFLECT), values)
    return st.builds(Answer, allow_origin=values, credentials=st.booleans())


def cors() -> st.SearchStrategy[Cors]:
    return st.builds(
        Cors,
        admits=admits(),
        hit=answers(reflect=True),
        miss=st.one_of(st.none(), answers(reflect=False)),
        vary=st.booleans(),
    )


_LISTS = st.one_of(
    st.none(),
    st.just(REFLECT),
    st.sampled_from(("GET, POST, PATCH", "GET", "*", "GET, POST, PUT, PATCH, DELETE")),
)
_HEADER_LISTS = st.one_of(
    st.none(),
    st.just(REFLECT),
    st.sampled_from(("Content-Type, Authorization", "Content-Type", "*", "authorization")),
)
_STATUSES = st.one_of(st.sampled_from((200, 204)), st.sampled_from((200, 204, 403, 404, 500)))


@st.composite
def servers(draw: st.DrawFn) -> Server:
    """A generated server (see the module docstring)."""
    actual = draw(cors())
    preflight = draw(st.one_of(st.none(), cors()))
    return Server(
        actual=actual,
        preflight=preflight,
        allow_methods=draw(_LISTS),
        allow_headers=draw(_HEADER_LISTS),
        preflight_status=draw(st.one_of(st.sampled_from((200, 204)), _STATUSES)),
        refused_status=draw(_STATUSES),
        actual_methods=draw(st.one_of(st.none(), st.none(), st.just(("GET",)))),
        private_network=draw(st.booleans()),
        cookie=draw(st.one_of(st.none(), st.sampled_from(("None", "Lax")))),
    )
