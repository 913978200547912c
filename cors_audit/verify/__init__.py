"""Stage 9, verification: findings replayed in a real headless Chromium. Takes a `Report`; gives it
back with each finding's verification (confirmed, not reproduced, skipped and why).

Modules: ``plan`` (what to replay for a finding, pure), ``replay`` (run the plans in Chromium and
judge what it did; ``verify_findings`` is the entry point) and ``chromium`` (the one Chromium
driver: finding the binary, launching it, resolver rules, pages, DevTools network events; the
test suites that drive Chromium use it too).
"""
