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

from collections import deque
from collections.abc import Iterator
from typing import Any, BinaryIO, Final, NoReturn

import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError

__all__ = ["TextRows", "parse_numbers"]

_BLOCK: Final = 4 << 20


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


class TextRows:
    """Non-empty lines of a text body, split into tokens, from the current position of `fp`."""

    def __init__(self, fp: BinaryIO, name: str, block: int = _BLOCK) -> None:
        self.fp = fp
        self.name = name
        self.block = block
        self._pending = b""
        self._ready: deque[list[bytes]] = deque()
        self._eof = False

    def _fill(self) -> bool:
        """Split the next block into rows; False at the end of the file."""
        while not self._ready:
            if self._eof:
                return False
            data = self.fp.read(self.block)
            if not data:
                self._eof = True
                lines = [self._pending]
                self._pending = b""
            else:
                data = self._pending + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    self._pending = data
                    continue
                lines = data[:cut].split(b"\n")
                self._pending = data[cut + 1:]
            self._ready.extend(tokens for tokens in map(bytes.split, lines) if tokens)
        return True

    def rows(self, count: int, width: int, what: str) -> Iterator[tuple[int, npt.NDArray[Any]]]:
        """Yield ``(first_row, tokens)`` blocks, ``tokens`` of shape ``(m, width)``, `count` rows.

        Raises
        ------
        MediaError
            A row has another number of values, or the file ends early.
        """
        done = 0
        while done < count:
            if not self._fill():
                _fail(self.name, f"truncated ascii data ({count} {what} rows expected, "
                                 f"{done} found)")
            take = min(count - done, len(self._ready))
            batch = [self._ready.popleft() for _ in range(take)]
            for index, tokens in enumerate(batch):
                if len(tokens) != width:
                    _fail(self.name, f"ascii {what} row {done + index + 1} has {len(tokens)} "
                                     f"values, not {width}")
            yield done, np.array(batch, dtype=np.bytes_).reshape(take, width)
            done += take

    def skip(self, count: int, what: str) -> None:
        """Skip `count` non-empty rows of any width (elements we do not read)."""
        done = 0
        while done < count:
            if not self._fill():
                _fail(self.name, f"truncated ascii data ({count} {what} rows expected, "
                                 f"{done} found)")
            take = min(count - done, len(self._ready))
            for _ in range(take):
                self._ready.popleft()
            done += take

    def has_more(self) -> bool:
        """Whether any non-blank text follows the rows read so far."""
        return self._fill()


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
