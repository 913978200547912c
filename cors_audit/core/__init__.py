"""Stage 0, the shared vocabulary: the data every stage passes on (targets, probes, exchanges,
findings, severities: ``models``), the errors and exit codes (``errors``), the spellings on the
wire written once (``wire``: the CORS header names, default ports, the origin serializer), origins
parsed and normalized as browsers send them (``origin``), text safe to show (``text``) and secret
redaction (``redaction``).
Takes nothing from other stages; every stage takes from it.
"""
