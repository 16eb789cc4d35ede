"""Bird's-eye raster: tiles and views against a per-point brute force, modes, cache, threads."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from annotator.errors import MediaError
from annotator.media._bev_index import TILE, TopIndex, key_index, top_keys
from annotator.media.bev import BevRenderer
from annotator.media.pointcloud import Cancelled, PointCloud


def cloud_of(xyz: Any, origin: Any = (0.0, 0.0, 0.0), **fields: Any) -> PointCloud:
    return PointCloud(np.asarray(origin, dtype=np.float64), np.asarray(xyz, dtype=np.float32),
                      fields, "pcd", "binary")


def street(n: int = 60_000, seed: int = 3, shift: tuple[float, float] = (-7.0, 4.0)
           ) -> PointCloud:
    """Ground, a wall (many points stacked per pixel), a car box, ties and negative coordinates."""
    rng = np.random.default_rng(seed)
    ground = np.c_[rng.uniform(0, 48, n), rng.uniform(0, 30, n), rng.normal(0, 0.02, n)]
    wall = np.c_[rng.uniform(5, 40, n // 4), np.full(n // 4, 25.0) + rng.normal(0, 0.01, n // 4),
                 rng.uniform(0, 9, n // 4)]
    car = np.c_[rng.uniform(10, 14.5, n // 6), rng.uniform(8, 9.8, n // 6),
                rng.uniform(0.2, 1.6, n // 6)]
    ties = np.array([[20.03, 3.01, 1.0], [20.03, 3.01, 1.0], [20.04, 3.02, 1.0]])
    xyz = np.concatenate([ground, wall, car, ties]) + np.array([*shift, 0.0])
    count = len(xyz)
    return cloud_of(xyz, (40_000.0, -120_000.0, 30.0),
                    intensity=rng.integers(0, 4000, count).astype(np.uint16),
                    classification=rng.integers(0, 70, count).astype(np.uint8),
                    rgb=rng.integers(0, 256, (count, 3)).astype(np.uint8))


def brute_tile(cloud: PointCloud, level: int, col: int, row: int) -> np.ndarray:
    """Top key per pixel of one tile, from every point, in float64."""
    xyz = cloud.xyz.astype(np.float64)
    gx = np.floor(xyz[:, 0] / 2.0 ** level).astype(np.int64) - col * TILE
    gy = np.floor(-xyz[:, 1] / 2.0 ** level).astype(np.int64) - row * TILE
    inside = (gx >= 0) & (gx < TILE) & (gy >= 0) & (gy < TILE)
    keys = top_keys(cloud.xyz[inside, 2], np.flatnonzero(inside))
    tile = np.zeros(TILE * TILE, dtype=np.uint64)
    np.maximum.at(tile, gy[inside] * TILE + gx[inside], keys)
    return tile


@pytest.fixture(scope="module")
def cloud() -> PointCloud:
    return street()


@pytest.fixture(scope="module")
def bev(cloud: PointCloud) -> BevRenderer:
    return BevRenderer(cloud)


def test_every_level_matches_the_brute_force(cloud: PointCloud, bev: BevRenderer) -> None:
    index = TopIndex(cloud)
    rng = np.random.default_rng(0)
    low, high = bev.levels
    checked = 0
    for level in range(low, high + 2):
        if level > high:
            with pytest.raises(ValueError, match="outside"):
                bev.tile(level, 0, 0)
            continue
        gx0, gx1, gy0, gy1 = index.pixel_bounds(level)
        cols = np.arange((gx0 >> 8) - 1, (gx1 >> 8) + 2)
        rows = np.arange((gy0 >> 8) - 1, (gy1 >> 8) + 2)
        if len(cols) * len(rows) > 16:     # fine levels: tiles under points, and a few others
            pick = index.cloud.xyz[rng.integers(0, len(cloud), 3)]
            cols = np.r_[np.floor(pick[:, 0] / 2.0 ** level / TILE), cols[:1]].astype(int)
            rows = np.r_[np.floor(-pick[:, 1] / 2.0 ** level / TILE), rows[:1]].astype(int)
        for col in cols.tolist():
            for row in rows.tolist():
                got = index.tile_keys(level, col, row)
                expected = brute_tile(cloud, level, col, row)
                assert np.array_equal(expected, np.zeros_like(expected) if got is None else got), \
                    (level, col, row)
                checked += 1
    assert checked > 60


def test_a_power_of_two_view_on_the_grid_is_the_tiles(cloud: PointCloud, bev: BevRenderer) -> None:
    level = bev.level_for(0.25)
    x0, y0, x1, y1 = bev.tile_bounds(level, 0, -1)
    keys = bev.top_keys(x0, y0 - (y1 - y0), x1, y1, TILE, 2 * TILE)
    expected = np.concatenate([brute_tile(cloud, level, 0, -1).reshape(TILE, TILE),
                               brute_tile(cloud, level, 0, 0).reshape(TILE, TILE)])
    assert np.array_equal(keys, expected)
    assert np.count_nonzero(keys) > 1000


@pytest.mark.parametrize(("view", "size"), [
    ((-10.0, -3.0, 45.0, 40.0), (300, 230)),       # whole street, odd pixel size
    ((2.3, 5.1, 17.9, 13.3), (211, 97)),           # zoomed on the car, non-square pixels
    ((12.01, 6.01, 12.41, 6.33), (64, 50)),        # finer than any level's cells: points
    ((-500.0, -400.0, 600.0, 300.0), (120, 80)),   # far out: the street is a few pixels
    ((100.0, 100.0, 140.0, 120.0), (40, 20)),      # nothing there
])
def test_views_show_the_highest_point_of_each_pixel(
        cloud: PointCloud, bev: BevRenderer, view: tuple[float, float, float, float],
        size: tuple[int, int]) -> None:
    """Each pixel's point lies in it (give or take half a pyramid pixel) and none above it.

    A view is pooled from the level with pixels ``p <= `` its own: a pixel takes the
    level pixels whose centres fall inside it, so it sees every point deeper inside
    than ``p / 2`` and none farther out than ``p / 2``.
    """
    x0, y0, x1, y1 = view
    width, height = size
    mx, my = (x1 - x0) / width, (y1 - y0) / height
    p = 2.0 ** bev.level_for(min(mx, my))
    keys = bev.top_keys(x0, y0, x1, y1, width, height)
    xyz = cloud.xyz.astype(np.float64)
    col = (xyz[:, 0] - x0) / mx
    row = (y1 - xyz[:, 1]) / my
    filled = np.flatnonzero(keys.ravel())
    found = key_index(keys.ravel()[filled])
    fr, fc = np.divmod(filled, width)
    near_x, near_y = p / 2 / mx + 1e-6, p / 2 / my + 1e-6
    if p <= min(mx, my):
        assert np.all((col[found] >= fc - near_x) & (col[found] < fc + 1 + near_x))
        assert np.all((row[found] >= fr - near_y) & (row[found] < fr + 1 + near_y))
    else:     # zoomed past the finest level: the level pixel under the centre
        assert np.all(np.abs(col[found] - (fc + 0.5)) <= p / mx)
    # every point well inside a pixel is at most as high as what the pixel shows
    deep = (col - np.floor(col) >= near_x) & (np.ceil(col) - col > near_x) \
        & (row - np.floor(row) >= near_y) & (np.ceil(row) - row > near_y) \
        & (col >= 0) & (col < width) & (row >= 0) & (row < height)
    pixel = row[deep].astype(np.int64) * width + col[deep].astype(np.int64)
    shown = keys.ravel()[pixel]
    assert np.all(shown >= top_keys(cloud.xyz[deep, 2], np.flatnonzero(deep)))
    if view[0] > 50:
        assert not len(filled)
    else:
        assert len(filled) > 0


def test_render_colours_by_height_and_marks_empty_pixels(bev: BevRenderer) -> None:
    image = bev.render(-10.0, -3.0, 45.0, 40.0, 220, 172)
    assert image.shape == (172, 220, 4)
    assert image.dtype == np.uint8
    assert image.flags.writeable
    keys = bev.top_keys(-10.0, -3.0, 45.0, 40.0, 220, 172)
    assert np.array_equal(image[..., 3] == 255, keys != 0)
    assert np.all(image[..., 3][keys == 0] == 0)
    # the wall (y = 29, up to 9 m high) is the top of the colour map (viridis ends yellow),
    # the ground (z ~ 0) its bottom (dark blue-violet); pixels are 0.25 m
    wall = image[(40 - 29) * 4 - 1:(40 - 29) * 4 + 1, (20 + 10) * 4]
    ground = image[(40 - 10) * 4, (0 + 10) * 4]
    assert wall[:, 1].max() > 150
    assert wall[:, 2].min() < 120
    assert ground[1] < 60
    assert ground[2] > 60


def test_modes_colour_from_the_top_point(cloud: PointCloud) -> None:
    raster = BevRenderer(cloud, cache_bytes=8 * 2**20)
    assert raster.modes == ("height", "intensity", "rgb", "class")
    view = (5.0, 3.0, 20.0, 12.0, 150, 90)
    points = key_index(raster.top_keys(*view).ravel())
    filled = raster.top_keys(*view).ravel() != 0
    raster.set_mode("rgb")
    rgb = raster.render(*view).reshape(-1, 4)
    assert np.array_equal(rgb[filled, :3], cloud.fields["rgb"][points[filled]])
    raster.set_mode("class")
    classes = raster.render(*view).reshape(-1, 4)
    codes = cloud.fields["classification"][points[filled]]
    ground = codes == 2                       # ASPRS ground: sienna #a0522d
    assert ground.any()
    assert np.all(classes[filled][ground] == [0xa0, 0x52, 0x2d, 255])
    same = codes[:, None] == codes[None, :200]
    colours = classes[filled]
    assert np.array_equal(same, np.all(colours[:, None] == colours[None, :200], axis=2))
    raster.set_mode("intensity")
    grey = raster.render(*view).reshape(-1, 4)[filled]
    assert np.all((grey[:, 0] == grey[:, 1]) & (grey[:, 1] == grey[:, 2]))
    values = cloud.fields["intensity"][points[filled]]
    assert np.corrcoef(values, grey[:, 0])[0, 1] > 0.99
    raster.set_mode("height")
    assert raster.mode == "height"
    # a mode passed per call leaves the chosen one alone
    assert np.array_equal(raster.render(*view, mode="rgb").reshape(-1, 4), rgb)
    assert np.array_equal(raster.tile(-3, 0, -1, mode="class"),
                          BevRenderer(cloud, "class").tile(-3, 0, -1))
    assert raster.mode == "height"


def test_height_colours_follow_the_height() -> None:
    x = np.linspace(0.05, 99.95, 1000)
    ramp = cloud_of(np.c_[x, np.full(1000, 0.5), x / 10])
    image = BevRenderer(ramp).render(0.0, 0.0, 100.0, 1.0, 100, 1)[0]
    assert np.all(image[:, 3] == 255)
    brightness = image[:, :3].astype(int).sum(axis=1)
    assert brightness[-1] > brightness[0] + 300       # yellow over violet
    # viridis: green rises monotonically along the map
    assert np.all(np.diff(image[2:-2, 1].astype(int)) >= 0)


def test_missing_fields_and_bad_arguments_are_refused() -> None:
    plain = BevRenderer(cloud_of([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))
    assert plain.modes == ("height",)
    with pytest.raises(MediaError, match="rgb mode: the point cloud has no rgb field"):
        plain.set_mode("rgb")
    with pytest.raises(ValueError, match="unknown bird's-eye mode 'colour'"):
        plain.set_mode("colour")
    with pytest.raises(ValueError, match="not a finite rectangle"):
        plain.render(1.0, 0.0, 0.0, 1.0, 10, 10)
    with pytest.raises(ValueError, match="not a finite rectangle"):
        plain.render(0.0, 0.0, math.nan, 1.0, 10, 10)
    with pytest.raises(ValueError, match="view size 0 x 10"):
        plain.render(0.0, 0.0, 1.0, 1.0, 0, 10)
    with pytest.raises(ValueError, match="metres per pixel"):
        plain.level_for(0.0)


def test_empty_cloud_gives_transparent_images() -> None:
    empty = BevRenderer(cloud_of(np.zeros((0, 3))))
    assert not empty.render(0.0, 0.0, 10.0, 10.0, 32, 16).any()
    assert not empty.tile(0, 0, 0).any()
    assert empty.top_point(1.0, 1.0, 1.0) is None


def test_tiles_are_cached_read_only_and_within_budget(cloud: PointCloud) -> None:
    raster = BevRenderer(cloud, cache_bytes=3 * 2**20)
    level = raster.level_for(0.05)
    first = raster.tile(level, 1, -1)
    assert first.shape == (TILE, TILE, 4)
    assert not first.flags.writeable
    assert raster.tile(level, 1, -1) is first          # panning back: the same tile
    for col in range(-2, 8):
        for row in range(-3, 5):
            raster.tile(level, col, row)
    assert 0 < raster.cached_bytes <= 3 * 2**20
    raster.set_mode("rgb")
    coloured = raster.tile(level, 1, -1)
    assert not np.array_equal(coloured, first)
    raster.clear_cache()
    assert raster.cached_bytes == 0


def test_threads_render_the_same_images(cloud: PointCloud) -> None:
    raster = BevRenderer(cloud, cache_bytes=2 * 2**20)
    views = [(-10.0 + i, -3.0 + i / 2, 30.0 + i, 25.0, 160, 120) for i in range(8)]
    expected = [BevRenderer(cloud).render(*v) for v in views]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda v: raster.render(*v), views * 3))
    for position, image in enumerate(got):
        assert np.array_equal(image, expected[position % len(views)])


def test_progress_is_reported_and_can_cancel(cloud: PointCloud) -> None:
    calls: list[tuple[int, int]] = []
    BevRenderer(cloud, progress=lambda done, total: calls.append((done, total)) or None)
    assert calls
    assert calls[-1] == (len(cloud), len(cloud))
    with pytest.raises(Cancelled):
        BevRenderer(cloud, progress=lambda done, total: False)


def test_a_huge_extent_coarsens_the_leaves_and_stays_exact() -> None:
    """Points 300 km apart with millimetre spacing in places: the cell codes must still fit."""
    rng = np.random.default_rng(5)
    dense = rng.uniform(0, 0.5, (20_000, 3))
    far = np.array([[300_000.0, -250_000.0, 4.0], [-1000.0, 2000.0, 7.0]])
    sparse = cloud_of(np.concatenate([dense, far]))
    index = TopIndex(sparse)
    assert 2 * index.bits + 15 <= 64
    for level in (index.leaf, index.leaf + 3, index.leaf + 9, index.leaf - 4):
        for col, row in ((0, -1), (0, 0), (-1, -1)):
            got = index.tile_keys(level, col, row)
            expected = brute_tile(sparse, level, col, row)
            assert np.array_equal(expected, np.zeros_like(expected) if got is None else got)
    raster = BevRenderer(sparse)
    assert raster.top_point(300_000.0, -250_000.0, 10.0) == 20_000
