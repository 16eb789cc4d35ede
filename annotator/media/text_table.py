"""Whitespace-separated rows of numbers (ascii PCD and PLY bodies), read in blocks.

:class:`TextRows` hands out rows as 2-D arrays of byte-string tokens, a few
megabytes at a time, and insists that every non-empty row has exactly the
expected number of values: a short or long row would shift every value after
it into the wrong field, so it is an error that names the row, never a
silently wrong cloud.  :func:`parse_numbers` converts a column of tokens to a
numpy type with range checks (numpy's own parsers, no Python loop per value).

>>> import io
>>> rows = TextRows(io.BytesIO(b"1 2\\n\\n3 4\\n5 6\\n"), "t.pcd")
>>> [block.tolist() for _, block in rows.rows(2, 2, "point")]
[[[b'1', b'2'], [b'3', b'4']]]
>>> parse_numbers(np.array([b"7", b"255"]), np.dtype(np.uint8), "t.pcd", "red").tolist()
[7, 255]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO, Final, NoReturn

import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError

__all__ = ["TextRows", "parse_numbers"]

_BLOCK: Final = 4 << 20


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


_WHITESPACE: Final = np.zeros(256, dtype=bool)
_WHITESPACE[list(b" \t\n\r\x0b\x0c")] = True  # what bytes.split() splits on


def _line_tokens(block: bytes) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Tokens on each non-empty line of `block` (which ends with a newline), and where each ends.

    Vectorised: a token starts at a non-space byte after a space; its line is
    the first newline at or after it.
    """
    raw = np.frombuffer(block, dtype=np.uint8)
    space = _WHITESPACE[raw]
    starts = ~space
    starts[1:] &= space[:-1]
    newlines = np.flatnonzero(raw == 10)
    counts = np.bincount(np.searchsorted(newlines, np.flatnonzero(starts)),
                         minlength=len(newlines))
    filled = np.flatnonzero(counts)
    return counts[filled], newlines[filled] + 1


class TextRows:
    """Non-empty lines of a text body, split into tokens, from the current position of `fp`."""

    def __init__(self, fp: BinaryIO, name: str, block: int = _BLOCK) -> None:
        self.fp = fp
        self.name = name
        self.block = block
        self._buffer = b""
        self._eof = False

    def _next_block(self) -> bytes | None:
        """Whole lines (a few megabytes, ending with a newline); None at the end of the file."""
        while True:
            cut = self._buffer.rfind(b"\n")
            if cut >= 0 and (len(self._buffer) >= self.block or self._eof):
                block, self._buffer = self._buffer[:cut + 1], self._buffer[cut + 1:]
                return block
            if self._eof:
                block, self._buffer = self._buffer, b""
                return block + b"\n" if block.strip() else None
            data = self.fp.read(self.block)
            if data:
                self._buffer += data
            else:
                self._eof = True

    def _lines(self, count: int, what: str) -> Iterator[tuple[bytes, npt.NDArray[np.intp]]]:
        """Blocks holding the next `count` non-empty lines, with each line's token count."""
        done = 0
        while done < count:
            block = self._next_block()
            if block is None:
                _fail(self.name, f"truncated ascii data ({count} {what} rows expected, "
                                 f"{done} found)")
            counts, ends = _line_tokens(block)
            take = min(count - done, len(counts))
            if take < len(counts):  # the rest belongs to what follows
                cut = int(ends[take - 1]) if take else 0
                self._buffer = block[cut:] + self._buffer
                block, counts = block[:cut], counts[:take]
            if take:
                yield block, counts
            done += take

    def rows(self, count: int, width: int, what: str) -> Iterator[tuple[int, npt.NDArray[Any]]]:
        """Yield ``(first_row, tokens)`` blocks, ``tokens`` of shape ``(m, width)``, `count` rows.

        Raises
        ------
        MediaError
            A row has another number of values, or the file ends early.
        """
        done = 0
        for block, counts in self._lines(count, what):
            wrong = np.flatnonzero(counts != width)
            if wrong.size:
                row = int(wrong[0])
                _fail(self.name, f"ascii {what} row {done + row + 1} has {int(counts[row])} "
                                 f"values, not {width}")
            tokens = np.array(block.split(), dtype=np.bytes_).reshape(len(counts), width)
            yield done, tokens
            done += len(counts)

    def skip(self, count: int, what: str) -> None:
        """Skip `count` non-empty rows of any width (elements we do not read)."""
        for _ in self._lines(count, what):
            pass

    def has_more(self) -> bool:
        """Whether any non-blank text follows the rows read so far."""
        while (block := self._next_block()) is not None:
            if block.strip():
                self._buffer = block + self._buffer
                return True
        return False


def parse_numbers(
    tokens: npt.NDArray[Any], dtype: np.dtype[Any], name: str, what: str
) -> npt.NDArray[Any]:
    """Convert byte-string `tokens` to `dtype`, refusing non-numbers and out-of-range values.

    Floats go through float64 (exact for float32: double rounding is harmless
    when the wide type has more than twice the bits).  Integers are parsed as
    64-bit integers; an integer column written as ``5.0`` is accepted when
    every value is whole.
    """
    if dtype.kind == "f":
        try:
            return tokens.astype(np.float64).astype(dtype)
        except ValueError:
            _bad_token(tokens, float, name, what)
    wide = np.dtype(np.uint64) if dtype.kind == "u" and dtype.itemsize == 8 else np.dtype(
        np.int64)
    try:
        values = tokens.astype(wide)
    except (ValueError, OverflowError):
        values = _whole_floats(tokens, wide, name, what)
    info = np.iinfo(dtype)
    if values.size and (values.min() < info.min or values.max() > info.max):
        bad = values[(values < info.min) | (values > info.max)].flat[0]
        _fail(name, f"ascii {what} value {bad} does not fit {dtype.name}")
    return values.astype(dtype)


def _whole_floats(
    tokens: npt.NDArray[Any], wide: np.dtype[Any], name: str, what: str
) -> npt.NDArray[Any]:
    try:
        floats = tokens.astype(np.float64)
    except ValueError:
        _bad_token(tokens, int, name, what)
    info = np.iinfo(wide)
    whole = (np.isfinite(floats) & (floats == np.round(floats))
             & (floats >= float(info.min)) & (floats < float(info.max)))
    if not whole.all():
        bad = tokens[~whole].flat[0]
        _fail(name, f"ascii {what} value {bad.decode('latin-1')[:40]!r} is not a whole number "
                    f"that fits {wide.name}")
    return floats.astype(wide)


def _bad_token(tokens: npt.NDArray[Any], kind: type, name: str, what: str) -> NoReturn:
    for token in tokens.flat:
        try:
            kind(token)
        except (ValueError, OverflowError):
            _fail(name, f"ascii {what} value {token.decode('latin-1')[:40]!r} is not a number")
    _fail(name, f"ascii {what} values are not numbers")
