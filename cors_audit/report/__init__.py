"""Stage 7, the report: the versioned model every format renders (``model``: the JSON contract
and `ReportView`), built one target at a time and spooled to disk (``build``, ``spool``),
redaction at output time, merge of shard reports (``merge``), the compact form (``compact``),
baselines (``baseline``), the comparison of two reports (``diff``) and a policy drafted from a
report (``drafting``). Takes target results; gives a `Report` (spooled, for a scan).
"""
