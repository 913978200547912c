"""Stage 0, the shared vocabulary: the data every stage passes on (targets, probes, exchanges,
findings, severities: ``models``), the errors and exit codes (``errors``), origins as browsers
serialize them (``origin``), text safe to show (``text``) and secret redaction (``redaction``).
Takes nothing from other stages; every stage takes from it.
"""
