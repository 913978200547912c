"""cors-audit: audit CORS configurations the way a browser (Chromium) judges them.

The subpackages are the stages of the pipeline, in the order data flows through them (README
"Architecture"); a stage imports only the stages before it (``tests/test_architecture.py``):

1. ``core``      the shared vocabulary: models, errors, origins, safe text, redaction
2. ``browser``   the browser model: what Chromium decides about a reply
3. ``inputs``    policy, settings, targets and inventory sources, credentials
4. ``probing``   probe origins and the round-by-round planner
5. ``sending``   the engine: requests on the wire, exchanges back
6. ``judging``   rules, the observed summary, scoring
7. ``fixes``     stack detection and remediation
8. ``report``    the report model, merge, baselines, diff, drafting
9. ``formats``   JSON, HTML, SARIF, JUnit, Markdown, console
10. ``verify``   findings replayed in a real Chromium
11. ``app``      one run, from settings to report
12. ``demo``     the built-in misconfigured lab
13. ``cli``      arguments in, terminal out
"""

__version__ = "0.1.0"
"""The package version; pyproject.toml reads it from here (a literal, so that start-up does not
pay for ``importlib.metadata``)."""

HOMEPAGE = "https://github.com/cors-audit/cors-audit"
"""The project page; README sections (one per rule id) are linked from SARIF and Markdown."""

__all__ = ["HOMEPAGE", "__version__"]
