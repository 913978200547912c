"""Stage 10, the application: what a command does, from resolved settings to written files.

``configure`` turns the command line's values into a `RunRequest` (``settings`` is the settings
table with one row per report format, and the precedence of values); ``run`` carries a request
out: ``collect`` the targets and credentials, keep a shard, ``scan`` every target (probing,
sending and judging; ``plan`` instead for a dry run), build, verify and redact the report and
write every output (``outputs``; ``interrupt`` for Ctrl-C and SIGTERM). ``reports`` serves the
commands on reports already written (merge, diff, baseline, init) and ``lab`` the demo. Progress
and warnings go to an `Observer` (``request``) that the command line draws.
"""
