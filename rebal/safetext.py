r"""Text that comes from data or from a user, made safe where it goes: a terminal, a spreadsheet, a number.

- **Invisible and control characters.** :func:`unsafe_char` finds the first character that a reader
  cannot see or that changes what the reader sees: C0 and C1 control characters (a newline forges a
  line, ``ESC [2J`` clears a terminal), DEL, the bidirectional controls (U+202E RIGHT-TO-LEFT
  OVERRIDE shows ``cod.exe`` for ``exe.doc``; U+200E/U+200F marks, U+061C, U+2066..U+2069 isolates),
  the zero-width characters (U+200B..U+200D, U+2060, U+FEFF, U+180E: two names that look equal but
  are not) and the line and paragraph separators U+2028/U+2029. Inputs refuse them
  (:func:`check_text`); :func:`visible` rewrites them as ``\x1b`` / ``<U+202E>`` where such text
  is shown (the CLI's output streams, :mod:`rebal.cli.terminal`).
- **Cells of a CSV file** (:func:`neutralise_cell`, :func:`neutralise_frame`). A spreadsheet runs a
  cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
  (``=cmd|' /C calc'!A0``). Following the OWASP guidance on CSV injection, such a *text* cell gets a
  leading apostrophe, which spreadsheets show as text and do not evaluate; numbers (a float column,
  or a text cell that is a plain decimal number such as ``-0.05``) are left as they are.
- **Numbers written as text** (:func:`ascii_float`, :func:`ascii_int`): Python's ``float`` and
  ``int`` accept any Unicode decimal digit (``float("０.05") == 0.05``, fullwidth), so a value that
  reads as one number to the user may be another to the program; only ASCII digits are accepted.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["unsafe_char", "describe_char", "check_text", "visible", "neutralise_cell", "neutralise_frame",
           "ascii_float", "ascii_int", "FORMULA_PREFIXES"]

_INVISIBLE = ("\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
              "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
#: control characters (C0, DEL, C1) and the invisible or direction-changing characters above
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_INVISIBLE}]")
#: the same without newline and tab (text of several lines, as a whole report or message)
_UNSAFE_KEEP_LINES = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_INVISIBLE}]")
_C_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: a cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?", re.ASCII)
_ASCII_FLOAT = re.compile(r"\s*[+-]?(?:[0-9]+(?:_?[0-9])*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"
                          r"|\s*[+-]?(?:inf|infinity|nan)\s*", re.ASCII | re.IGNORECASE)
_ASCII_INT = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def describe_char(ch: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named for a reader who cannot see it."""
    name = unicodedata.name(ch, "")
    if not name:
        name = {"\n": "newline", "\r": "carriage return", "\t": "tab", "\x1b": "escape",
                "\x7f": "delete"}.get(ch, "control character")
    return f"U+{ord(ch):04X} ({name})"


def unsafe_char(text: str, *, allow_newlines: bool = False) -> str | None:
    """Return the first control, invisible or direction-changing character of ``text`` (see above), else None."""
    m = (_UNSAFE_KEEP_LINES if allow_newlines else _UNSAFE).search(text)
    return m.group(0) if m else None


def check_text(text: str, what: str, *, max_chars: int | None = None, allow_newlines: bool = False) -> str:
    """Return ``text``, or raise ``ValueError`` naming ``what`` and the first unsafe character (or the length).

    The message is the reason only (``--note holds U+001B (escape)``); callers add the file or flag.
    """
    ch = unsafe_char(text, allow_newlines=allow_newlines)
    if ch is not None:
        raise ValueError(f"{what} holds {describe_char(ch)}, a control or invisible character; write plain text")
    if max_chars is not None and len(text) > max_chars:
        raise ValueError(f"{what} is longer than {max_chars:,} characters ({len(text):,})")
    return text


def _show(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _C_ESCAPES:
        return _C_ESCAPES[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0xA0 else f"<U+{ord(ch):04X}>"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    r"""Rewrite the unsafe characters of ``text`` as visible escapes: ``\x1b``, ``\n``, ``<U+202E>``.

    ``keep_newlines`` leaves newlines and tabs alone (a whole block of output, not one field of it).
    """
    return (_UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE).sub(_show, text)


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` as a spreadsheet shows it as text: a text cell starting like a formula gets a leading ``'``.

    Non-text values and text that is a plain decimal number (``-0.05``, ``+3``, ``-1.5e3``, ``-12%``) are
    returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES) or _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_frame(df):
    """Return a copy of the DataFrame ``df`` whose text cells, column names and index labels are neutralised.

    Numeric columns are untouched, so a negative number stays a number in the spreadsheet.
    """
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype) or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(neutralise_cell)
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index):
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise_cell(v) for v in t) for t in index],
                                         names=[neutralise_cell(n) for n in index.names])
    if index.dtype == object or isinstance(index.dtype, pd.StringDtype):
        return pd.Index([neutralise_cell(v) for v in index], name=neutralise_cell(index.name), dtype=object)
    return index.rename(neutralise_cell(index.name))


def ascii_float(text: str, what: str) -> float:
    """Parse ``text`` as a float written with ASCII digits only; raise ``ValueError`` naming ``what`` otherwise.

    ``float()`` alone would read ``"０.05"`` (fullwidth digits) or ``"٠٫٥"`` as numbers.
    """
    if not isinstance(text, str) or not _ASCII_FLOAT.fullmatch(text):
        digit = next((c for c in str(text) if c.isdigit() and not c.isascii()), None)
        why = f" (it holds the non-ASCII digit {describe_char(digit)}; write ASCII digits 0-9)" if digit else ""
        raise ValueError(f"{what}: {str(text)[:60]!r} is not a number{why}")
    return float(text)


def ascii_int(text: str, what: str) -> int:
    """Parse ``text`` as an integer written with ASCII digits only; raise ``ValueError`` naming ``what`` otherwise."""
    if not isinstance(text, str) or not _ASCII_INT.fullmatch(text):
        digit = next((c for c in str(text) if c.isdigit() and not c.isascii()), None)
        why = f" (it holds the non-ASCII digit {describe_char(digit)}; write ASCII digits 0-9)" if digit else ""
        raise ValueError(f"{what}: {str(text)[:60]!r} is not a whole number{why}")
    return int(text)
