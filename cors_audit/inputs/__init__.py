"""Stage 2, inputs: what to scan and what is intended. Takes command-line values, files, inventories
(OpenAPI, HAR) and the policy TOML; gives validated `Target` lists, the `Policy` with its
effective per-target view, request credentials and scan settings, each error naming the file,
line or key.
"""
