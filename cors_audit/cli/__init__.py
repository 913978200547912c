"""Stage 12, the command line: parses arguments and draws the terminal (typer, rich). It owns no
scan logic.
"""
