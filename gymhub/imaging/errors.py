"""Errors the imaging functions raise; the caller maps ``code`` to an HTTP status."""

from __future__ import annotations


class ImagingError(Exception):
    """A refused upload: ``code`` names the kind, ``message`` is a sentence fit for a client."""

    code: str = "invalid_file"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message: str = message

    def __reduce__(self) -> tuple[type[ImagingError], tuple[str]]:
        # Keeps the subclass and message intact across the process pool's pickling.
        return (type(self), (self.message,))


class UnsupportedType(ImagingError):
    """The content is not one of the accepted types (HTTP 415)."""

    code: str = "unsupported_type"


class InvalidFile(ImagingError):
    """The content claims an accepted type but is broken, truncated or too large (HTTP 422)."""

    code: str = "invalid_file"
