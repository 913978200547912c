"""Stage 9, verification: findings replayed in a real headless Chromium. Takes a `Report`; gives it
back with each finding's verification (confirmed, not reproduced, skipped and why).
"""
