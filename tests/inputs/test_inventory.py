"""Tests for the inventory sources (cors_audit.inputs.sources): the registry, OpenAPI 3.0/3.1 and
Swagger 2.0 documents, DevTools HARs.

The assets under ``tests/assets/inventory/`` are realistic documents; malformed variants are
written per test into ``tmp_path`` so each error message (file + JSON pointer + expectation) is
checked exactly. The end-to-end test serves the imported paths on 127.0.0.1 and fetches every
target.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support import hypothesis_profiles  # noqa: F401  (loads the shared hypothesis profile)

from cors_audit.core.errors import UsageError
from cors_audit.core.models import Target
from cors_audit.inputs import sources as registry
from cors_audit.inputs.policy import load_policy
from cors_audit.inputs.sources import ImportOptions, Inventory, Source, get_source, load_all
from cors_audit.inputs.sources.har import har_inventory, load_har
from cors_audit.inputs.sources.openapi import load_openapi, openapi_inventory

ASSETS = Path(__file__).parents[1] / "assets" / "inventory"
SHOP = ASSETS / "shop-api-3.1.yaml"
BILLING = ASSETS / "billing-swagger-2.0.json"
NOTES = ASSETS / "notes-api-3.0.json"
HAR = ASSETS / "shop-dashboard.har"

SHOP_ROOT = "https://eu.api.acme-shop.example/v2"
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
API = "https://api.acme-shop.example"
APP = "https://app.acme-shop.example"


def pairs(inventory: Inventory) -> list[tuple[str, str]]:
    return [(target.method, target.url) for target in inventory.targets]


def write(tmp_path: Path, document: object, name: str = "api.json") -> Path:
    path = tmp_path / name
    if name.endswith((".json", ".har")):
        path.write_text(json.dumps(document), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def oas(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal valid OpenAPI 3.1 document around ``paths``."""
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "paths": paths,
    }
    document.update(extra)
    return document


def one_get(parameters: list[Any], template: str = "/x/{v}", **op: Any) -> dict[str, Any]:
    return oas({template: {"get": {"parameters": parameters, "responses": {}, **op}}})


# -- the assets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "base_url", "count"),
    [
        pytest.param(SHOP, None, 30, id="openapi-3.1-yaml"),
        pytest.param(BILLING, None, 8, id="swagger-2.0-json"),
        pytest.param(NOTES, "http://127.0.0.1:8000", 7, id="openapi-3.0-json"),
    ],
)
def test_every_openapi_asset_loads(path: Path, base_url: str | None, count: int) -> None:
    inventory = load_openapi(path, base_url)
    assert len(inventory.targets) == count
    assert len(set(pairs(inventory))) == count
    assert set(inventory.request_headers) == set(pairs(inventory))
    for names in inventory.request_headers.values():
        assert list(names) == sorted({name.lower() for name in names})
    assert inventory.origin_candidates == ()
    assert inventory.credentials == ()


def test_har_asset_loads() -> None:
    inventory = load_har(HAR)
    assert len(inventory.targets) == 6
    assert set(inventory.request_headers) == set(pairs(inventory))


# -- the source registry -------------------------------------------------------------------------

_NOT_SOURCES = {"__init__", "base", "documents"}


def test_every_source_module_is_registered() -> None:
    package = Path(registry.__file__).parent
    modules = {p.stem for p in package.glob("*.py")} - _NOT_SOURCES
    assert set(registry.REGISTRY) == modules
    found = registry.sources()
    assert [s.name for s in found] == list(registry.REGISTRY)
    for source in found:
        assert source.option.startswith("--")
        assert source.reads
        assert all(option.startswith("--") for option in source.extra_options)
    assert (get_source("openapi").option, get_source("openapi").extra_options) == (
        "--openapi",
        ("--base-url",),
    )
    assert (get_source("har").option, get_source("har").extra_options) == (
        "--har",
        ("--har-credentials",),
    )


def test_load_all_follows_the_registry_order() -> None:
    options = ImportOptions(base_url=None, with_credentials=True)
    loaded = load_all({"har": HAR, "openapi": SHOP}, options)
    assert [source.name for source, _ in loaded] == ["openapi", "har"]
    assert loaded[0][1] == load_openapi(SHOP)
    assert loaded[1][1] == load_har(HAR, with_credentials=True)
    assert load_all({"openapi": None}) == []
    with pytest.raises(KeyError, match="no inventory source 'wsdl'"):
        load_all({"wsdl": SHOP})


def test_a_source_reads_only_its_options(tmp_path: Path) -> None:
    openapi = get_source("openapi")
    base = ImportOptions(base_url="http://127.0.0.1:8000", with_credentials=True)
    assert openapi.load(NOTES, base) == load_openapi(NOTES, "http://127.0.0.1:8000")
    har = get_source("har")
    assert har.load(HAR, base) == load_har(HAR, with_credentials=True)
    assert repr(har) == "<inventory source har (--har)>"
    yaml_har = tmp_path / "x.har"
    yaml_har.write_text("log: {entries: []}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="invalid JSON"):
        har.load(yaml_har)  # a HAR is JSON only


class _Lines(Source):
    name = "lines"
    option = "--lines"
    reads = "a JSON list of URLs"

    def inventory(self, document: object, file: str, options: ImportOptions) -> Inventory:
        assert isinstance(document, list)
        return Inventory(
            tuple(Target(url=str(u), source=f"{file}:{i}") for i, u in enumerate(document))
        )


def test_a_new_source_is_one_module_and_one_registry_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a module of the package that defines SOURCE, and its name added to the registry
    module = ModuleType(f"{registry.__name__}.lines")
    module.__dict__["SOURCE"] = _Lines()
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(registry, "REGISTRY", (*registry.REGISTRY, "lines"))
    registry.sources.cache_clear()
    try:
        file = tmp_path / "urls.json"
        file.write_text('["https://api.example.com/a"]', encoding="utf-8")
        # When the files are imported
        loaded = load_all({"lines": file, "har": HAR})
        # Then the new source takes part, after the sources registered before it
        assert [source.name for source, _ in loaded] == ["har", "lines"]
        assert loaded[1][1].targets == (
            Target(url="https://api.example.com/a", source=f"{file}:0"),
        )
        # And a module whose SOURCE is not the named Source is refused
        module.__dict__["SOURCE"] = object()
        registry.sources.cache_clear()
        with pytest.raises(TypeError, match="must be a Source named 'lines'"):
            registry.sources()
    finally:
        monkeypatch.undo()
        registry.sources.cache_clear()


def test_the_registry_does_not_load_yaml() -> None:
    # PyYAML is paid for only when a YAML document is read (start-up stays light).
    probe = (
        "import sys\n"
        "from cors_audit.inputs.sources import sources\n"
        "sources()\n"
        "print('yaml' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("method", "url", "source"),
    [
        pytest.param("GET", "/health", "/paths/~1health/get", id="plain"),
        pytest.param("GET", "/users?limit=20", "/paths/~1users/get", id="required-query-default"),
        pytest.param(
            "GET", f"/users/{UUID}", "/paths/~1users~1{userId}/get", id="uuid-via-allof-ref"
        ),
        pytest.param(
            "PATCH", f"/users/{UUID}", "/paths/~1users~1{userId}/patch", id="patch-uppercase"
        ),
        pytest.param(
            "GET",
            f"/users/{UUID}/avatar",
            "/paths/~1users~1{userId}~1avatar/get",
            id="ref-to-ref-parameter",
        ),
        pytest.param(
            "GET", "/orders?status=open&limit=20", "/paths/~1orders/get", id="enum-and-ref-query"
        ),
        pytest.param("GET", "/orders/1001", "/paths/~1orders~1{orderId}/get", id="path-item-ref"),
        pytest.param(
            "DELETE", "/orders/1001", "/paths/~1orders~1{orderId}/delete", id="path-item-ref-del"
        ),
        pytest.param(
            "GET",
            "/orders/1001/items/1",
            "/paths/~1orders~1{orderId}~1items~1{itemNo}/get",
            id="integer-minimum",
        ),
        pytest.param("GET", "/products?category=shoes", "/paths/~1products/get", id="enum-query"),
        pytest.param("HEAD", "/products/SKU-42", "/paths/~1products~1{sku}/head", id="head"),
        pytest.param(
            "GET", "/products/SKU-1/reviews", "/paths/~1products~1{sku}~1reviews/get", id="default"
        ),
        pytest.param(
            "GET", "/search?q=red%20shoes&tags=new", "/paths/~1search/get", id="examples-ref"
        ),
        pytest.param(
            "GET",
            "/reports/2024-01-01?since=2024-01-01T00%3A00%3A00Z",
            "/paths/~1reports~1{day}/get",
            id="date-formats",
        ),
        pytest.param(
            "GET", "/files/docs%2Fa%20b.pdf", "/paths/~1files~1{path}/get", id="percent-encoded"
        ),
        pytest.param(
            "GET", "/public/stores/7", "/paths/~1public~1stores~1{storeId}/get", id="int-default"
        ),
        pytest.param(
            "GET",
            "/tenants/example/settings",
            "/paths/~1tenants~1{tenantId}~1settings/get",
            id="type-list-with-null",
        ),
        pytest.param(
            "GET", "/admin/audit?from=1700000000", "/paths/~1admin~1audit/get", id="int64-min"
        ),
    ],
)
def test_openapi_31_targets(method: str, url: str, source: str) -> None:
    inventory = load_openapi(SHOP)
    found = {(t.method, t.url): t for t in inventory.targets}
    target = found[(method, SHOP_ROOT + url)]
    assert target.source == "openapi:" + source
    assert target.site_origin is None


def test_openapi_31_skips_and_notes() -> None:
    inventory = load_openapi(SHOP)
    methods = {target.method for target in inventory.targets}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
    assert not any("/admin/debug" in target.url for target in inventory.targets)
    assert inventory.notes == (
        "openapi:/webhooks: 1 webhook(s) skipped: the API calls them, browsers do not",
        "openapi:/servers/0: server variables set to their defaults: region=eu",
        "openapi:/paths/~1admin~1debug/options: skipped: OPTIONS operations are not targets; "
        "the scan sends its own preflights to every target",
        "openapi:/paths/~1admin~1debug/trace: skipped: browsers cannot send TRACE (fetch() "
        "throws a TypeError)",
    )


def test_operations_keep_document_order() -> None:
    inventory = load_openapi(SHOP)
    users = [t.method for t in inventory.targets if t.url == f"{SHOP_ROOT}/users/{UUID}"]
    assert users == ["GET", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        pytest.param("GET", "/health", (), id="security-empty"),
        pytest.param("GET", "/users?limit=20", ("authorization",), id="root-bearer"),
        pytest.param(
            "POST", "/users", ("authorization", "content-type"), id="json-request-body-ref"
        ),
        pytest.param(
            "PATCH",
            f"/users/{UUID}",
            ("authorization", "content-type", "x-request-id"),
            id="header-param-ref",
        ),
        pytest.param(
            "PUT", f"/users/{UUID}/avatar", ("authorization", "content-type"), id="image-body"
        ),
        pytest.param(
            "POST",
            "/orders",
            ("authorization", "content-type", "idempotency-key"),
            id="required-header",
        ),
        pytest.param(
            "POST", "/products/SKU-1/reviews", ("x-api-key",), id="api-key-header-and-scheme"
        ),
        pytest.param("POST", "/sessions", ("authorization",), id="http-basic"),
        pytest.param("DELETE", "/sessions", (), id="api-key-in-cookie"),
        pytest.param(
            "GET", "/tenants/example/settings", ("authorization", "x-tenant"), id="oauth2"
        ),
        pytest.param(
            "PATCH",
            "/tenants/example/settings",
            ("content-type", "x-admin-key", "x-request-id", "x-tenant"),
            id="api-key-scheme",
        ),
        pytest.param("DELETE", "/orders/1001", ("authorization",), id="first-security-alternative"),
    ],
)
def test_openapi_31_request_headers(method: str, url: str, headers: tuple[str, ...]) -> None:
    inventory = load_openapi(SHOP)
    assert inventory.request_headers[(method, SHOP_ROOT + url)] == headers


def test_x_api_key_and_authorization_scheme(tmp_path: Path) -> None:
    # Given an operation declaring an X-Api-Key header and both schemes in one requirement
    document = oas(
        {
            "/things": {
                "post": {
                    "security": [{"key": [], "bearer": []}],
                    "parameters": [{"name": "X-Api-Key", "in": "header", "required": True}],
                    "responses": {},
                }
            }
        },
        components={
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            }
        },
    )
    # When it is imported
    inventory = load_openapi(write(tmp_path, document))
    # Then both header names are there, lowercased, sorted, once each
    assert inventory.request_headers == {
        ("POST", "https://api.example.com/v1/things"): ("authorization", "x-api-key")
    }


@pytest.mark.parametrize(
    ("operation", "headers"),
    [
        pytest.param(
            {"requestBody": {"content": {"application/x-www-form-urlencoded": {}}}},
            (),
            id="form-body-is-simple",
        ),
        pytest.param(
            {"requestBody": {"content": {"text/plain; charset=utf-8": {}}}}, (), id="text-plain"
        ),
        pytest.param({"requestBody": {"content": {"*/*": {}}}}, (), id="wildcard-media"),
        pytest.param({"requestBody": {"description": "x"}}, (), id="body-without-content"),
        pytest.param(
            {"parameters": [{"name": "Cookie", "in": "header"}]}, (), id="forbidden-header"
        ),
        pytest.param(
            {"parameters": [{"name": "Accept", "in": "header", "example": "application/json"}]},
            (),
            id="safelisted-accept",
        ),
        pytest.param(
            {"parameters": [{"name": "Accept", "in": "header", "example": "a(b)"}]},
            ("accept",),
            id="unsafe-accept-value",
        ),
        pytest.param({"security": [{}]}, (), id="optional-security"),
    ],
)
def test_request_header_rules(
    tmp_path: Path, operation: dict[str, Any], headers: tuple[str, ...]
) -> None:
    document = oas({"/t": {"post": {"responses": {}, **operation}}})
    inventory = load_openapi(write(tmp_path, document))
    assert inventory.request_headers[("POST", "https://api.example.com/v1/t")] == headers


def test_public_override_glob_applies_to_imported_targets(tmp_path: Path) -> None:
    # Given a policy that marks */public/* as public
    policy_file = tmp_path / "cors-policy.toml"
    policy_file.write_text(
        'trusted_origins = ["https://app.acme-shop.example"]\n\n'
        '[[override]]\nmatch = "*/public/*"\npublic = true\n',
        encoding="utf-8",
    )
    policy = load_policy(policy_file)
    # When the OpenAPI targets are judged against it
    inventory = load_openapi(SHOP)
    public = {t.url for t in inventory.targets if policy.for_url(t.url).public}
    # Then exactly the public operations are judged as public
    assert public == {f"{SHOP_ROOT}/public/catalog", f"{SHOP_ROOT}/public/stores/7"}


# -- servers and --base-url ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "base_url", "expected"),
    [
        pytest.param(
            [{"url": "https://api.example.com/v1"}], None, "https://api.example.com/v1/t", id="abs"
        ),
        pytest.param(
            [{"url": "https://api.example.com/v1"}],
            "http://127.0.0.1:9000",
            "http://127.0.0.1:9000/t",
            id="base-url-replaces-server",
        ),
        pytest.param(
            [{"url": "/v1"}], "http://127.0.0.1:9000/x", "http://127.0.0.1:9000/v1/t", id="rel"
        ),
        pytest.param(
            [{"url": "v1"}], "http://127.0.0.1:9000/x", "http://127.0.0.1:9000/x/v1/t", id="rel2"
        ),
        pytest.param(
            None, "https://staging.example.com/", "https://staging.example.com/t", id="no"
        ),
        pytest.param(
            [{"url": "wss://stream.example.com"}, {"url": "http://API.example.com:80/"}],
            None,
            "http://api.example.com/t",
            id="skips-non-http",
        ),
        pytest.param(
            [
                {
                    "url": "{scheme}://{host}:{port}/{base}",
                    "variables": {
                        "scheme": {"default": "https"},
                        "host": {"default": "eu.example.com", "enum": ["eu.example.com"]},
                        "port": {"default": 8443},
                        "base": {"default": "api"},
                    },
                }
            ],
            None,
            "https://eu.example.com:8443/api/t",
            id="variables",
        ),
    ],
)
def test_server_selection(
    tmp_path: Path, servers: list[Any] | None, base_url: str | None, expected: str
) -> None:
    document = oas({"/t": {"get": {"responses": {}}}})
    if servers is None:
        del document["servers"]
    else:
        document["servers"] = servers
    assert pairs(load_openapi(write(tmp_path, document), base_url)) == [("GET", expected)]


def test_operation_and_path_servers_override_the_root(tmp_path: Path) -> None:
    document = oas(
        {
            "/a": {"get": {"servers": [{"url": "https://uploads.example.com"}], "responses": {}}},
            "/b": {"servers": [{"url": "https://b.example.com/x"}], "get": {"responses": {}}},
            "/c": {"get": {"servers": [], "responses": {}}},
        }
    )
    assert pairs(load_openapi(write(tmp_path, document))) == [
        ("GET", "https://uploads.example.com/a"),
        ("GET", "https://b.example.com/x/b"),
        ("GET", "https://api.example.com/v1/c"),
    ]


def test_non_http_server_is_noted(tmp_path: Path) -> None:
    document = oas({"/t": {"get": {"responses": {}}}})
    document["servers"] = [{"url": "wss://s.example.com"}, {"url": "https://a.example.com"}]
    inventory = load_openapi(write(tmp_path, document))
    assert inventory.notes == (
        "openapi:/servers/0: server 'wss://s.example.com' skipped (cors-audit scans http(s) "
        "URLs only)",
    )


def test_notes_asset_relative_server_needs_base_url() -> None:
    with pytest.raises(UsageError) as caught:
        load_openapi(NOTES)
    assert str(caught.value) == (
        f"{NOTES}: /servers/0/url: the server URL '/notes/v1' is relative and no --base-url was "
        "given (expected an absolute http(s) server URL, or --base-url to resolve it against)"
    )


def test_notes_asset_with_base_url() -> None:
    inventory = load_openapi(NOTES, "http://127.0.0.1:8000")
    base = "http://127.0.0.1:8000/notes/v1"
    assert pairs(inventory) == [
        ("GET", f"{base}/notes?notebook=inbox"),
        ("POST", f"{base}/notes"),
        ("GET", f"{base}/notes/17"),
        ("PUT", f"{base}/notes/17"),
        ("DELETE", f"{base}/notes/17"),
        ("POST", f"{base}/notes/17/share?with=friend%40example.com"),
        ("GET", f"{base}/export?format=md"),
    ]
    headers = inventory.request_headers
    assert headers[("GET", f"{base}/notes/17")] == ()  # cookie-only security
    assert headers[("POST", f"{base}/notes")] == ("content-type", "x-csrf-token")
    assert headers[("PUT", f"{base}/notes/17")] == ("x-csrf-token",)  # text/plain is simple
    assert headers[("GET", f"{base}/export?format=md")] == ()  # security: [{}]


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        pytest.param("ftp://x.example.com", "unsupported scheme 'ftp'", id="scheme"),
        pytest.param("not a url", "contains a space", id="garbage"),
        pytest.param("https://x.example.com/?a=1", "has a query", id="query"),
    ],
)
def test_bad_base_url(base_url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        load_openapi(SHOP, base_url)
    assert str(caught.value).startswith("--base-url")


# -- Swagger 2.0 -----------------------------------------------------------------------------


def test_swagger_20_targets_and_headers() -> None:
    inventory = load_openapi(BILLING)
    root = "https://billing.acme-shop.example/api/v1"
    assert pairs(inventory) == [
        ("GET", f"{root}/invoices?currency=EUR&year=2024&status=paid"),
        ("POST", f"{root}/invoices"),
        ("GET", f"{root}/invoices/INV-2024-0001"),
        ("DELETE", f"{root}/invoices/INV-2024-0001"),
        ("GET", f"{root}/invoices/INV-2024-0001/pdf?lang=en"),
        ("POST", f"{root}/payment-methods"),
        ("PATCH", f"{root}/payment-methods/100"),
        ("GET", f"{root}/rates/EUR/USD?at=2024-01-01"),
    ]
    assert list(inventory.request_headers.values()) == [
        ("x-billing-key",),
        ("content-type", "x-billing-key"),  # body → consumes application/json
        ("x-billing-key",),
        ("authorization",),  # basic
        (),  # apiKey in query
        ("x-billing-key", "x-correlation-id"),  # formData urlencoded is simple
        ("content-type", "x-billing-key"),  # body without consumes → application/json
        (),
    ]
    assert inventory.notes == (
        "openapi:/paths/~1payment-methods~1{methodId}/options: skipped: OPTIONS operations are "
        "not targets; the scan sends its own preflights to every target",
    )


@pytest.mark.parametrize(
    ("changes", "base_url", "expected", "note"),
    [
        pytest.param({"schemes": None}, None, "https://h.example.com/api/t", True, id="no-schemes"),
        pytest.param({"schemes": ["http"]}, None, "http://h.example.com/api/t", False, id="http"),
        pytest.param(
            {"host": None}, "http://127.0.0.1:1", "http://127.0.0.1:1/api/t", False, id="nohost"
        ),
        pytest.param({}, "http://127.0.0.1:1/", "http://127.0.0.1:1/t", False, id="base-url"),
        pytest.param({"basePath": None}, None, "https://h.example.com/t", False, id="no-basepath"),
    ],
)
def test_swagger_root(
    tmp_path: Path, changes: dict[str, Any], base_url: str | None, expected: str, note: bool
) -> None:
    document: dict[str, Any] = {
        "swagger": "2.0",
        "host": "h.example.com",
        "basePath": "/api",
        "schemes": ["https"],
        "paths": {"/t": {"get": {"responses": {}}}},
    }
    for key, value in changes.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    inventory = load_openapi(write(tmp_path, document), base_url)
    assert pairs(inventory) == [("GET", expected)]
    assert inventory.notes == (("openapi:/schemes: not declared; https assumed",) if note else ())


def test_swagger_formdata_without_consumes_and_ssv(tmp_path: Path) -> None:
    document = {
        "swagger": "2.0",
        "host": "h.example.com",
        "paths": {
            "/t": {
                "post": {
                    "parameters": [
                        {"name": "f", "in": "formData", "type": "string"},
                        {
                            "name": "ids",
                            "in": "query",
                            "required": True,
                            "type": "array",
                            "items": {"type": "integer"},
                            "collectionFormat": "ssv",
                            "x-example": [1, 2],
                        },
                    ],
                    "responses": {},
                }
            }
        },
    }
    inventory = load_openapi(write(tmp_path, document))
    assert pairs(inventory) == [("POST", "https://h.example.com/t?ids=1%202")]
    assert inventory.request_headers[pairs(inventory)[0]] == ()


# -- parameter values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "segment"),
    [
        pytest.param({"schema": {"type": "integer"}}, "1", id="integer"),
        pytest.param({"schema": {"type": "number", "minimum": 2.5}}, "2.5", id="number-minimum"),
        pytest.param({"schema": {"type": "integer", "maximum": -3}}, "-3", id="maximum-below-1"),
        pytest.param({"schema": {"type": "boolean"}}, "true", id="boolean"),
        pytest.param({"schema": {"type": "string"}}, "example", id="string"),
        pytest.param({"schema": {"type": "string", "format": "uuid"}}, UUID, id="uuid"),
        pytest.param({"schema": {"format": "date"}}, "2024-01-01", id="date"),
        pytest.param(
            {"schema": {"format": "date-time"}}, "2024-01-01T00%3A00%3A00Z", id="date-time"
        ),
        pytest.param({"schema": {"format": "email"}}, "user%40example.com", id="email"),
        pytest.param({"schema": {"format": "ipv6"}}, "2001%3Adb8%3A%3A1", id="ipv6"),
        pytest.param({"schema": {"format": "made-up"}}, "example", id="unknown-format"),
        pytest.param(
            {"schema": {"type": "array", "items": {"enum": ["a b"]}}}, "a%20b", id="array"
        ),
        pytest.param({"schema": {"oneOf": [{"type": "integer"}, {}]}}, "1", id="one-of"),
        pytest.param({"schema": {"type": ["null", "integer"]}}, "1", id="type-list"),
        pytest.param({"schema": {"const": "fixed"}}, "fixed", id="const"),
        pytest.param({"schema": {"examples": ["ex1", "ex2"]}}, "ex1", id="schema-examples"),
        pytest.param({"schema": {"enum": ["e1"], "default": "d1"}}, "d1", id="default-over-enum"),
        pytest.param(
            {"example": "p1", "schema": {"default": "d1", "example": "s1"}}, "p1", id="param-ex"
        ),
        pytest.param({"schema": {"example": "s1", "default": "d1"}}, "s1", id="schema-example"),
        pytest.param({"example": None, "schema": {"default": 5}}, "5", id="null-example"),
        pytest.param({"examples": {"a": {"value": "v/1"}}}, "v%2F1", id="examples-map"),
        pytest.param(
            {"examples": {"a": {"externalValue": "x"}}, "schema": {"default": 2}},
            "2",
            id="external-example",
        ),
        pytest.param({"example": ["a", "b"]}, "a,b", id="list-example"),
        pytest.param({"example": {"k": "v", "n": 1}}, "k%2Cv%2Cn%2C1", id="object-example"),
        pytest.param({"example": 2.0}, "2.0", id="float-example"),
        pytest.param({"example": False}, "false", id="bool-example"),
        pytest.param({"content": {"application/json": {"example": "c1"}}}, "c1", id="content"),
        pytest.param(
            {"content": {"application/json": {"examples": {"x": {"value": 3}}}}}, "3", id="c-exs"
        ),
        pytest.param(
            {"content": {"application/json": {"schema": {"type": "integer"}}}}, "1", id="c-schema"
        ),
        pytest.param({"content": {"application/json": {}}}, "example", id="content-empty"),
        pytest.param({"content": {"application/json": "x"}}, "example", id="content-odd"),
        pytest.param({}, "example", id="nothing"),
        pytest.param({"schema": {"$ref": "#/components/schemas/Deep"}}, "example", id="recursive"),
        pytest.param({"schema": True}, "example", id="boolean-schema"),
        pytest.param(
            {"schema": {"$ref": "#/components/schemas/Tree~1Node"}}, "42", id="escaped-ref"
        ),
    ],
)
def test_path_parameter_values(tmp_path: Path, parameter: dict[str, Any], segment: str) -> None:
    document = one_get([{"name": "v", "in": "path", "required": True, **parameter}])
    document["components"] = {
        "schemas": {
            "Deep": {"allOf": [{"$ref": "#/components/schemas/Deep"}]},
            "Tree/Node": {"type": "integer", "default": 42},
        }
    }
    inventory = load_openapi(write(tmp_path, document))
    assert pairs(inventory) == [("GET", f"https://api.example.com/v1/x/{segment}")]


def test_yaml_date_example_is_iso(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(
        "openapi: 3.0.3\nservers: [{url: 'https://a.example.com'}]\npaths:\n  /d/{day}:\n"
        "    get:\n      parameters:\n        - {name: day, in: path, required: true,"
        " example: 2024-05-14}\n      responses: {}\n",
        encoding="utf-8",
    )
    assert pairs(load_openapi(path)) == [("GET", "https://a.example.com/d/2024-05-14")]


@pytest.mark.parametrize(
    ("parameter", "query"),
    [
        pytest.param({"example": ["a", "b"]}, "q=a&q=b", id="array-exploded"),
        pytest.param({"example": ["a", "b"], "explode": False}, "q=a%2Cb", id="array-joined"),
        pytest.param({"example": {"x": 1, "y": 2}}, "x=1&y=2", id="object-exploded"),
        pytest.param({"example": "a&b=c"}, "q=a%26b%3Dc", id="encoded"),
        pytest.param({"example": "v", "required": False}, "", id="optional-dropped"),
    ],
)
def test_query_parameter_serialization(
    tmp_path: Path, parameter: dict[str, Any], query: str
) -> None:
    document = one_get([{"name": "q", "in": "query", "required": True, **parameter}], "/s")
    suffix = f"?{query}" if query else ""
    assert pairs(load_openapi(write(tmp_path, document))) == [
        ("GET", f"https://api.example.com/v1/s{suffix}")
    ]


def test_operation_parameter_overrides_path_item_parameter(tmp_path: Path) -> None:
    document = oas(
        {
            "/x/{v}": {
                "parameters": [{"name": "v", "in": "path", "required": True, "example": "item"}],
                "get": {
                    "parameters": [{"name": "v", "in": "path", "required": True, "example": "op"}],
                    "responses": {},
                },
                "put": {"responses": {}},
            }
        }
    )
    assert pairs(load_openapi(write(tmp_path, document))) == [
        ("GET", "https://api.example.com/v1/x/op"),
        ("PUT", "https://api.example.com/v1/x/item"),
    ]


def test_undeclared_path_parameter_gets_placeholder_and_note(tmp_path: Path) -> None:
    document = oas({"/a b/{id}": {"get": {"responses": {}}}})
    inventory = load_openapi(write(tmp_path, document))
    assert pairs(inventory) == [("GET", "https://api.example.com/v1/a%20b/example")]
    assert inventory.notes == (
        "openapi:/paths/~1a b~1{id}/get: the path parameter {id} is not declared; 'example' used",
    )


def test_duplicate_targets_are_dropped_with_a_note(tmp_path: Path) -> None:
    document = oas(
        {
            "/u/{a}": {"get": {"parameters": [{"name": "a", "in": "path"}], "responses": {}}},
            "/u/{b}": {"get": {"parameters": [{"name": "b", "in": "path"}], "responses": {}}},
        }
    )
    inventory = load_openapi(write(tmp_path, document))
    assert pairs(inventory) == [("GET", "https://api.example.com/v1/u/example")]
    assert inventory.targets[0].source == "openapi:/paths/~1u~1{a}/get"
    assert inventory.notes == (
        "openapi:/paths/~1u~1{b}/get: same method and URL as an earlier operation; skipped",
    )


def test_local_refs_into_paths_and_lists(tmp_path: Path) -> None:
    document = oas(
        {
            "/a~b/{v}": {
                "get": {
                    "parameters": [{"name": "v", "in": "path", "example": "shared"}],
                    "responses": {},
                }
            },
            "/c/{v}": {
                "get": {
                    "parameters": [{"$ref": "#/paths/~1a~0b~1%7Bv%7D/get/parameters/0"}],
                    "responses": {},
                }
            },
            "/d": {"$ref": "#/paths/~1c~1%7Bv%7D"},
        }
    )
    inventory = load_openapi(write(tmp_path, document))
    assert pairs(inventory) == [
        ("GET", "https://api.example.com/v1/a~b/shared"),
        ("GET", "https://api.example.com/v1/c/shared"),
        ("GET", "https://api.example.com/v1/d"),
    ]
    assert inventory.targets[2].source == "openapi:/paths/~1d/get"


def test_no_paths_and_whole_document_ref(tmp_path: Path) -> None:
    document = oas({})
    del document["paths"]
    inventory = load_openapi(write(tmp_path, document))
    assert inventory.targets == ()
    assert inventory.notes == ("openapi:/paths: the document has no paths",)


def test_yaml_integer_keys_resolve(tmp_path: Path) -> None:
    # YAML reads `200:` as an int; a pointer spells it as text.
    path = tmp_path / "api.yaml"
    path.write_text(
        "openapi: 3.1.0\nservers: [{url: 'https://a.example.com'}]\n"
        "x-codes:\n  200: {name: v, in: path, example: ok}\n"
        "paths:\n  /p/{v}:\n    get:\n      parameters: [{$ref: '#/x-codes/200'}]\n",
        encoding="utf-8",
    )
    assert pairs(load_openapi(path)) == [("GET", "https://a.example.com/p/ok")]


def test_yaml_scalar_types_are_named(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(
        "openapi: 3.1.0\nservers: [{url: 2024-01-01}]\npaths: {/p: {get: {}}}\n", encoding="utf-8"
    )
    with pytest.raises(UsageError) as caught:
        load_openapi(path)
    assert str(caught.value) == (
        f"{path}: /servers/0/url: found a date (expected a server URL string)"
    )


def test_odd_examples_fall_back(tmp_path: Path) -> None:
    document = one_get(
        [
            {
                "name": "v",
                "in": "path",
                "examples": {"a": "not an object"},
                "schema": {"default": 3},
            },
            {"name": "Accept", "in": "header", "example": ["a", "b("]},
        ]
    )
    inventory = load_openapi(write(tmp_path, document))
    assert inventory.request_headers == {("GET", "https://api.example.com/v1/x/3"): ("accept",)}


def test_yaml_alias_bomb_stays_small(tmp_path: Path) -> None:
    # Nine levels of nine aliases would be 9**9 strings if examples were rendered recursively.
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "api.yaml"
    path.write_text(
        "openapi: 3.1.0\nservers: [{url: 'https://a.example.com'}]\nx-bomb:\n  "
        + "\n  ".join(levels)
        + "\npaths:\n  /p/{v}:\n    get:\n      parameters:\n"
        "        - {name: v, in: path, example: *a9}\n"
        "        - {name: q, in: query, required: true, example: *a9}\n"
        "        - {name: X-B, in: header, example: {k: *a9}}\n",
        encoding="utf-8",
    )
    inventory = load_openapi(path)
    nine = ",".join(["example"] * 9)
    assert pairs(inventory) == [
        ("GET", f"https://a.example.com/p/{nine}?" + "&".join(["q=example"] * 9))
    ]


def test_unquoted_version_number_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "api.yml"
    path.write_text(
        "openapi: 3.1\nservers: [{url: 'https://a.example.com'}]\npaths: {/p: {get: {}}}\n",
        encoding="utf-8",
    )
    assert pairs(load_openapi(path)) == [("GET", "https://a.example.com/p")]


# -- malformed documents ---------------------------------------------------------------------

GOOD_PARAM = {"name": "id", "in": "path", "required": True}


def _with_param(parameter: Any, **components: Any) -> dict[str, Any]:
    document = one_get([parameter], "/users/{id}")
    if components:
        document["components"] = components
    return document


OP = "/paths/~1users~1{id}/get"

MALFORMED: list[Any] = [
    pytest.param(
        _with_param({"$ref": "#/components/parameters/Nope"}),
        f"{OP}/parameters/0: $ref '#/components/parameters/Nope' does not resolve (expected a "
        "reference to an existing component)",
        id="unresolved-component",
    ),
    pytest.param(
        _with_param({"$ref": "#/paths/~1nowhere"}),
        f"{OP}/parameters/0: $ref '#/paths/~1nowhere' does not resolve (expected a reference "
        "to an existing part of this document)",
        id="unresolved-other",
    ),
    pytest.param(
        _with_param(
            {"$ref": "#/components/parameters/A"},
            parameters={"A": {"$ref": "#/components/parameters/Gone"}},
        ),
        "/components/parameters/A: $ref '#/components/parameters/Gone' does not resolve "
        f"(reached from {OP}/parameters/0) (expected a reference to an existing component)",
        id="unresolved-in-chain",
    ),
    pytest.param(
        _with_param({"$ref": "https://evil.example/params.yaml#/Id"}),
        f"{OP}/parameters/0: $ref 'https://evil.example/params.yaml#/Id' points outside this "
        "file; cors-audit never fetches remote or external references (expected a local "
        "reference such as '#/components/schemas/User' (bundle the document into one file "
        "first))",
        id="remote-ref",
    ),
    pytest.param(
        _with_param({"$ref": "common.yaml#/components/parameters/Id"}),
        f"{OP}/parameters/0: $ref 'common.yaml#/components/parameters/Id' points outside",
        id="other-file-ref",
    ),
    pytest.param(
        _with_param({"$ref": "#Id"}),
        f"{OP}/parameters/0: $ref '#Id' is not a JSON pointer (anchors are not supported) "
        "(expected a local reference such as '#/components/schemas/User')",
        id="anchor-ref",
    ),
    pytest.param(
        _with_param({"$ref": 7}),
        f"{OP}/parameters/0/$ref: $ref is a number (expected a string such as '#/components/...')",
        id="ref-not-string",
    ),
    pytest.param(
        _with_param(
            {"$ref": "#/components/parameters/A"},
            parameters={
                "A": {"$ref": "#/components/parameters/B"},
                "B": {"$ref": "#/components/parameters/A"},
            },
        ),
        f"{OP}/parameters/0: $ref cycle: '#/components/parameters/A' -> "
        "'#/components/parameters/B' -> '#/components/parameters/A' (expected references that "
        "end at a definition)",
        id="ref-cycle",
    ),
    pytest.param(
        oas({"/loop": {"$ref": "#/paths/~1loop"}}),
        "/paths/~1loop: $ref cycle: '#/paths/~1loop'",
        id="path-item-self-ref",
    ),
    pytest.param(
        _with_param(
            {**GOOD_PARAM, "schema": {"$ref": "#/components/schemas/A"}},
            schemas={"A": {"$ref": "#/components/schemas/A"}},
        ),
        f"{OP}/parameters/0/schema: $ref cycle: '#/components/schemas/A' -> "
        "'#/components/schemas/A'",
        id="schema-cycle",
    ),
    pytest.param(
        _with_param({"in": "path"}),
        f"{OP}/parameters/0/name: found null (expected the parameter name, a string)",
        id="param-without-name",
    ),
    pytest.param(
        _with_param({"name": "id", "in": "body"}),
        f"{OP}/parameters/0/in: found 'body' (expected one of path, query, header, cookie)",
        id="param-bad-in",
    ),
    pytest.param(
        _with_param({"name": "id", "in": 3}),
        f"{OP}/parameters/0/in: found a number (expected one of path, query, header, cookie)",
        id="param-in-not-string",
    ),
    pytest.param(
        _with_param({**GOOD_PARAM, "required": None}),
        f"{OP}/parameters/0/required: found null (expected true or false)",
        id="param-required-null",
    ),
    pytest.param(
        _with_param({**GOOD_PARAM, "required": 1}),
        f"{OP}/parameters/0/required: found a number (expected true or false)",
        id="param-required-number",
    ),
    pytest.param(
        _with_param({**GOOD_PARAM, "required": False, "in": True}),
        f"{OP}/parameters/0/in: found a boolean (expected one of path, query, header, cookie)",
        id="param-in-boolean",
    ),
    pytest.param(
        _with_param({**GOOD_PARAM, "required": "yes"}),
        f"{OP}/parameters/0/required: found a string (expected true or false)",
        id="param-required-not-bool",
    ),
    pytest.param(
        _with_param("id"),
        f"{OP}/parameters/0: found a string (expected a parameter object with 'name' and 'in')",
        id="param-not-mapping",
    ),
    pytest.param(
        oas({"/t": {"get": {"parameters": {"name": "x"}}}}),
        "/paths/~1t/get/parameters: found a mapping (expected a list of parameter objects)",
        id="parameters-not-list",
    ),
    pytest.param(
        _with_param({"name": "X Bad", "in": "header"}),
        f"{OP}: the header name 'X Bad' is not valid (expected an HTTP token)",
        id="bad-header-name",
    ),
    pytest.param(
        oas({"/t": {"get": "nope"}}),
        "/paths/~1t/get: found a string (expected an operation object)",
        id="operation-not-mapping",
    ),
    pytest.param(
        oas({"/t": ["get"]}),
        "/paths/~1t: found a list (expected a path item: a mapping of methods to operations)",
        id="path-item-not-mapping",
    ),
    pytest.param(
        oas(["/t"]),  # type: ignore[arg-type]
        "/paths: found a list (expected a mapping of path templates to path items)",
        id="paths-not-mapping",
    ),
    pytest.param(
        oas({"users": {}}),
        "/paths/users: the path 'users' does not start with '/' (expected a path template such "
        "as '/users/{id}')",
        id="path-without-slash",
    ),
    pytest.param(
        oas({"/s?q=1": {}}),
        "/paths/~1s?q=1: the path '/s?q=1' contains a query or fragment (expected a path "
        "template without '?' or '#')",
        id="path-with-query",
    ),
    pytest.param(
        ["openapi"],
        "(document root): found a list (expected an OpenAPI document: a mapping with an "
        "'openapi' or 'swagger' key)",
        id="root-list",
    ),
    pytest.param(
        {"info": {}},
        "(document root): no 'openapi' or 'swagger' key (expected an OpenAPI 3.x or Swagger "
        "2.0 document)",
        id="not-openapi",
    ),
    pytest.param(
        oas({}, openapi="4.0.0"),
        '/openapi: unsupported version \'4.0.0\' (expected OpenAPI "3.0.x" or "3.1.x")',
        id="openapi-4",
    ),
    pytest.param(
        oas({}, openapi=["3.1.0"]),
        '/openapi: found a list (expected a version string such as "3.1.0")',
        id="openapi-list",
    ),
    pytest.param(
        {"swagger": "1.2", "paths": {}},
        "/swagger: unsupported version '1.2' (expected Swagger \"2.0\")",
        id="swagger-1.2",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"url": "https://{region}.example.com"}]),
        "/servers/0/url: the server URL uses the variable {region}, which is not declared "
        "(expected a variables entry for 'region' with a default)",
        id="server-variable-undeclared",
    ),
    pytest.param(
        oas(
            {"/t": {"get": {}}},
            servers=[{"url": "https://{r}.example.com", "variables": {"r": {"enum": ["a"]}}}],
        ),
        "/servers/0/variables/r: the server variable has no default (expected a 'default' value)",
        id="server-variable-without-default",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"url": "https://{r}.x.com", "variables": []}]),
        "/servers/0/variables: found a list (expected a mapping of server variables)",
        id="server-variables-not-mapping",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"url": "https://{r}.x.com", "variables": {"r": 1}}]),
        "/servers/0/variables/r: found a number (expected a server variable with a default)",
        id="server-variable-not-mapping",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"description": "no url"}]),
        "/servers/0/url: found null (expected a server URL string)",
        id="server-without-url",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=["https://a.example.com"]),
        "/servers/0: found a string (expected a server object with a 'url')",
        id="server-not-mapping",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers={"url": "https://a.example.com"}),
        "/servers: found a mapping (expected a list of server objects)",
        id="servers-not-list",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"url": "/v1"}]),
        "/servers/0/url: the server URL '/v1' is relative and no --base-url was given (expected "
        "an absolute http(s) server URL, or --base-url to resolve it against)",
        id="relative-server",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[]),
        "/servers: no servers are declared and no --base-url was given (expected a servers "
        "entry with an absolute http(s) URL, or --base-url)",
        id="no-servers",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"url": "ws://a.example.com"}]),
        "/servers: no server has an http(s) URL (expected an http:// or https:// server)",
        id="only-websocket-server",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, servers=[{"url": "https://a.example.com:99999"}]),
        "/paths/~1t/get: the URL 'https://a.example.com:99999/t' is not valid: port 99999 is "
        "out of range (expected 1-65535) (expected an http(s) URL)",
        id="bad-server-port",
    ),
    pytest.param(
        oas({"/t": {"get": {"security": [{"nope": []}]}}}),
        "/paths/~1t/get/security/0/nope: security scheme 'nope' is not declared (expected a "
        "scheme defined under /components/securitySchemes)",
        id="undeclared-security-scheme",
    ),
    pytest.param(
        oas({"/t": {"get": {"security": {"a": []}}}}),
        "/paths/~1t/get/security: found a mapping (expected a list of security requirement "
        "objects)",
        id="security-not-list",
    ),
    pytest.param(
        oas({"/t": {"get": {}}}, security=["bearer"]),
        "/security/0: found a string (expected a security requirement object)",
        id="root-security-item",
    ),
    pytest.param(
        oas(
            {"/t": {"get": {"security": [{"k": []}]}}},
            components={"securitySchemes": {"k": "apiKey"}},
        ),
        "/components/securitySchemes/k: found a string (expected a security scheme object with "
        "a 'type')",
        id="scheme-not-mapping",
    ),
    pytest.param(
        oas(
            {"/t": {"get": {"security": [{"k": []}]}}},
            components={"securitySchemes": {"k": {"type": "apiKey", "in": "header"}}},
        ),
        "/components/securitySchemes/k/name: found null (expected an HTTP header name)",
        id="api-key-without-name",
    ),
    pytest.param(
        oas(
            {"/t": {"get": {"security": [{"k": []}]}}},
            components={
                "securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "a:b"}}
            },
        ),
        "/components/securitySchemes/k/name: 'a:b' is not a valid header name (expected an "
        "HTTP token)",
        id="api-key-bad-name",
    ),
    pytest.param(
        oas({"/t": {"post": {"requestBody": {"$ref": "#/components/requestBodies/X"}}}}),
        "/paths/~1t/post/requestBody: $ref '#/components/requestBodies/X' does not resolve",
        id="request-body-ref",
    ),
    pytest.param(
        oas({"/t": {"post": {"requestBody": ["x"]}}}),
        "/paths/~1t/post/requestBody: found a list (expected a request body object with 'content')",
        id="request-body-not-mapping",
    ),
    pytest.param(
        oas({"/t": {"post": {"requestBody": {"content": ["application/json"]}}}}),
        "/paths/~1t/post/requestBody/content: found a list (expected a map of media types)",
        id="content-not-mapping",
    ),
    pytest.param(
        {"swagger": "2.0", "host": "h", "schemes": ["ws"], "paths": {"/t": {"get": {}}}},
        '/schemes: no http(s) scheme in [\'ws\'] (expected "https" or "http")',
        id="swagger-ws-only",
    ),
    pytest.param(
        {"swagger": "2.0", "host": "h", "basePath": "api", "paths": {"/t": {"get": {}}}},
        "/basePath: 'api' does not start with '/' (expected a path such as \"/v1\")",
        id="swagger-basepath",
    ),
    pytest.param(
        {"swagger": "2.0", "paths": {"/t": {"get": {}}}},
        "/host: the server URL '/' is relative and no --base-url was given",
        id="swagger-no-host",
    ),
    pytest.param(
        {"swagger": "2.0", "host": 5, "paths": {"/t": {"get": {}}}},
        '/host: found a number (expected a host name such as "api.example.com")',
        id="swagger-host-number",
    ),
    pytest.param(
        {"swagger": "2.0", "host": "h", "schemes": "https", "paths": {"/t": {"get": {}}}},
        '/schemes: found a string (expected a list such as ["https"])',
        id="swagger-schemes-string",
    ),
    pytest.param(
        {
            "swagger": "2.0",
            "host": "h",
            "paths": {"/t": {"get": {"parameters": [{"name": "a", "in": "cookie"}]}}},
        },
        "/paths/~1t/get/parameters/0/in: found 'cookie' (expected one of path, query, header, "
        "body, formData)",
        id="swagger-cookie-param",
    ),
    pytest.param(
        {"swagger": "2.0", "host": "h", "paths": {"/t": {"get": {"security": [{"k": []}]}}}},
        "/paths/~1t/get/security/0/k: security scheme 'k' is not declared (expected a scheme "
        "defined under /securityDefinitions)",
        id="swagger-undeclared-scheme",
    ),
    pytest.param(
        _with_param({"$ref": "#/paths/~1users~1{id}/get/parameters/01"}),
        f"{OP}/parameters/0: $ref '#/paths/~1users~1{{id}}/get/parameters/01' does not resolve",
        id="leading-zero-index",
    ),
    pytest.param(
        _with_param({"$ref": "#/paths/~1users~1{id}/get/parameters/9"}),
        "does not resolve",
        id="index-out-of-range",
    ),
    pytest.param(
        _with_param({"$ref": "#"}),
        "/name: found null (expected the parameter name, a string)",
        id="ref-to-document-root",
    ),
    pytest.param(
        _with_param({"$ref": "#/openapi/x"}),
        "$ref '#/openapi/x' does not resolve",
        id="pointer-into-scalar",
    ),
]


@pytest.mark.parametrize(("document", "message"), MALFORMED)
def test_malformed_documents_name_the_pointer(
    tmp_path: Path, document: object, message: str
) -> None:
    # Given a malformed document on disk
    path = write(tmp_path, document)
    # When it is imported
    with pytest.raises(UsageError) as caught:
        load_openapi(path)
    # Then the message names the file, the JSON pointer and what was expected
    text = str(caught.value)
    assert text.startswith(f"{path}: ")
    if message.startswith(("/", "(")):
        assert text.startswith(f"{path}: {message}")
    else:
        assert message in text


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        pytest.param(
            "api.yaml",
            "openapi: 3.1.0\npaths:\n  /a:\n    get: [\n",
            "api.yaml:5:1: invalid YAML: while parsing a flow node: expected the node content, but "
            "found '<stream end>'",
            id="yaml-unclosed",
        ),
        pytest.param(
            "api.yaml",
            "openapi: 3.1.0\n  bad: indent\n",
            "api.yaml:2:6: invalid YAML: mapping values are not allowed here",
            id="yaml-indent",
        ),
        pytest.param(
            "api.yaml",
            "openapi: !!python/object:os.system 3\n",
            "api.yaml:1:10: invalid YAML: could not determine a constructor",
            id="yaml-unsafe-tag",
        ),
        pytest.param(
            "api.json",
            '{"openapi": "3.1.0",\n  "paths": {,}}',
            "api.json:2:13: invalid JSON: Expecting property name enclosed in double quotes",
            id="json-syntax",
        ),
        pytest.param(
            "api.txt",
            '  {"openapi": 3',
            "api.txt:1:16: invalid JSON: Expecting ',' delimiter",
            id="json-by-content",
        ),
        pytest.param(
            "api.json",
            "[" * 100_000,
            "api.json: invalid JSON: the document is nested too deeply",
            id="json-deep",
        ),
        pytest.param("api.yaml", "[" * 100_000, "api.yaml", id="yaml-deep"),
    ],
)
def test_syntax_errors_carry_line_and_column(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_openapi(path)
    assert str(caught.value).startswith(str(tmp_path / message))


def test_yaml_error_without_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> object:
        raise yaml.YAMLError("reader failed")

    monkeypatch.setattr(yaml, "safe_load", broken)
    path = tmp_path / "api.yaml"
    path.write_text("openapi: 3.1.0\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"api\.yaml: invalid YAML: reader failed$"):
        load_openapi(path)


def test_deep_yaml_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000)), encoding="utf-8")
    with pytest.raises(UsageError, match=r"deep\.yaml"):
        load_openapi(path)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        pytest.param("missing", "the file does not exist", id="missing"),
        pytest.param("directory", "is a directory (expected a file)", id="directory"),
        pytest.param("latin1", "is not UTF-8 text (bad byte at offset 9)", id="not-utf8"),
        pytest.param("unreadable", "cannot read the file", id="unreadable"),
    ],
)
def test_file_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: str, message: str
) -> None:
    path = tmp_path / "api.yaml"
    if setup == "directory":
        path.mkdir()
    elif setup == "latin1":
        path.write_bytes(b"openapi: \xe9")
    elif setup == "unreadable":
        path.write_text("x", encoding="utf-8")

        def refuse(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(UsageError) as caught:
        load_openapi(path)
    assert str(caught.value) == f"{path}: {message}" or str(caught.value).startswith(
        f"{path}: {message}"
    )
    with pytest.raises(UsageError):
        load_har(path)


# -- HAR -------------------------------------------------------------------------------------


def test_har_asset_targets() -> None:
    inventory = load_har(HAR)
    assert [(t.method, t.url, t.source) for t in inventory.targets] == [
        ("GET", f"{API}/v2/users?limit=20", "har:entries/5"),
        ("PATCH", f"{API}/v2/orders/1001", "har:entries/7"),
        ("POST", f"{API}/v2/search", "har:entries/8"),
        ("DELETE", f"{API}/v2/orders/1002", "har:entries/11"),
        ("GET", "https://partner.example.org/widgets/config?shop=acme", "har:entries/12"),
        ("GET", f"{API}/v2/public/catalog", "har:entries/13"),
    ]
    assert list(inventory.request_headers.values()) == [
        ("authorization",),  # folded preflight + actual; browser-added headers left out
        ("authorization", "content-type", "x-request-id"),
        ("x-csrf-token",),  # text/plain is simple; no preflight recorded
        ("authorization",),  # from the failed preflight alone
        (),
        (),
    ]
    assert inventory.origin_candidates == (APP, "https://widgets.acme-shop.example")
    assert inventory.credentials == ()
    assert inventory.credentials_by_origin == {}
    assert inventory.notes == (
        f"har:entries/11: preflight for DELETE {API}/v2/orders/1002 without a recorded actual "
        "request (the preflight probably failed); DELETE is audited",
        "2 same-origin request(s) not included (CORS does not apply)",
        "3 navigation(s) or no-cors load(s) (images, scripts, styles without an Origin header) "
        "not included",
        "2 non-http(s) request(s) (data:, blob:, ws:) not included",
        "the origins that made these requests are trusted-origin candidates only; add them to "
        "trusted_origins in the policy if the application really trusts them",
        "the HAR holds cookies or auth headers for 1 origin(s); they are not used without "
        "--har-credentials",
    )


def test_har_credentials_only_on_request() -> None:
    inventory = load_har(HAR, with_credentials=True)
    # The most recent value per name; never the same-origin app cookie.
    assert inventory.credentials_by_origin == {
        API: (
            ("authorization", "Bearer tokenB"),
            ("cookie", "sid=s2; cart=3"),
            ("x-csrf-token", "csrf-123"),
        )
    }
    # Two target origins: the flat list stays empty so api's cookie never reaches partner.
    assert inventory.credentials == ()
    assert inventory.notes[-1] == (
        "the HAR's targets are on 2 origins, so its credentials are given per origin only (one "
        "origin's cookies must not reach another)"
    )
    assert "tokenB" not in repr(inventory)
    assert all("tokenB" not in note and "s2" not in note for note in inventory.notes)


def har(*entries: dict[str, Any], pages: list[Any] | None = None) -> dict[str, Any]:
    log: dict[str, Any] = {"version": "1.2", "entries": list(entries)}
    if pages is not None:
        log["pages"] = pages
    return {"log": log}


def req(
    method: str,
    url: str,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    *,
    rtype: str | None = "fetch",
    pageref: str | None = None,
    started: str | None = None,
    cookies: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "request": {
            "method": method,
            "url": url,
            "headers": [{"name": n, "value": v} for n, v in headers],
            "cookies": [{"name": n, "value": v} for n, v in cookies],
        },
        "response": {"status": 200},
    }
    if rtype is not None:
        entry["_resourceType"] = rtype
    if pageref is not None:
        entry["pageref"] = pageref
    if started is not None:
        entry["startedDateTime"] = started
    return entry


PAGE = [{"id": "p", "title": "https://page.example/app"}]
U = "https://api.example/data"


@pytest.mark.parametrize(
    ("entry", "included"),
    [
        pytest.param(
            req("GET", U, [("Origin", "https://page.example")]), True, id="origin-differs"
        ),
        pytest.param(req("GET", U, [("Origin", "https://api.example")]), False, id="origin-same"),
        pytest.param(req("GET", U, [("Origin", "null")]), True, id="origin-null"),
        pytest.param(
            req("GET", U, [("Referer", "https://page.example/x")]), True, id="referer-differs"
        ),
        pytest.param(
            req("GET", U, [("Referer", "https://api.example/x")], pageref="p"),
            False,
            id="referer-same-wins-over-page",
        ),
        pytest.param(req("GET", U, pageref="p"), True, id="page-differs"),
        pytest.param(
            req("GET", U, [("Referer", "https://page.example:99999/")], pageref="p"),
            True,
            id="bad-referer-falls-back-to-page",
        ),
        pytest.param(req("GET", U, pageref="p", rtype="xhr"), True, id="xhr-page"),
        pytest.param(req("GET", U, pageref="p", rtype=None), True, id="no-resource-type"),
        pytest.param(req("GET", U, pageref="other"), False, id="unknown-page"),
        pytest.param(req("GET", U), False, id="no-initiator"),
        pytest.param(req("GET", U, pageref="p", rtype="image"), False, id="no-cors-image"),
        pytest.param(
            req("GET", U, [("Origin", "https://page.example")], rtype="font"), True, id="cors-font"
        ),
        pytest.param(
            req("POST", U, [("Origin", "https://page.example")], rtype="document"),
            False,
            id="form-navigation",
        ),
        pytest.param(
            req("GET", "blob:https://page.example/1", [("Origin", "https://page.example")]),
            False,
            id="blob",
        ),
        pytest.param(
            req("GET", "https://api.example:99999/", [("Origin", "https://page.example")]),
            False,
            id="bad-url",
        ),
        pytest.param(req("TRACE", U, [("Origin", "https://page.example")]), False, id="trace"),
        pytest.param(
            req("OPTIONS", U, [("Origin", "https://page.example")]), False, id="plain-options"
        ),
    ],
)
def test_har_cross_origin_detection(entry: dict[str, Any], included: bool) -> None:
    inventory = har_inventory(har(entry, pages=PAGE), "t.har")
    assert len(inventory.targets) == (1 if included else 0)


def test_har_skip_notes() -> None:
    inventory = har_inventory(
        har(
            req("TRACE", U, [("Origin", "https://page.example")]),
            req("OPTIONS", U, [("Origin", "https://page.example")]),
            req("GET", U),
            req(
                "OPTIONS",
                U,
                [("Origin", "https://page.example"), ("Access-Control-Request-Method", "TRACK")],
            ),
        ),
        "t.har",
    )
    assert inventory.notes == (
        "har:entries/0: HTTP method 'TRACE' cannot be sent by a browser (fetch() throws a "
        "TypeError for CONNECT, TRACE and TRACK); skipped",
        "har:entries/1: skipped: OPTIONS request that is not a preflight (the scan sends its own "
        "preflights to every target)",
        "har:entries/3 Access-Control-Request-Method: HTTP method 'TRACK' cannot be sent by a "
        "browser (fetch() throws a TypeError for CONNECT, TRACE and TRACK); skipped",
        "1 request(s) whose requesting origin cannot be told (no Origin, Referer or page) not "
        "included",
    )


def test_har_null_origin_is_no_candidate() -> None:
    inventory = har_inventory(har(req("GET", U, [("Origin", "null")])), "t.har")
    assert pairs(inventory) == [("GET", U)]
    assert inventory.origin_candidates == ()


def test_har_preflight_folds_into_actual_and_dedupes() -> None:
    o = ("Origin", "https://page.example")
    inventory = har_inventory(
        har(
            req(
                "OPTIONS",
                U,
                [
                    o,
                    ("Access-Control-Request-Method", "PUT"),
                    ("Access-Control-Request-Headers", "x-b,X-A, bad name"),
                ],
                rtype="preflight",
            ),
            req("PUT", U, [o, ("X-A", "1"), ("Content-Type", "text/plain")]),
            req("PUT", U, [o, ("X-C", "1"), (":path", "/data"), ("Cache-Control", "no-cache")]),
            req("GET", U, [o]),
        ),
        "t.har",
    )
    assert [(t.method, t.url, t.source) for t in inventory.targets] == [
        ("PUT", U, "har:entries/1"),
        ("GET", U, "har:entries/3"),
    ]
    assert inventory.request_headers == {("PUT", U): ("x-a", "x-b", "x-c"), ("GET", U): ()}
    assert inventory.notes == (
        "the origins that made these requests are trusted-origin candidates only; add them to "
        "trusted_origins in the policy if the application really trusts them",
    )


def test_har_credentials_most_recent_by_time_and_single_origin() -> None:
    o = ("Origin", "https://page.example")
    document = har(
        req("GET", U, [o, ("Authorization", "Bearer new")], started="2024-05-14T10:00:05Z"),
        req(
            "GET",
            U + "?x",
            [o, ("Authorization", "Bearer old"), ("X-Api-Key", "k1")],
            started="2024-05-14T10:00:01Z",
        ),
        req(
            "POST",
            U,
            [o, ("Proxy-Authorization", "p"), ("X-Trace", "t")],
            cookies=[("a", "1"), ("b", "2")],
        ),
        req("OPTIONS", U, [o, ("Access-Control-Request-Method", "POST"), ("Cookie", "pre=1")]),
    )
    without = har_inventory(document, "t.har")
    assert without.credentials == ()
    assert without.credentials_by_origin == {}
    with_ = har_inventory(document, "t.har", with_credentials=True)
    expected = (
        ("Authorization", "Bearer new"),
        ("Cookie", "a=1; b=2"),
        ("X-Api-Key", "k1"),
    )
    assert with_.credentials == expected
    assert with_.credentials_by_origin == {"https://api.example": expected}


def test_har_sanitized_export_note() -> None:
    inventory = har_inventory(
        har(req("GET", U, [("Origin", "https://page.example")])), "t.har", with_credentials=True
    )
    assert inventory.credentials == ()
    assert inventory.notes[-1] == (
        "--har-credentials: the HAR holds no cookies or auth headers (Chromium's 'Export HAR "
        "(sanitized)' drops them; export 'with sensitive data')"
    )


def test_har_pages_that_are_not_urls_are_ignored() -> None:
    pages = [{"id": "p", "title": "My App"}, {"id": 3}, "x", {"id": "q", "title": "ftp://a"}]
    inventory = har_inventory(
        har(req("GET", U, pageref="p"), req("GET", U, pageref="q"), pages=pages), "t.har"
    )
    assert inventory.targets == ()
    assert har_inventory(har(req("GET", U), pages="nope"), "t.har").targets == ()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            [],
            "t.har: /log: not a HAR file: there is no 'log' object (expected a browser DevTools "
            'HAR export: {"log": {"entries": [...]}})',
            id="root-list",
        ),
        pytest.param({"openapi": "3.1.0"}, "t.har: /log: not a HAR file", id="openapi"),
        pytest.param(
            {"log": {"version": "1.2"}},
            "t.har: /log/entries: not a HAR file: there is no 'entries' list",
            id="no-entries",
        ),
        pytest.param(
            {"log": {"entries": {}}}, "t.har: /log/entries: not a HAR file", id="entries-mapping"
        ),
        pytest.param(
            har("x"),  # type: ignore[arg-type]
            "t.har: /log/entries/0: found a string (expected a HAR entry object with a 'request')",
            id="entry-string",
        ),
        pytest.param(
            har({"response": {}}),
            "t.har: /log/entries/0/request: found null (expected a HAR request object)",
            id="no-request",
        ),
        pytest.param(
            har({"request": {"url": U}}),
            "t.har: /log/entries/0/request/method: found null (expected the HTTP method)",
            id="no-method",
        ),
        pytest.param(
            har({"request": {"method": "GET", "url": 5}}),
            "t.har: /log/entries/0/request/url: found a number (expected the request URL)",
            id="url-number",
        ),
        pytest.param(
            har({"request": {"method": "GET", "url": U, "headers": {"Origin": "x"}}}),
            "t.har: /log/entries/0/request/headers: found a mapping (expected a list of {name, "
            "value} objects)",
            id="headers-mapping",
        ),
        pytest.param(
            har({"request": {"method": "GET", "url": U, "headers": [["Origin", "x"]]}}),
            "t.har: /log/entries/0/request/headers/0: found a list (expected a {name, value} "
            "object)",
            id="header-list",
        ),
        pytest.param(
            har({"request": {"method": "GET", "url": U, "headers": [{"value": "x"}]}}),
            "t.har: /log/entries/0/request/headers/0/name: found null (expected a string)",
            id="header-no-name",
        ),
        pytest.param(
            har({"request": {"method": "GET", "url": U, "cookies": [{"name": "a", "value": 1}]}}),
            "t.har: /log/entries/0/request/cookies/0/value: found a number (expected a string)",
            id="cookie-value-number",
        ),
    ],
)
def test_not_a_har(document: object, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        har_inventory(document, "t.har")
    assert str(caught.value).startswith(message)


def test_har_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text('{"log": {"entries": [}\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"x\.har:1:22: invalid JSON: Expecting value"):
        load_har(path)
    path.write_text("log:\n  entries: []\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"x\.har:1:1: invalid JSON"):
        load_har(path)  # a HAR is JSON; YAML is not accepted


def test_har_bad_timestamps_sort_first(tmp_path: Path) -> None:
    o = ("Origin", "https://page.example")
    document = har(
        req("GET", U, [o, ("Authorization", "A")], started="2024-05-14T10:00:05Z"),
        req("GET", U, [o, ("Authorization", "B")], started="not a date"),
    )
    inventory = load_har(write(tmp_path, document, "t.har"), with_credentials=True)
    assert inventory.credentials == (("Authorization", "A"),)


# -- property: any JSON either loads or is a UsageError --------------------------------------

_KEYS = st.sampled_from(
    [
        "openapi",
        "swagger",
        "paths",
        "servers",
        "url",
        "variables",
        "default",
        "parameters",
        "name",
        "in",
        "required",
        "schema",
        "type",
        "format",
        "enum",
        "example",
        "examples",
        "$ref",
        "get",
        "post",
        "options",
        "trace",
        "patch",
        "security",
        "components",
        "securitySchemes",
        "requestBody",
        "content",
        "host",
        "basePath",
        "schemes",
        "/a/{id}",
        "/b",
        "id",
        "query",
        "header",
        "path",
        "items",
        "allOf",
        "value",
        "log",
        "entries",
        "request",
        "method",
        "headers",
        "cookies",
        "pages",
        "pageref",
        "title",
        "Origin",
        "_resourceType",
        "startedDateTime",
        "consumes",
        "x",
        "webhooks",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [
            "3.1.0",
            "2.0",
            "path",
            "query",
            "header",
            "body",
            "string",
            "integer",
            "uuid",
            "https://a.example.com/v1",
            "/v1",
            "{x}",
            "#/components",
            "#/paths/~1b",
            "GET",
            "OPTIONS",
            "https://o.example",
            "null",
            "apiKey",
            "http",
            "#",
            "#/x/0",
            "ws://w",
        ]
    )
    | st.text(max_size=8)
)
JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=40,
)


def _outcome(load: Callable[[], Inventory], prefix: str) -> bool:
    """True when ``load`` returns an inventory or raises a UsageError whose message names the
    file; any other exception propagates and fails the property."""
    try:
        inventory = load()
    except UsageError as exc:
        return str(exc).startswith(prefix)
    return isinstance(inventory, Inventory)


@given(document=JSON, base=st.sampled_from([None, "http://127.0.0.1:8000"]))
def test_any_json_loads_or_is_a_usage_error(document: object, base: str | None) -> None:
    for candidate in (document, {"openapi": "3.1.0", "paths": document}):
        assert _outcome(partial(openapi_inventory, candidate, "f.json", base), "f.json: ")


SHOP_DOCUMENT = yaml.safe_load(SHOP.read_text(encoding="utf-8"))
MUTATION_SPOTS = [
    ("paths", "/users"),
    ("paths", "/users/{userId}", "parameters"),
    ("paths", "/users/{userId}", "parameters", 0),
    ("paths", "/orders/{orderId}"),
    ("paths", "/orders", "post", "requestBody"),
    ("paths", "/products/{sku}/reviews", "post", "security"),
    ("components", "parameters", "UserId"),
    ("components", "parameters", "UserId", "schema"),
    ("components", "schemas", "UserId"),
    ("components", "securitySchemes", "bearerAuth"),
    ("components", "pathItems", "OrderItem", "get"),
    ("servers",),
    ("servers", 0, "variables"),
    ("security",),
]


@given(spot=st.sampled_from(MUTATION_SPOTS), mutation=JSON)
def test_openapi_mutations_load_or_are_usage_errors(
    spot: tuple[str | int, ...], mutation: object
) -> None:
    # Given the realistic document with one node replaced by arbitrary JSON
    variant = copy.deepcopy(SHOP_DOCUMENT)
    node = variant
    for step in spot[:-1]:
        node = node[step]
    node[spot[-1]] = mutation
    # Then it loads, or fails with a clean message
    assert _outcome(partial(openapi_inventory, variant, "f.yaml"), "f.yaml: ")


@given(document=JSON, entry=JSON)
def test_any_json_har_loads_or_is_a_usage_error(document: object, entry: object) -> None:
    for candidate in (document, {"log": {"entries": [entry]}}, {"log": document}):
        for credentials in (False, True):
            assert _outcome(
                partial(har_inventory, candidate, "f.har", with_credentials=credentials), "f.har: "
            )


# -- end to end: imported targets hit real paths on a loopback server ------------------------


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, paths: set[str]) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.known = paths
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _Recorder

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.command, self.path))
        status = 200 if self.path.split("?", 1)[0] in self.server.known else 404
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder(
        {
            "/notes/v1/notes",
            "/notes/v1/notes/17",
            "/notes/v1/notes/17/share",
            "/notes/v1/export",
        }
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_imported_targets_hit_real_paths(recorder: _Recorder) -> None:
    # Given the notes service on loopback and its OpenAPI document with a relative server
    host, port = recorder.server_address[:2]
    base_url = f"http://{host}:{port}"
    # When the document is imported against it and every target is requested
    inventory = load_openapi(NOTES, base_url)
    with httpx.Client(trust_env=False) as client:
        statuses = [client.request(t.method, t.url).status_code for t in inventory.targets]
    # Then every target exists on the server, with its filled path and required query
    assert statuses == [200] * 7
    assert recorder.seen == [
        ("GET", "/notes/v1/notes?notebook=inbox"),
        ("POST", "/notes/v1/notes"),
        ("GET", "/notes/v1/notes/17"),
        ("PUT", "/notes/v1/notes/17"),
        ("DELETE", "/notes/v1/notes/17"),
        ("POST", "/notes/v1/notes/17/share?with=friend%40example.com"),
        ("GET", "/notes/v1/export?format=md"),
    ]


# -- documents Python's parsers would choke on (issue 15, item 9) --------------------------------

HUGE = "7" * 5000


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        pytest.param(
            "api.json",
            '{"openapi": "3.0.0", "paths": {"/x": {"get": {"x-n": ' + HUGE + "}}}}",
            "api.json:1:",
            id="openapi-json",
        ),
        pytest.param(
            "api.yaml",
            "openapi: 3.0.0\npaths:\n  /x:\n    get:\n      x-n: " + HUGE + "\n",
            "api.yaml:5:12",
            id="openapi-yaml",
        ),
    ],
)
def test_openapi_numbers_beyond_the_digit_limit_name_their_place(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_openapi(path, "https://api.example.com")
    assert str(caught.value).startswith(str(tmp_path / where))
    assert "5000 digits" in str(caught.value)


def test_har_number_beyond_the_digit_limit_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "session.har"
    path.write_text('{"log": {"entries": [], "x": ' + HUGE + "}}", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_har(path)
    assert f"{path}:1:30: invalid JSON: a number with 5000 digits" in str(caught.value)


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        pytest.param(
            {"log": {"entries": [{"request": {"method": "GET", "url": "https://a.test/\ud800"}}]}},
            "/log/entries/0/request/url",
            id="value",
        ),
        pytest.param({"log": {"entries": [], "\udfff": 1}}, "/log", id="key"),
    ],
)
def test_har_lone_surrogates_are_refused_with_their_path(
    tmp_path: Path, document: dict[str, Any], pointer: str
) -> None:
    path = tmp_path / "session.har"
    path.write_text(json.dumps(document), encoding="utf-8")  # ensure_ascii: a \ud800 escape
    with pytest.raises(UsageError) as caught:
        load_har(path)
    assert f"{path}: {pointer}: invalid JSON: a string holds a lone surrogate" in str(caught.value)
