"""Query parameters and multipart form fields: one declaration reads them and documents them.

A handler reads a parameter through the same object it passes to `documented`, so what
/api/openapi.json says (type, range, allowed values, required) is what the server enforces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from gymhub.errors import InvalidRequest

if TYPE_CHECKING:
    # Annotations only: the CLI reads schemas without loading aiohttp.
    from aiohttp import web

# Larger values would overflow SQLite's 64-bit integers inside the driver.
MAX_INT = 2**62
_INTEGER = re.compile(r"-?[0-9]{1,19}")


def query_text(request: web.Request, name: str) -> str | None:
    """The raw value of a query parameter given at most once, or None when it is absent.

    A repeated parameter is refused rather than resolved: `?limit=1&limit=500` has no single
    meaning, and silently taking one of them hides the client's mistake.
    """
    values = request.query.getall(name, [])
    if not values:
        return None
    if len(values) > 1:
        raise InvalidRequest(f"{name}: given {len(values)} times; give it once.")
    return values[0]


T = TypeVar("T")


class _Param(Generic[T]):
    """What every parameter shares: read it (None when absent), or get it (a 400 when absent)."""

    name: str
    required: bool

    def read(self, request: web.Request) -> T | None:
        raise NotImplementedError

    def raw(self, request: web.Request) -> str | None:
        """The text given once, or None when absent (a 400 when required)."""
        text = query_text(request, self.name)
        if text is None and self.required:
            raise self.missing()
        return text

    def missing(self) -> InvalidRequest:
        """The 400 for the parameter left out."""
        return InvalidRequest(f"{self.name}: required.")

    def get(self, request: web.Request) -> T:
        """The parameter (or its default); a 400 when there is none."""
        value = self.read(request)
        if value is None:
            raise self.missing()
        return value


@dataclass(frozen=True)
class IntParam(_Param[int]):
    """An integer in [low, high]; `default` is used when it is absent."""

    name: str
    description: str
    low: int = 0
    high: int = MAX_INT
    default: int | None = None
    required: bool = False

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer", "minimum": self.low, "maximum": self.high}
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def parse(self, raw: str) -> int:
        """The value of one given text (a query value or a form field), or a 400 naming it."""
        if not _INTEGER.fullmatch(raw):
            raise InvalidRequest(f"{self.name}: must be an integer.")
        value = int(raw)
        if not self.low <= value <= self.high:
            raise InvalidRequest(f"{self.name}: must be between {self.low} and {self.high}.")
        return value

    def read(self, request: web.Request) -> int | None:
        """The parameter, its default, or None (a 400 when required and absent)."""
        raw = self.raw(request)
        return self.default if raw is None else self.parse(raw)


@dataclass(frozen=True)
class StrParam(_Param[str]):
    """A string, optionally one of `choices` or matching `pattern` (the whole value)."""

    name: str
    description: str
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_text: str = ""
    required: bool = False

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.pattern is not None:
            schema["pattern"] = f"^(?:{self.pattern})$"
        return schema

    def read(self, request: web.Request) -> str | None:
        """The parameter or None (a 400 when required and absent, or not an allowed value)."""
        raw = self.raw(request)
        return None if raw is None else self.parse(raw)

    def parse(self, raw: str) -> str:
        """The value if allowed, else a 400 naming the parameter."""
        if self.choices and raw not in self.choices:
            raise InvalidRequest(f"{self.name}: must be{self._allowed(' ')}.")
        if self.pattern is not None and not re.fullmatch(self.pattern, raw):
            raise InvalidRequest(f"{self.name}: must be {self.pattern_text or 'well-formed'}.")
        return raw

    def missing(self) -> InvalidRequest:
        return InvalidRequest(f"{self.name}: required{self._allowed(', ')}.")

    def _allowed(self, lead: str) -> str:
        return f"{lead}one of {', '.join(self.choices)}" if self.choices else ""


FLAG_TRUE = ("1", "true", "yes")
FLAG_FALSE = ("0", "false", "no")


@dataclass(frozen=True)
class FlagParam:
    """A yes/no switch: 1, true or yes; 0, false or no; absent is no."""

    name: str
    description: str
    required: ClassVar[bool] = False

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [*FLAG_TRUE, *FLAG_FALSE], "default": "0"}

    def read(self, request: web.Request) -> bool:
        raw = query_text(request, self.name)
        if raw is None or raw in FLAG_FALSE:
            return False
        if raw in FLAG_TRUE:
            return True
        raise InvalidRequest(f"{self.name}: must be one of {', '.join(FLAG_TRUE + FLAG_FALSE)}.")


QueryParam = IntParam | StrParam | FlagParam


@dataclass(frozen=True)
class FormBody:
    """A multipart/form-data body: one binary part and optional fields."""

    file: str
    fields: tuple[IntParam | StrParam, ...] = ()

    def schema(self) -> dict[str, Any]:
        properties: dict[str, Any] = {
            self.file: {
                "type": "string",
                "format": "binary",
                "contentMediaType": "application/octet-stream",
            }
        }
        for field in self.fields:
            properties[field.name] = {**field.schema(), "description": field.description}
        return {"type": "object", "required": [self.file], "properties": properties}
