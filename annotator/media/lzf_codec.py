"""LZF blocks for binary_compressed PCD, through the C liblzf that python-lzf ships.

python-lzf's ``lzf.decompress`` unpacks into a scratch buffer and then copies
into a new ``bytes`` (twice the output in memory, with the GIL held), and
``lzf.compress`` wants a ``bytes`` input.  The extension module exports
liblzf's own ``lzf_compress`` / ``lzf_decompress`` symbols, so when they are
there we call them through ctypes: decompression goes straight into a numpy
buffer, compression reads numpy buffers in place, and ctypes releases the GIL
so pieces compress on several cores.  If a python-lzf build hides the
symbols, the module functions are used instead (same results, more memory).

Pieces: an LZF stream has no header and no end mark, and a back-reference
never reaches before the start of the input it was made from, so pieces
compressed independently and concatenated decompress to the concatenated
input (PCL, pypcd4 and Open3D read such blocks like any other).

>>> import numpy as np
>>> data = np.arange(100_000, dtype=np.uint32)
>>> block = b"".join(compress_pieces([data[:60_000], data[60_000:]]))
>>> bool(np.array_equal(decompress(block, data.nbytes).view(np.uint32), data))
True
"""

from __future__ import annotations

import ctypes
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

import lzf  # type: ignore[import-not-found]  # python-lzf ships no stubs
import numpy as np
import numpy.typing as npt

__all__ = ["LIBLZF", "LzfError", "compress_pieces", "decompress"]

_WORKERS: Final = max(1, min(4, os.cpu_count() or 1))


class LzfError(ValueError):
    """An LZF block that does not decode to the expected size."""


def _library() -> Any | None:
    try:
        lib = ctypes.CDLL(lzf.__file__)
        functions = (lib.lzf_compress, lib.lzf_decompress)
    except (OSError, AttributeError):
        return None
    for function in functions:
        function.restype = ctypes.c_uint
        function.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_uint]
    return lib


LIBLZF: Final = _library()
"""liblzf through ctypes, or None when the python-lzf build does not export it."""


def decompress(block: Any, size: int, lib: Any = LIBLZF) -> npt.NDArray[np.uint8]:
    """Unpack `block` (bytes or a uint8 array) into a new read-only array of `size` bytes.

    `lib` is the ctypes liblzf (None: python-lzf's module functions).

    Raises
    ------
    LzfError
        The block is corrupt or unpacks to another size.
    """
    if size == 0:
        return np.zeros(0, dtype=np.uint8)
    if lib is None:
        try:
            data = lzf.decompress(bytes(block), size)
        except ValueError as exc:
            raise LzfError(str(exc)) from None
        if data is None or len(data) != size:
            raise LzfError("the block does not decode")
        return np.frombuffer(data, dtype=np.uint8)
    source = np.frombuffer(block, dtype=np.uint8) if isinstance(block, bytes) else block
    out = np.empty(size, dtype=np.uint8)
    got = lib.lzf_decompress(source.ctypes.data, len(source), out.ctypes.data, size)
    if got != size:
        raise LzfError("the block does not decode" if got == 0 else
                       f"the block unpacks to {got} bytes, not {size}")
    out.flags.writeable = False
    return out


def _compress_one(piece: npt.NDArray[Any], lib: Any) -> bytes:
    raw = np.ascontiguousarray(piece).view(np.uint8).reshape(-1)
    room = len(raw) + len(raw) // 16 + 64  # LZF grows incompressible data by 1/32 at most
    if lib is None:
        packed = lzf.compress(raw.tobytes(), room)
        if packed is None:
            raise LzfError("LZF could not compress a piece")
        return bytes(packed)
    out = np.empty(room, dtype=np.uint8)
    got = lib.lzf_compress(raw.ctypes.data, len(raw), out.ctypes.data, room)
    if got == 0 and len(raw):
        raise LzfError("LZF could not compress a piece")
    return out[:got].tobytes()


def compress_pieces(pieces: Iterable[npt.NDArray[Any]], lib: Any = LIBLZF) -> Iterator[bytes]:
    """Compress each piece (any contiguous-able array) and yield the results in order.

    A few pieces are in flight at once on a small thread pool (liblzf runs
    without the GIL through ctypes), so memory stays at a few pieces.
    """
    with ThreadPoolExecutor(_WORKERS) as pool:
        pending: deque[Future[bytes]] = deque()
        for piece in pieces:
            pending.append(pool.submit(_compress_one, piece, lib))
            if len(pending) > _WORKERS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
