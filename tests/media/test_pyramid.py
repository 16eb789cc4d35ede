"""Tests for annotator.media.pyramid: tiled, multi-resolution image reading."""

from __future__ import annotations

import importlib.util
import io
import random
import struct
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps

from annotator.errors import MediaError
from annotator.media import pyramid
from annotator.media.pyramid import TILE, ImageSource, open_image

# Without imagecodecs, tifffile cannot decode LZW or JPEG (the usual install).
HAS_IMAGECODECS = importlib.util.find_spec("imagecodecs") is not None
needs_no_imagecodecs = pytest.mark.skipif(HAS_IMAGECODECS, reason="imagecodecs is installed")


def stitch(source: ImageSource, level: int = 0) -> np.ndarray:
    """All tiles of a level pasted together."""
    width, height = source.level_size(level)
    out = np.zeros((height, width, 4), np.uint8)
    columns, rows = source.tile_grid(level)
    for row in range(rows):
        for col in range(columns):
            tile = source.read_tile(level, col, row)
            assert tile.dtype == np.uint8
            assert tile.ndim == 3
            assert tile.shape[2] == 4
            assert tile.flags.c_contiguous
            assert tile.shape[:2] == (min(TILE, height - row * TILE),
                                      min(TILE, width - col * TILE))
            out[row * TILE:(row + 1) * TILE, col * TILE:(col + 1) * TILE] = tile
    return out


def pillow_rgba(path: Path, frame: int = 0) -> np.ndarray:
    """The reference: Pillow's decode, EXIF-rotated, as RGBA."""
    with Image.open(path) as img:
        img.seek(frame)
        return np.asarray(ImageOps.exif_transpose(img).convert("RGBA"))


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth RGB content with some texture (so JPEG and resizing behave like photos)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200, y / height * 200, (x + y) / (width + height) * 255], -1)
    noise = cv2.GaussianBlur(rng.normal(0, 40, (height, width, 3)).astype(np.float32), (0, 0), 3)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def expect_error(path: Path, *words: str, **kwargs: int) -> str:
    with pytest.raises(MediaError) as info:
        open_image(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    for word in words:
        assert word in message, message
    return message


def patch_tag(path: Path, code: int, value: int) -> None:
    """Overwrite a SHORT tag value of the first page in place."""
    with tifffile.TiffFile(path) as tif:
        tag = tif.pages[0].tags[code]
        where, byteorder = tag.valueoffset, tif.byteorder
    with open(path, "r+b") as fp:
        fp.seek(where)
        fp.write(struct.pack(byteorder + "H", value))


# ------------------------------------------------------------ in-memory modes


def test_jpeg_rgb_tiles_equal_pillow(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(photo(700, 1100)).save(path, quality=90)
    with open_image(path) as source:
        assert source.storage == "memory"
        assert (source.width, source.height, source.tile_size) == (1100, 700, 512)
        assert source.levels == 3
        assert np.array_equal(stitch(source), pillow_rgba(path))


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_jpeg_exif_orientation(tmp_path: Path, orientation: int) -> None:
    path = tmp_path / f"o{orientation}.jpg"
    pixels = photo(300, 700)
    pixels[:20, :20] = (255, 0, 0)      # a red mark in the stored top-left corner
    Image.fromarray(pixels).save(path, exif=exif_bytes(orientation), quality=95)
    reference = pillow_rgba(path)
    with open_image(path) as source:
        assert (source.height, source.width) == reference.shape[:2]
        if orientation in (6, 8):
            assert (source.width, source.height) == (300, 700)
        assert np.array_equal(stitch(source), reference)
        corner = {3: (699, 299), 6: (299, 0), 8: (0, 699)}[orientation]
        x, y = corner
        tile = source.read_tile(0, x // TILE, y // TILE)
        r, g, b, a = tile[y % TILE, x % TILE]
        assert r > 200 and g < 60 and b < 60 and a == 255


def test_grey_16bit_png_is_scaled_by_its_bit_depth(tmp_path: Path) -> None:
    # 12-bit sensor data stored in 16 bits: shown as v >> 4, not black.
    values = (np.arange(600 * 80, dtype=np.uint32).reshape(600, 80) % 4096).astype(np.uint16)
    path = tmp_path / "sensor.png"
    Image.fromarray(values).save(path)
    with open_image(path) as source:
        out = stitch(source)
    assert np.array_equal(out[..., 0], (values >> 4).astype(np.uint8))
    assert np.array_equal(out[..., 0], out[..., 2])
    assert (out[..., 3] == 255).all()
    assert out[..., 0].max() == 255


def test_rgb_16bit_png_keeps_its_precision(tmp_path: Path) -> None:
    values = np.zeros((40, 50, 3), np.uint16)
    values[..., 0] = 1000
    values[..., 1] = 4095
    values[..., 2] = np.arange(50) * 80
    path = tmp_path / "rgb16.png"
    assert cv2.imwrite(str(path), values[..., ::-1])   # OpenCV writes BGR
    out = open_image(path).read_tile(0, 0, 0)
    assert tuple(out[0, 0]) == (1000 >> 4, 255, 0, 255)
    assert np.array_equal(out[0, :, 2], (values[0, :, 2] >> 4).astype(np.uint8))


def test_palette_png_with_transparency(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    img = Image.fromarray(photo(100, 120)).convert("P", palette=Image.Palette.ADAPTIVE)
    img.save(path, transparency=3)
    out = open_image(path).read_tile(0, 0, 0)
    reference = pillow_rgba(path)
    assert np.array_equal(out, reference)
    assert (out[..., 3] == 0).any()
    assert (out[..., 3] == 255).any()


@pytest.mark.parametrize(("mode", "suffix"), [("L", ".png"), ("LA", ".png"), ("RGBA", ".png"),
                                              ("CMYK", ".jpg"), ("RGB", ".bmp"),
                                              ("RGBA", ".webp"), ("1", ".png")])
def test_other_modes_equal_pillow(tmp_path: Path, mode: str, suffix: str) -> None:
    rgba = np.dstack([photo(90, 130), np.linspace(0, 255, 130, dtype=np.uint8)[None]
                      .repeat(90, 0)])
    path = tmp_path / f"img{suffix}"
    kwargs = {"lossless": True} if suffix == ".webp" else {}
    Image.fromarray(rgba).convert(mode).save(path, **kwargs)
    assert np.array_equal(open_image(path).read_tile(0, 0, 0), pillow_rgba(path))


def test_float_and_lzw_tiff_decoded_by_pillow(tmp_path: Path) -> None:
    # LZW needs imagecodecs in tifffile: a TIFF that fits in memory falls back to Pillow.
    values = np.linspace(-5, 5, 30 * 40, dtype=np.float32).reshape(30, 40)
    path = tmp_path / "float_lzw.tif"
    Image.fromarray(values).save(path, compression="tiff_lzw")
    with open_image(path) as source:
        assert source.storage == ("tiff" if HAS_IMAGECODECS else "memory")
        grey = source.read_tile(0, 0, 0)[..., 0]
    expected = np.round((values + 5) / 10 * 255).astype(np.uint8)
    assert np.abs(grey.astype(int) - expected).max() <= 1
    rgb = photo(60, 70)
    path = tmp_path / "rgb_lzw.tif"
    Image.fromarray(rgb).save(path, compression="tiff_lzw")
    assert np.array_equal(open_image(path).read_tile(0, 0, 0), pillow_rgba(path))


def test_webp_and_png_frames(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "lime", "blue")]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], lossless=True)
    assert tuple(open_image(path, page=2).read_tile(0, 0, 0)[5, 5]) == (0, 0, 255, 255)
    expect_error(path, "page 3 out of range", page=3)


# ------------------------------------------------------------------ TIFF


def test_multipage_tiff_page_2(tmp_path: Path) -> None:
    pages = [Image.fromarray(photo(50 + 10 * i, 70, seed=i)) for i in range(3)]
    path = tmp_path / "stack.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])   # strips, uncompressed
    with open_image(path, page=2) as source:
        assert source.storage == "tiff"
        assert (source.width, source.height) == (70, 70)
        assert np.array_equal(stitch(source), pillow_rgba(path, frame=2))
    expect_error(path, "page 3 out of range", page=3)
    tiled = tmp_path / "stack_tiled.tif"
    with tifffile.TiffWriter(tiled) as writer:
        for i in range(3):
            writer.write(np.asarray(pages[i]), tile=(32, 32), compression="zlib",
                         photometric="rgb")
    with open_image(tiled, page=2) as source:
        assert np.array_equal(stitch(source)[..., :3], np.asarray(pages[2]))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiled_tiff_orientation(tmp_path: Path, orientation: int) -> None:
    pixels = photo(700, 1100)
    path = tmp_path / f"o{orientation}.tif"
    tifffile.imwrite(path, pixels, tile=(256, 256), compression="zlib", photometric="rgb",
                     extratags=[(0x0112, "H", 1, orientation, True)])
    reference = Image.fromarray(pixels)
    reference.getexif()[0x0112] = orientation
    expected = np.asarray(ImageOps.exif_transpose(reference).convert("RGBA"))
    with open_image(path) as source:
        assert source.storage == "tiff"
        assert (source.height, source.width) == expected.shape[:2]
        assert np.array_equal(stitch(source), expected)
        coarse = stitch(source, 1)
    resized = cv2.resize(expected, coarse.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(coarse.astype(int) - resized).max() <= 1


def test_tiff_levels_match_a_resize_of_the_full_image(tmp_path: Path) -> None:
    pixels = photo(1500, 2100)
    tiff, png = tmp_path / "big.tif", tmp_path / "big.png"
    tifffile.imwrite(tiff, pixels, tile=(512, 512), compression="zlib", photometric="rgb")
    Image.fromarray(pixels).save(png)
    full = np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)])
    for path in (tiff, png):
        with open_image(path) as source:
            assert source.levels == 4
            assert [source.level_size(k) for k in range(4)] == [
                (2100, 1500), (1050, 750), (525, 375), (263, 188)]
            assert source.tile_grid(0) == (5, 3)
            assert np.array_equal(stitch(source), full)
            for level in (1, 2, 3):
                coarse = stitch(source, level)
                expected = cv2.resize(full, coarse.shape[1::-1], interpolation=cv2.INTER_AREA)
                # levels built 2x2 at a time round a little differently from one resize
                assert np.abs(coarse.astype(int) - expected).mean() < 0.6
                assert np.abs(coarse.astype(int) - expected).max() <= 4


@pytest.mark.parametrize("layout", ["grey16", "rgb16", "rgba16_planar", "grey8_strips",
                                    "palette", "miniswhite", "cmyk", "bilevel"])
def test_tiff_layouts(tmp_path: Path, layout: str) -> None:
    rng = np.random.default_rng(7)
    path = tmp_path / f"{layout}.tif"
    grey12 = rng.integers(0, 4096, (300, 200)).astype(np.uint16)
    kwargs: dict[str, object] = {"tile": (64, 64), "compression": "zlib"}
    if layout == "grey16":
        tifffile.imwrite(path, grey12, **kwargs)
        expected = np.dstack([(grey12 >> 4).astype(np.uint8)] * 3)
    elif layout == "rgb16":
        rgb = rng.integers(0, 65536, (300, 200, 3)).astype(np.uint16)
        tifffile.imwrite(path, rgb, photometric="rgb", predictor=True, **kwargs)
        expected = (rgb >> 8).astype(np.uint8)
    elif layout == "rgba16_planar":
        rgba = rng.integers(0, 4096, (4, 300, 200)).astype(np.uint16)
        rgba[3] = 65535
        rgba[3, :10] = 0
        tifffile.imwrite(path, rgba, photometric="rgb", planarconfig="separate",
                         extrasamples=["unassalpha"], **kwargs)
        expected = np.moveaxis((rgba >> 4).astype(np.uint8), 0, -1)[..., :3]
    elif layout == "grey8_strips":
        grey8 = (grey12 >> 4).astype(np.uint8)
        Image.fromarray(grey8).save(path, compression="packbits")   # strips
        expected = np.dstack([grey8] * 3)
    elif layout == "palette":
        Image.fromarray(photo(300, 200)).convert("P").save(path, compression="tiff_deflate")
        expected = pillow_rgba(path)[..., :3]
    elif layout == "miniswhite":
        grey8 = (grey12 >> 4).astype(np.uint8)
        tifffile.imwrite(path, grey8, photometric="miniswhite", **kwargs)
        expected = np.dstack([255 - grey8] * 3)
    elif layout == "cmyk":
        Image.fromarray(photo(300, 200)).convert("CMYK").save(path)
        expected = pillow_rgba(path)[..., :3]
    else:
        bits = rng.integers(0, 2, (300, 200)).astype(bool)
        Image.fromarray(bits).save(path)     # mode "1", strips
        expected = pillow_rgba(path)[..., :3]
    with open_image(path) as source:
        assert source.storage == "tiff"
        out = stitch(source)
    assert np.abs(out[..., :3].astype(int) - expected).max() <= (1 if layout == "cmyk" else 0)
    if layout == "rgba16_planar":
        assert (out[:10, :, 3] == 0).all()
        assert (out[10:, :, 3] == 255).all()
    else:
        assert (out[..., 3] == 255).all()


def test_float_tiff_nan_and_nodata_are_transparent(tmp_path: Path) -> None:
    values = np.linspace(0, 1000, 100 * 120, dtype=np.float32).reshape(100, 120)
    values[0, 0] = np.nan
    values[0, 1] = -9999
    path = tmp_path / "dem.tif"
    tifffile.imwrite(path, values, tile=(32, 32), compression="zlib",
                     extratags=[(42113, "s", 0, "-9999", True)])
    out = open_image(path).read_tile(0, 0, 0)
    assert tuple(out[0, 0]) == (0, 0, 0, 0)
    assert tuple(out[0, 1]) == (0, 0, 0, 0)
    assert out[0, 2, 3] == 255
    assert out[-1, -1, 0] == 255      # max of the valid samples


def test_pyramidal_tiff_uses_stored_levels(tmp_path: Path) -> None:
    # The stored levels deliberately differ from a downscale of level 0.
    base = np.full((2100, 1500, 3), (10, 20, 30), np.uint8)
    path = tmp_path / "pyramid.tif"
    with tifffile.TiffWriter(path) as writer:
        writer.write(base, tile=(256, 256), compression="zlib", photometric="rgb", subifds=2)
        writer.write(np.full((1050, 750, 3), (200, 0, 0), np.uint8), tile=(256, 256),
                     compression="zlib", photometric="rgb", subfiletype=1)
        writer.write(np.full((263, 188, 3), (0, 0, 200), np.uint8), tile=(256, 256),
                     compression="zlib", photometric="rgb", subfiletype=1)
    with open_image(path) as source:
        assert source.levels == 4
        assert source.stored_levels == (0, 1, 3)
        assert tuple(source.read_tile(0, 1, 1)[5, 5]) == (10, 20, 30, 255)
        assert tuple(source.read_tile(1, 1, 1)[5, 5]) == (200, 0, 0, 255)
        assert tuple(source.read_tile(2, 0, 0)[5, 5]) == (200, 0, 0, 255)   # from level 1
        assert tuple(source.read_tile(3, 0, 0)[5, 5]) == (0, 0, 200, 255)


@pytest.mark.parametrize("orientation", [1, 6])
def test_stored_level_a_pixel_smaller(tmp_path: Path, orientation: int) -> None:
    # Some writers round overview sizes down: 1025 px -> 512, where we expect 513.
    path = tmp_path / "floor.tif"
    level1 = np.zeros((512, 512), np.uint8)
    level1[:, -1] = 77
    level1[-1, :] = 99
    with tifffile.TiffWriter(path) as writer:
        writer.write(np.full((1025, 1025), 5, np.uint8), tile=(256, 256), subifds=1,
                     extratags=[(0x0112, "H", 1, orientation, True)])
        writer.write(level1, tile=(256, 256), subfiletype=1)
    with open_image(path) as source:
        assert source.stored_levels == (0, 1)
        assert source.level_size(1) == (513, 513)
        coarse = stitch(source, 1)
    expected = np.pad(level1, ((0, 1), (0, 1)), mode="edge")
    if orientation == 6:
        expected = np.rot90(expected, -1)
    assert np.array_equal(coarse[..., 0], expected)


def test_cog_overview_pages(tmp_path: Path) -> None:
    path = tmp_path / "cog.tif"
    with tifffile.TiffWriter(path) as writer:
        writer.write(np.full((1200, 1300), 50, np.uint8), tile=(256, 256), compression="zlib")
        writer.write(np.full((600, 650), 90, np.uint8), tile=(256, 256), compression="zlib",
                     subfiletype=1)
        writer.write(np.full((300, 325), 130, np.uint8), tile=(256, 256), compression="zlib",
                     subfiletype=1)
        writer.write(np.full((100, 100), 7, np.uint8))     # a second image
    with open_image(path) as source:
        assert source.stored_levels == (0, 1, 2)
        assert [source.read_tile(k, 0, 0)[0, 0, 0] for k in range(3)] == [50, 90, 130]
    with open_image(path, page=1) as second:
        assert (second.width, second.height, second.read_tile(0, 0, 0)[0, 0, 0]) == (100, 100, 7)


# ------------------------------------------------------- a 40,000 px image


def peak_rss() -> int:
    """The process's peak resident size in bytes (0 where unknown, e.g. Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def write_huge(path: Path, size: int = 40_000,
               markers: dict[tuple[int, int], tuple[int, int, int]] | None = None) -> None:
    """A tiled deflate RGB TIFF written from pre-compressed tiles: uniform plus markers."""
    markers = markers or {}
    across = -(-size // TILE)
    uniform = zlib.compress(np.full((TILE, TILE, 3), (10, 20, 30), np.uint8).tobytes())

    def tiles() -> Iterator[bytes]:
        for row in range(across):
            for col in range(across):
                colour = markers.get((col, row))
                if colour is None:
                    yield uniform
                else:
                    block = np.full((TILE, TILE, 3), colour, np.uint8)
                    block[0, 0] = (1, 2, 3)
                    yield zlib.compress(block.tobytes())

    tifffile.imwrite(path, tiles(), shape=(size, size, 3), dtype=np.uint8, tile=(TILE, TILE),
                     compression="zlib", photometric="rgb")


def test_huge_tiled_tiff_reads_one_screen_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    write_huge(path, markers={(39, 39): (250, 0, 0), (78, 78): (0, 0, 250)})
    assert path.stat().st_size < 20 * 2**20
    rss_before = peak_rss()
    tracemalloc.start()
    try:
        with open_image(path) as source:
            assert (source.width, source.height, source.levels) == (40_000, 40_000, 8)
            assert source.storage == "tiff"
            x0, y0 = 20_000 - 960, 20_000 - 540
            screen = [(col, row) for row in range(y0 // TILE, (y0 + 1080 - 1) // TILE + 1)
                      for col in range(x0 // TILE, (x0 + 1920 - 1) // TILE + 1)]
            assert len(screen) == 12
            for col, row in screen:
                tile = source.read_tile(0, col, row)
                if (col, row) != (39, 39):
                    assert (tile == (10, 20, 30, 255)).all()
            marker = source.read_tile(0, 39, 39)
            assert tuple(marker[0, 0]) == (1, 2, 3, 255)
            assert (marker[1:] == (250, 0, 0, 255)).all()
            edge = source.read_tile(0, 78, 78)     # 40,000 - 78 * 512 = 64 px left
            assert edge.shape == (64, 64, 4)
            assert tuple(edge[5, 5]) == (0, 0, 250, 255)
            assert source.cached_bytes() <= 14 * TILE * TILE * 4
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    decoded = 40_000 * 40_000 * 4
    assert peak < 64 * 2**20, peak          # Python and numpy allocations
    rss_growth = peak_rss() - rss_before    # the process's peak (0 if an earlier test peaked)
    assert rss_growth < decoded / 4, rss_growth
    assert rss_growth < 200 * 2**20, rss_growth


@needs_no_imagecodecs
def test_big_images_that_cannot_be_tiled_are_refused(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyramid, "MAX_DECODE_BYTES", 100 * 100 * 4)
    png = tmp_path / "wide.png"
    Image.new("RGB", (200, 100)).save(png)
    expect_error(png, "200 x 100 pixels is too large to decode in memory",
                 "store it as a tiled TIFF")
    lzw = tmp_path / "strips_lzw.tif"
    Image.new("RGB", (200, 100)).save(lzw, compression="tiff_lzw")
    expect_error(lzw, "LZW compression needs the 'imagecodecs' package", "too large")
    small = tmp_path / "small.png"
    Image.new("RGB", (100, 100)).save(small)
    assert open_image(small).width == 100
    # A tiled TIFF of any size is still fine.
    tiled = tmp_path / "tiled.tif"
    tifffile.imwrite(tiled, np.zeros((300, 300, 3), np.uint8), tile=(64, 64), photometric="rgb")
    assert open_image(tiled).storage == "tiff"


def test_decompression_bomb_limit_does_not_apply(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = tmp_path / "many_pixels.png"
    Image.new("L", (300, 200), 9).save(path)
    strips = tmp_path / "many_pixels_lzw.tif"
    Image.new("L", (300, 200), 9).save(strips, compression="tiff_lzw")
    for name in (path, strips):
        assert open_image(name).read_tile(0, 0, 0)[0, 0, 0] == 9
    assert Image.MAX_IMAGE_PIXELS == 1000


# ------------------------------------------------------------ bad input


def small_tiled(path: Path) -> None:
    tifffile.imwrite(path, photo(300, 400), tile=(128, 128), compression="zlib",
                     photometric="rgb")


def test_truncated_tiff(tmp_path: Path) -> None:
    path = tmp_path / "cut.tif"
    small_tiled(path)
    data = path.read_bytes()
    with tifffile.TiffFile(path) as tif:
        ifd = tif.pages[0].offset
    # tifffile writes the IFD first: keep it, lose half the tile data
    assert ifd < len(data) // 2
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated")


def test_corrupt_tile_data(tmp_path: Path) -> None:
    # File tile 8 is the last of 3 x 3 file tiles of 512 px: display tile (2, 2).
    path = tmp_path / "corrupt.tif"
    tifffile.imwrite(path, photo(1100, 1100), tile=(512, 512), compression="zlib",
                     photometric="rgb")
    with tifffile.TiffFile(path) as tif:
        offsets = tif.pages[0].dataoffsets
    with open(path, "r+b") as fp:
        fp.seek(offsets[8])
        fp.write(b"\x00garbage" * 8)
    with open_image(path) as source:
        source.read_tile(0, 0, 0)
        with pytest.raises(MediaError) as info:
            source.read_tile(0, 2, 2)
        message = str(info.value)
        assert "\n" not in message
        assert path.name in message
        assert "corrupt tile data" in message
        with pytest.raises(MediaError):   # a coarse level needs it too
            source.read_tile(source.levels - 1, 0, 0)
    # The first tile is decoded at open, so there it fails at once.
    with open(path, "r+b") as fp:
        fp.seek(offsets[0])
        fp.write(b"\x00garbage" * 8)
    expect_error(path, "cannot decode")


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_garbage_missing_and_other_bad_files(tmp_path: Path) -> None:
    garbage = tmp_path / "noise.tif"
    garbage.write_bytes(random.Random(1).randbytes(5000))
    expect_error(garbage, "not a supported image")
    fake_tiff = tmp_path / "fake.tif"
    fake_tiff.write_bytes(b"II*\x00" + struct.pack("<I", 10**9) + b"\x00" * 100)
    expect_error(fake_tiff)
    fake_png = tmp_path / "fake.png"
    fake_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50 + b"IEND")
    expect_error(fake_png)
    expect_error(tmp_path / "missing.png", "no such file")
    half_jpeg = tmp_path / "half.jpg"
    buffer = io.BytesIO()
    Image.fromarray(photo(200, 300)).save(buffer, "JPEG")
    half_jpeg.write_bytes(buffer.getvalue()[:3000])
    expect_error(half_jpeg, "truncated JPEG")
    cloud = tmp_path / "scan.bin"
    cloud.write_bytes(np.zeros(16, np.float32).tobytes())
    expect_error(cloud, "not an image")


@needs_no_imagecodecs
@pytest.mark.parametrize(("code", "name"), [(34887, "LERC"), (7, "JPEG"), (5, "LZW")])
def test_unsupported_compression(tmp_path: Path, code: int, name: str) -> None:
    path = tmp_path / f"compression_{code}.tif"
    tifffile.imwrite(path, photo(300, 400), tile=(128, 128), photometric="rgb")
    patch_tag(path, 259, code)        # the tiles are not really compressed that way
    expect_error(path, name, "imagecodecs")


# ------------------------------------------------------ cache and threads


def test_cache_respects_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "budget.tif"
    tifffile.imwrite(path, photo(2600, 2600), tile=(256, 256), compression="zlib",
                     photometric="rgb")
    budget = 3 * TILE * TILE * 4 + 100
    with open_image(path, memory_budget=budget) as source:
        for level in range(source.levels):
            columns, rows = source.tile_grid(level)
            for row in range(rows):
                for col in range(columns):
                    source.read_tile(level, col, row)
                    assert source.cached_bytes() <= budget
        assert source.cached_bytes() > 0
    with open_image(path, memory_budget=0) as source:
        source.read_tile(source.levels - 1, 0, 0)
        assert source.cached_bytes() == 0
    png = tmp_path / "budget.png"
    Image.fromarray(photo(1500, 1500)).save(png)
    with open_image(png, memory_budget=budget) as source:
        for level in range(source.levels):
            columns, rows = source.tile_grid(level)
            for row in range(rows):
                for col in range(columns):
                    source.read_tile(level, col, row)
                    assert source.cached_bytes() <= budget


@pytest.mark.parametrize("kind", ["tiff_1024_tiles", "tiff_strips", "png"])
def test_threads_read_the_same_pixels_as_serial_reads(tmp_path: Path, kind: str) -> None:
    pixels = photo(1800, 2300)
    if kind == "png":
        path = tmp_path / "threads.png"
        Image.fromarray(pixels).save(path)
    else:
        path = tmp_path / "threads.tif"
        layout: dict[str, object] = ({"tile": (1024, 1024)} if kind == "tiff_1024_tiles"
                                     else {"rowsperstrip": 100})
        tifffile.imwrite(path, pixels, compression="zlib", photometric="rgb", **layout)
    with open_image(path) as serial_source:
        keys = [(level, col, row) for level in range(serial_source.levels)
                for col in range(serial_source.tile_grid(level)[0])
                for row in range(serial_source.tile_grid(level)[1])]
        serial = {key: serial_source.read_tile(*key).copy() for key in keys}
    shared = open_image(path, memory_budget=8 * TILE * TILE * 4)
    failures: list[str] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(60):
            key = rng.choice(keys)
            try:
                tile = shared.read_tile(*key)
            except Exception as exc:
                failures.append(repr(exc))
                return
            if not np.array_equal(tile, serial[key]):
                failures.append(f"tile {key} differs")

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shared.close()
    assert not failures, failures[:3]


# ----------------------------------------------------------------- API


def test_geometry_and_arguments(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (3, 2), "white").save(path)
    with open_image(path) as source:
        assert (source.levels, source.tile_grid(0), source.level_size(0)) == (1, (1, 1), (3, 2))
        assert source.read_tile(0, 0, 0).shape == (2, 3, 4)
        assert not source.read_tile(0, 0, 0).flags.writeable
        with pytest.raises(IndexError):
            source.read_tile(1, 0, 0)
        with pytest.raises(IndexError):
            source.read_tile(0, 1, 0)
        with pytest.raises(ValueError, match="scale"):
            source.level_for_scale(0)
    with pytest.raises(MediaError, match="closed"):
        source.read_tile(0, 0, 0)
    source.close()
    with pytest.raises(ValueError, match="memory_budget"):
        open_image(path, memory_budget=-1)


def test_level_for_scale(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    write_huge(path, size=40_000)
    source = open_image(path)
    assert source.levels == 8
    assert source.level_size(7) == (313, 313)
    cases = {4.0: 0, 1.0: 0, 0.99: 0, 0.5: 1, 0.3: 1, 0.25: 2, 0.2: 2, 1 / 64: 6,
             0.0001: 7}
    for scale, level in cases.items():
        assert source.level_for_scale(scale) == level, scale
    # the fit-to-window view of a 40,000 px image on a 1080-line screen is 1/37
    assert source.level_for_scale(1080 / 40_000) == 5
    source.close()
