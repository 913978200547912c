"""Stage 1, the browser model: what Chromium decides about a reply (the CORS check, the preflight,
exposed headers, private-network access, the preflight and HTTP caches, a whole simulated fetch).
Takes header lists and request facts; gives verdicts. The planner, the rules and the verifier ask
it; ``tests/browser`` replays its vectors in a real Chromium. ``BROWSER-MODEL.md`` beside it says
what it decides and why, with the Fetch sections and Chromium source files it follows.
"""
