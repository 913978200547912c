"""``python -m cors_audit``: the same as the ``cors-audit`` console script."""

from cors_audit.cli.main import main

if __name__ == "__main__":  # pragma: no cover
    main()
