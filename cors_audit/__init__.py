"""cors-audit: audit CORS configurations the way a browser (Chromium) judges them."""

__version__ = "0.1.0"
"""The package version; pyproject.toml reads it from here (a literal, so that start-up does not
pay for ``importlib.metadata``)."""

HOMEPAGE = "https://github.com/cors-audit/cors-audit"
"""The project page; README sections (one per rule id) are linked from SARIF and Markdown."""

__all__ = ["HOMEPAGE", "__version__"]
