"""Stage 4, sending: the requests on the wire. Takes planned `Probe` requests; gives `Exchange`
records (request as sent, raw reply as received, or the failure with its reason) under the
concurrency, rate, scope, redirect and budget limits.

Modules: ``engine`` (the `Engine` and its one attempt path; the stage's public names), ``options``
(`EngineOptions`), ``recording`` (request heads, secrecy, records), ``limits`` (concurrency, rate,
retries, size limits), ``transports`` (httpx's transport and the `Fallback` composition),
``fast`` (aiohttp's transport, the default) and ``failures`` (errors as people can act on them).
"""
