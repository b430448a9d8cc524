"""Constrained strings shared by every request Struct, and the sentence each pattern stands for.

Control characters are refused where text is stored: a NUL or an escape sequence in a message
would reach every screen and log that shows it. Single-line fields (names, titles) allow tab and
line feed only; multi-line fields (message bodies, notes) also allow carriage return, which
textarea form submissions send. Passwords are exempt: they are hashed, never stored or shown.
"""

from __future__ import annotations

from msgspec import Meta

# The sentence a 400 says for a value that does not match the pattern (msgspec would quote the
# regex), keyed by the pattern.
SENTENCES: dict[str, str] = {}


def pattern(regex: str, sentence: str) -> Meta:
    """A Meta constraining a string to `regex`; a mismatch is reported as `field: sentence.`"""
    SENTENCES[regex] = sentence
    return Meta(pattern=regex, description=sentence)


# `$` alone also matches before a final line feed; `(?!\n)` makes it the true end (in Python
# and in the ECMA-262 regex of JSON Schema alike).
END = r"$(?!\n)"
LINE = pattern(
    r"^[^\x00-\x08\x0b-\x1f]*$",
    "must not contain control characters other than tab and line feed",
)
MULTILINE = pattern(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$",
    "must not contain control characters other than tab, line feed and carriage return",
)
NO_CONTROLS = pattern(
    r"^[^\x00-\x1f\x7f]*" + END, "must not contain control characters or line breaks"
)
