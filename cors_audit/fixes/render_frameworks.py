"""Remediation snippets for the application frameworks outside Python: express ``cors``
(JavaScript), Spring ``CorsConfiguration`` (Java), ASP.NET Core CORS (C#) and Go ``rs/cors``.
"""

from __future__ import annotations

from typing import Final

from cors_audit.fixes.escaping import java_str, js_str
from cors_audit.fixes.plan import OriginPattern, Settings
from cors_audit.fixes.render import Line, Renderer, entry, integer, strs
from cors_audit.fixes.stack import Stack
from cors_audit.judging.rules import Setting


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


def _express(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    lines: list[Line] = [
        ('const cors = require("cors");', None),
        ("", None),
        ("const corsOptions = {", None),
    ]
    lines += [
        (entry("  ", f"{k}: ", v, ",", _js_value, "  "), _JS_SETTING[k])
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


def _java_list(values: list[str]) -> str:
    return "List.of(" + ", ".join(java_str(v) for v in values) + ")"


def _spring(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    lines: list[Line] = [
        ("@Bean", None),
        ("CorsConfigurationSource corsConfigurationSource() {", None),
        ("    CorsConfiguration config = new CorsConfiguration();", None),
        (
            f"    config.setAllowedOrigins({_java_list(strs(settings, 'allowedOrigins'))});",
            Setting.ORIGINS,
        ),
    ]
    patterns = strs(settings, "allowedOriginPatterns")
    if patterns:
        lines.append(
            (f"    config.setAllowedOriginPatterns({_java_list(patterns)});", Setting.ORIGINS)
        )
    credentials = "true" if settings["allowCredentials"] is True else "false"
    lines += [
        (f"    config.setAllowCredentials({credentials});", Setting.CREDENTIALS),
        (
            f"    config.setAllowedMethods({_java_list(strs(settings, 'allowedMethods'))});",
            Setting.METHODS,
        ),
        (
            f"    config.setAllowedHeaders({_java_list(strs(settings, 'allowedHeaders'))});",
            Setting.HEADERS,
        ),
    ]
    if "exposedHeaders" in settings:
        exposed = _java_list(strs(settings, "exposedHeaders"))
        lines.append((f"    config.setExposedHeaders({exposed});", Setting.EXPOSE))
    lines.append((f"    config.setMaxAge({integer(settings, 'maxAge')}L);", Setting.MAX_AGE))
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


def _aspnet(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    lines: list[Line] = [
        ('builder.Services.AddCors(options => options.AddPolicy("ApiCors", policy => policy', None),
        (f"    .WithOrigins({_cs_args(strs(settings, 'origins'))})", Setting.ORIGINS),
    ]
    if settings["wildcard_subdomains"] is True:
        lines.append(("    .SetIsOriginAllowedToAllowWildcardSubdomains()", Setting.ORIGINS))
    if settings["credentials"] is True:
        lines.append(("    .AllowCredentials()", Setting.CREDENTIALS))
    else:
        lines.append(("    .DisallowCredentials()", Setting.CREDENTIALS))
    lines.append((f"    .WithMethods({_cs_args(strs(settings, 'methods'))})", Setting.METHODS))
    headers = strs(settings, "headers")
    if headers:
        lines.append((f"    .WithHeaders({_cs_args(headers)})", Setting.HEADERS))
    if "exposed_headers" in settings:
        exposed = _cs_args(strs(settings, "exposed_headers"))
        lines.append((f"    .WithExposedHeaders({exposed})", Setting.EXPOSE))
    lines.append(
        (
            f"    .SetPreflightMaxAge(TimeSpan.FromSeconds({integer(settings, 'max_age')}))));",
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


def _rs_cors(settings: Settings, focus: tuple[Setting, ...]) -> list[Line]:
    credentials = "true" if settings["AllowCredentials"] is True else "false"
    lines: list[Line] = [
        ("c := cors.New(cors.Options{", None),
        (f"\tAllowedOrigins:   {_go_list(strs(settings, 'AllowedOrigins'))},", Setting.ORIGINS),
        (f"\tAllowCredentials: {credentials},", Setting.CREDENTIALS),
        (f"\tAllowedMethods:   {_go_list(strs(settings, 'AllowedMethods'))},", Setting.METHODS),
        (f"\tAllowedHeaders:   {_go_list(strs(settings, 'AllowedHeaders'))},", Setting.HEADERS),
    ]
    if "ExposedHeaders" in settings:
        exposed = _go_list(strs(settings, "ExposedHeaders"))
        lines.append((f"\tExposedHeaders:   {exposed},", Setting.EXPOSE))
    lines.append((f"\tMaxAge:           {integer(settings, 'MaxAge')},", Setting.MAX_AGE))
    if "AllowPrivateNetwork" in settings:
        lines.append(("\tAllowPrivateNetwork: false,", Setting.PRIVATE_NETWORK))
    lines += [("})", None), ("handler := c.Handler(mux)", None)]
    return lines


RENDERERS: Final[dict[str, Renderer]] = {
    Stack.EXPRESS: Renderer(
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
    Stack.SPRING: Renderer(
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
    Stack.ASPNETCORE: Renderer(
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
    Stack.RS_CORS: Renderer(
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
}
"""Framework stack → its renderer."""
