"""Stage 6, fixes: which stack answered (``stack``: server and framework fingerprints) and the
remediation snippets for it (``remediation``). Takes exchanges and findings; gives fix text per
(rule, stack, policy).
"""
