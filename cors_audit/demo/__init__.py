"""The built-in demo lab: a deliberately misconfigured CORS server on loopback (``lab``), one
endpoint per behaviour, each with the rules it must trigger. ``cors-audit demo`` scans it; the
tests use it as a reference server.
"""
