"""The built-in demo lab: a deliberately misconfigured CORS server on loopback (``lab``), one
endpoint per behaviour (``endpoints``), each expected to trigger the rules that name it (every
rule names its demo endpoints, ``judging/rules``). ``cors-audit demo`` scans it; the tests use it
as a reference server.
"""
