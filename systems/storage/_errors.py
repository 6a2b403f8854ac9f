"""Errors of the storage engines."""


class CorruptionError(Exception):
    """Stored bytes failed a checksum or a format check: the engine will not serve them."""


class TooLarge(ValueError):
    """A key or value is larger than the engine accepts (e.g. bigger than a page allows)."""
