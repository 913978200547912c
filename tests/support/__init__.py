"""Helpers shared by the test suite, imported as ``support.<module>``."""
