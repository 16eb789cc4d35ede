"""The LZF codec behind binary_compressed PCD: liblzf through ctypes and python-lzf's API."""

from __future__ import annotations

import lzf
import numpy as np
import pytest

from annotator.media.lzf_codec import LIBLZF, LzfError, compress_pieces, decompress

LIBS = [pytest.param(LIBLZF, id="ctypes"), pytest.param(None, id="python-lzf")]


def test_the_c_library_is_reached() -> None:
    assert LIBLZF is not None  # python-lzf 0.2.6 exports lzf_compress / lzf_decompress


@pytest.mark.parametrize("lib", LIBS)
def test_pieces_concatenate_into_one_valid_stream(lib: object) -> None:
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.integers(0, 4, 300_000).astype(np.uint8),
                           rng.integers(0, 256, 100_000).astype(np.uint8)])
    pieces = [data[i:i + 65_536] for i in range(0, len(data), 65_536)]
    block = b"".join(compress_pieces(pieces, lib))
    assert len(block) < len(data)
    # python-lzf's own decoder (the one pypcd4 uses) agrees
    assert lzf.decompress(block, len(data)) == data.tobytes()
    out = decompress(block, len(data), lib)
    assert np.array_equal(out, data) and not out.flags.writeable


@pytest.mark.parametrize("lib", LIBS)
def test_incompressible_pieces(lib: object) -> None:
    data = np.random.default_rng(1).integers(0, 256, 50_000).astype(np.uint8)
    block = b"".join(compress_pieces([data], lib))
    assert np.array_equal(decompress(block, len(data), lib), data)


@pytest.mark.parametrize("lib", LIBS)
def test_corrupt_or_wrong_size_blocks_raise(lib: object) -> None:
    data = np.arange(10_000, dtype=np.uint16)
    block = b"".join(compress_pieces([data], lib))
    with pytest.raises(LzfError):
        decompress(b"\xff" * 8, 100, lib)
    with pytest.raises(LzfError):
        decompress(block, data.nbytes + 10, lib)
    with pytest.raises(LzfError):
        decompress(block, data.nbytes - 10, lib)
    assert len(decompress(b"", 0, lib)) == 0
