"""cors-audit: audit CORS configurations the way a browser (Chromium) judges them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cors-audit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

HOMEPAGE = "https://github.com/cors-audit/cors-audit"
"""The project page; README sections (one per rule id) are linked from SARIF and Markdown."""

__all__ = ["HOMEPAGE", "__version__"]
