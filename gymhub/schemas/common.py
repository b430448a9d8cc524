"""Decoding request bodies into Structs, encoding responses, and OpenAPI annotations."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from gymhub.errors import InvalidRequest
from gymhub.schemas import text
from gymhub.schemas.query import FormBody, QueryParam

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

JSON_BODY_LIMIT = 1024 * 1024
encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


_MISSING = re.compile(r"Object missing required field `(.+)`")
_REGEX = re.compile(r"Expected `str` matching regex ('.*'|\".*\")", re.DOTALL)


def _field_message(err: msgspec.ValidationError) -> str:
    # msgspec says "... - at `$.field`", or names a missing field inside its sentence; the API
    # starts the message with the field.
    detail, at, where = str(err).partition(" - at `$")
    path = where.rstrip("`").removeprefix(".") if at else ""
    missing = _MISSING.fullmatch(detail)
    if missing is not None:
        field = missing[1] if not path else f"{path}.{missing[1]}"
        return f"{field}: required."
    regex = _REGEX.fullmatch(detail)
    if regex is not None:
        # A regex means nothing to the person reading the message: the sentence it stands for.
        sentence = text.SENTENCES.get(ast.literal_eval(regex[1]), "is not in the expected form")
        return f"{path}: {sentence}." if path else f"The value {sentence}."
    return f"{path}: {detail}" if path else detail


MAX_DEPTH = 32
# A JSON string, escapes included: what it holds does not nest.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def _nesting(depth: int) -> re.Pattern[bytes]:
    # Brackets balanced to at most `depth` levels; possessive, so it never backtracks.
    level = b""
    for _ in range(depth):
        level = rb"(?:[\[{]" + level + rb"[\]}])*+"
    return re.compile(level)


_WITHIN_DEPTH = _nesting(MAX_DEPTH)


def too_deep(body: bytes) -> bool:
    """Whether JSON may nest arrays and objects deeper than MAX_DEPTH levels: False when its
    brackets (outside strings) balance within that depth.

    msgspec recurses per level (1,000 levels raised RecursionError, a 500). One linear pass in
    C, skipped for bodies with few brackets. True also for brackets left unclosed, so the
    caller lets the decoder tell malformed JSON from deep JSON.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return _WITHIN_DEPTH.fullmatch(brackets) is None


_DEEP = f"The JSON is nested deeper than {MAX_DEPTH} levels."


def decode(body: bytes, kind: type[T]) -> T:
    """Decode and validate JSON into kind, or raise a 400 naming the field."""
    deep = too_deep(body)
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        value = decoder.decode(body)
    except msgspec.ValidationError as err:
        raise InvalidRequest(_DEEP if deep else _field_message(err)) from None
    except msgspec.DecodeError as err:
        # msgspec 0.23 reports a bad byte inside a string as a DecodeError, older ones as below.
        if "UTF-8" in str(err):
            raise InvalidRequest("The body is not valid UTF-8.") from None
        raise InvalidRequest("The body is not valid JSON.") from None
    except RecursionError:
        raise InvalidRequest(_DEEP) from None
    except UnicodeDecodeError:
        # msgspec reports a bad byte inside a string this way rather than as a DecodeError.
        raise InvalidRequest("The body is not valid UTF-8.") from None
    if deep:
        raise InvalidRequest(_DEEP)
    return value


class Patch(msgspec.Struct, kw_only=True):
    """A PATCH body: a field left out stays as it is (UNSET), null clears a nullable one."""

    def given(self) -> dict[str, Any]:
        """The fields the body named, with their values (None where it said null)."""
        return {
            name: value
            for name in self.__struct_fields__
            if (value := getattr(self, name)) is not msgspec.UNSET
        }


@dataclass(frozen=True)
class Doc:
    """What the OpenAPI document says of one handler."""

    summary: str
    request: Any = None
    response: Any = None
    status: int = 200
    query: tuple[QueryParam, ...] = ()
    auth: bool = True
    form: FormBody | None = None
    # Read off the handler (IDEMPOTENT_ATTR) when the document is built.
    idempotent: bool = False


DOC_ATTR = "__gymhub_doc__"
# Set on a handler that honours the Idempotency-Key header (web/idempotency.py).
IDEMPOTENT_ATTR = "__gymhub_idempotent__"


def documented(
    summary: str,
    *,
    request: Any = None,
    response: Any = None,
    status: int = 200,
    query: Sequence[QueryParam] = (),
    auth: bool = True,
    form: FormBody | None = None,
) -> Callable[[F], F]:
    """Attach the request and response types of a handler for /api/openapi.json.

    `query` takes the parameter declarations the handler reads with.
    """
    params = tuple(query)

    def mark(fn: F) -> F:
        setattr(fn, DOC_ATTR, Doc(summary, request, response, status, params, auth, form))
        return fn

    return mark
