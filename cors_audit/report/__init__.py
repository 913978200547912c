"""Stage 7, the report: the versioned model every format renders (``build``: the JSON contract,
redaction at output time, merge of shard reports), baselines (``baseline``), the comparison of two
reports (``diff``) and a policy drafted from a report (``drafting``). Takes target results; gives
a `Report`.
"""
