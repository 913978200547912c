"""The demo lab's intended CORS policy: the origin browsers attribute to the lab, the origins it
trusts, and the policy file the scan judges it against (README "Policy file"). Every endpoint of
the lab (``endpoints.py``) serves the trusted origins this way unless that is the bug it shows.
"""

from __future__ import annotations

from typing import Final

DEMO_SITE_ORIGIN: Final = "https://api.example.com"
"""The origin browsers attribute to the lab (``--site-origin``): probes derive from it."""

TRUSTED_ORIGINS: Final = ("https://app.example.com", "https://admin.example.com")
"""The origins the demo policy trusts."""

DEMO_POLICY_TOML: Final = """\
# The intended CORS policy of the cors-audit demo lab (cors_audit/demo/policy.py).
trusted_origins = ["https://app.example.com", "https://admin.example.com"]
allow_credentials = true
allowed_methods = ["GET", "POST", "PATCH"]
allowed_headers = ["Content-Type", "Authorization", "X-Api-Key"]
max_age = { min = 600, max = 86400 }
public = false

[[override]]                # the product catalogue: anyone may read it, without cookies
match = "*/public/*"
public = true
allowed_methods = ["GET"]
allow_credentials = false

[[override]]                # anonymous (cookie-less) but not public endpoints
match = "*/anon/*"
allow_credentials = false
"""
"""The policy the lab is judged against (README "Policy file")."""

POLICY_METHODS: Final = "GET, POST, PATCH"
"""The policy's methods as a correct Access-Control-Allow-Methods lists them."""
POLICY_HEADERS: Final = "Content-Type, Authorization, X-Api-Key"
"""The policy's request headers as a correct Access-Control-Allow-Headers lists them."""
MAX_AGE: Final = "600"
"""A correct Access-Control-Max-Age: the policy's minimum."""
