"""Stage 10, the application: one scan run from settings to report. Takes targets, a policy and
options; drives probing, sending and judging per target (``scan``) and gives target results to
the report stage.
"""
