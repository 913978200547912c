"""cors-audit: audit CORS configurations the way a browser (Chromium) judges them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cors-audit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
