"""Generate synthetic, deterministic road-scene photographs (1280x720 JPEG).

Each scene is rendered with a pinhole camera looking down a straight four-lane road
(left-hand traffic, two lanes each way): sky with clouds, buildings, sidewalks with curbs,
solid edge lines, a double solid centre line, dashed lane lines, a stop line, a zebra
crosswalk, box-like cars, pedestrians and a traffic sign on a pole. Everything is drawn
with OpenCV in world coordinates and projected, so markings have correct perspective.

``road_002_exif6.jpg`` is stored rotated (portrait, 720x1280 pixels) with EXIF
Orientation = 6: a viewer that honours EXIF rotates it 90 degrees clockwise and shows the
same kind of upright 1280x720 landscape scene as the other two files.

Usage::

    python sample_data/make_road_images.py [--out-dir sample_data/images] [--seed 2024]
"""

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

WIDTH, HEIGHT = 1280, 720
QUALITY = 90
EXIF_ORIENTATION = 0x0112
DEFAULT_OUT = Path(__file__).resolve().parent / "images"

LANE_W = 3.5  # metres
ROAD_HALF = 2 * LANE_W  # carriageway half width (two lanes each way)
CURB_H = 0.15
SIDEWALK_W = 3.0
NEAR_Z = 0.5  # near clipping plane (metres)

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Camera:
    """Pinhole camera: x to the right, y down, z forward (metres); pixels (u, v)."""

    f: float = 900.0
    cx: float = WIDTH / 2
    cy: float = 330.0
    height: float = 1.5  # camera height above the road
    x: float = -1.75  # lateral position (left lane of the ego carriageway)

    def project(self, pts: np.ndarray) -> np.ndarray:
        """Project world points (N, 3) given as (x right, height up, z forward) to pixels."""
        pts = np.asarray(pts, dtype=np.float64)
        x = pts[:, 0] - self.x
        y = self.height - pts[:, 1]
        z = pts[:, 2]
        return np.stack([self.cx + self.f * x / z, self.cy + self.f * y / z], axis=1)


def _clip_near(poly: np.ndarray, near: float = NEAR_Z) -> np.ndarray:
    """Clip a world polygon (N, 3) against the plane z = ``near`` (Sutherland-Hodgman)."""
    out: list[np.ndarray] = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        a_in, b_in = a[2] >= near, b[2] >= near
        if a_in:
            out.append(a)
        if a_in != b_in:
            t = (near - a[2]) / (b[2] - a[2])
            out.append(a + t * (b - a))
    return np.array(out, dtype=np.float64).reshape(-1, 3)


class Renderer:
    """Draws world-space primitives into an RGB image."""

    def __init__(self, cam: Camera, img: np.ndarray) -> None:
        self.cam = cam
        self.img = img

    def poly(self, pts: list[tuple[float, float, float]] | np.ndarray, color: Color) -> None:
        """Fill a planar world polygon (anti-aliased, clipped at the near plane)."""
        world = _clip_near(np.asarray(pts, dtype=np.float64))
        if len(world) < 3:
            return
        px = np.round(self.cam.project(world) * 16).astype(np.int32)
        cv2.fillPoly(self.img, [px], color, lineType=cv2.LINE_AA, shift=4)

    def ground_rect(
        self, x0: float, x1: float, z0: float, z1: float, color: Color, h: float = 0.0
    ) -> None:
        """Fill an axis-aligned horizontal rectangle at height ``h``."""
        self.poly([(x0, h, z0), (x1, h, z0), (x1, h, z1), (x0, h, z1)], color)

    def disc(self, center: tuple[float, float, float], radius: float, color: Color) -> None:
        """Fill a vertical disc facing the camera (used for heads and round signs)."""
        if center[2] < NEAR_Z:
            return
        ((u, v),) = self.cam.project(np.array([center]))
        r = self.cam.f * radius / center[2]
        cv2.circle(
            self.img,
            (int(u * 16), int(v * 16)),
            max(int(r * 16), 16),
            color,
            thickness=-1,
            lineType=cv2.LINE_AA,
            shift=4,
        )

    def box(
        self,
        x0: float,
        x1: float,
        y0: float,
        y1: float,
        z0: float,
        z1: float,
        front: Color,
        side: Color,
        top: Color,
    ) -> None:
        """Draw the camera-facing faces of an axis-aligned box."""
        cx = self.cam.x
        if x1 < cx:  # box left of the camera: its right face is visible
            self.poly([(x1, y0, z0), (x1, y0, z1), (x1, y1, z1), (x1, y1, z0)], side)
        elif x0 > cx:
            self.poly([(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)], side)
        if y1 < self.cam.height:
            self.poly([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], top)
        self.poly([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], front)


def _shade(color: Color, k: float) -> Color:
    r, g, b = (int(np.clip(c * k, 0, 255)) for c in color)
    return (r, g, b)


def _draw_sky(img: np.ndarray, rng: np.random.Generator, cam: Camera, warm: float) -> None:
    horizon = int(cam.cy)
    t = np.linspace(0.0, 1.0, horizon + 1)[:, None]
    top = np.array([70, 120, 200]) * (1 - warm) + np.array([120, 110, 160]) * warm
    bottom = np.array([190, 215, 240]) * (1 - warm) + np.array([250, 200, 150]) * warm
    grad = top * (1 - t) + bottom * t
    img[: horizon + 1] = grad[:, None, :].astype(np.uint8)
    img[horizon + 1 :] = (110, 120, 100)  # distant ground below the horizon
    mask = np.zeros(img.shape[:2], np.float32)
    for _ in range(int(rng.integers(4, 9))):
        cxy = (int(rng.uniform(0, WIDTH)), int(rng.uniform(20, horizon * 0.7)))
        axes = (int(rng.uniform(60, 200)), int(rng.uniform(15, 45)))
        cv2.ellipse(mask, cxy, axes, 0, 0, 360, float(rng.uniform(0.4, 0.8)), -1)
    clouds = cv2.GaussianBlur(mask, (0, 0), 18)[..., None]
    img[:] = (img * (1 - clouds) + 245 * clouds).astype(np.uint8)


def _draw_buildings(r: Renderer, rng: np.random.Generator) -> None:
    for side in (-1, 1):
        z = 8.0
        xw = side * (ROAD_HALF + SIDEWALK_W + 1.0)
        while z < 160:
            depth = float(rng.uniform(10, 25))
            height = float(rng.uniform(6, 25))
            red, green, blue = (int(c) for c in rng.integers(120, 210, 3))
            base: Color = (red, green, blue)
            r.poly(
                [(xw, 0, z), (xw, 0, z + depth), (xw, height, z + depth), (xw, height, z)],
                _shade(base, 0.85),
            )
            # window rows
            for wy in np.arange(1.5, height - 1.0, 3.0):
                for wz in np.arange(z + 1.0, z + depth - 1.5, 2.5):
                    r.poly(
                        [
                            (xw, wy, wz),
                            (xw, wy, wz + 1.2),
                            (xw, wy + 1.4, wz + 1.2),
                            (xw, wy + 1.4, wz),
                        ],
                        (60, 75, 95),
                    )
            z += depth + float(rng.uniform(0, 6))


def _draw_road(r: Renderer, far: float, stop_z: float, cw_z: float) -> None:
    white, yellow = (235, 235, 230), (230, 185, 40)
    # sidewalks and curbs
    for side in (-1, 1):
        x_in, x_out = side * ROAD_HALF, side * (ROAD_HALF + SIDEWALK_W)
        r.ground_rect(min(x_in, x_out), max(x_in, x_out), NEAR_Z, far, (165, 160, 150), CURB_H)
        r.poly(
            [(x_in, 0, NEAR_Z), (x_in, 0, far), (x_in, CURB_H, far), (x_in, CURB_H, NEAR_Z)],
            (190, 188, 180),
        )
        x_far = side * 400.0
        r.ground_rect(min(x_out, x_far), max(x_out, x_far), NEAR_Z, far, (95, 120, 70), CURB_H)
    r.ground_rect(-ROAD_HALF, ROAD_HALF, NEAR_Z, far, (78, 78, 82))
    # solid edge lines
    for x in (-ROAD_HALF + 0.2, ROAD_HALF - 0.35):
        r.ground_rect(x, x + 0.15, NEAR_Z, far, white)
    # double solid centre line (interrupted by the crosswalk)
    for x in (-0.25, 0.1):
        r.ground_rect(x, x + 0.15, NEAR_Z, stop_z, yellow)
        r.ground_rect(x, x + 0.15, cw_z + 4.5, far, yellow)
    # dashed lane lines: 5 m on / 5 m off (scaled-down Japanese 5/10 pattern)
    for x in (-LANE_W - 0.075, LANE_W - 0.075):
        for z in np.arange(2.0, far, 10.0):
            if stop_z - 3 < z < cw_z + 4.5 or (z < stop_z < z + 5):
                continue
            r.ground_rect(x, x + 0.15, z, z + 5.0, white)
    # stop line across the ego carriageway, crosswalk across the whole road
    r.ground_rect(-ROAD_HALF + 0.2, -0.25, stop_z, stop_z + 0.45, white)
    for x in np.arange(-ROAD_HALF + 0.5, ROAD_HALF - 0.5, 0.9):
        r.ground_rect(x, x + 0.45, cw_z, cw_z + 4.0, white)


def _draw_pole_sign(r: Renderer, x: float, z: float, kind: int) -> None:
    r.poly(
        [(x - 0.05, CURB_H, z), (x + 0.05, CURB_H, z), (x + 0.05, 3.4, z), (x - 0.05, 3.4, z)],
        (120, 125, 130),
    )
    if kind == 0:  # Japanese stop sign: red inverted triangle with white border
        pts = [(x - 0.45, 3.5, z), (x + 0.45, 3.5, z), (x, 2.7, z)]
        r.poly(pts, (245, 245, 245))
        r.poly([(x - 0.36, 3.45, z), (x + 0.36, 3.45, z), (x, 2.8, z)], (200, 30, 35))
    else:  # speed limit: white disc, red ring
        r.disc((x, 3.1, z), 0.32, (200, 30, 35))
        r.disc((x, 3.1, z), 0.25, (245, 245, 245))
        r.disc((x, 3.1, z), 0.08, (40, 60, 160))


def _draw_car(r: Renderer, x: float, z: float, body: Color, oncoming: bool) -> None:
    w, length = 1.8, 4.5
    x0, x1, z0, z1 = x - w / 2, x + w / 2, z, z + length
    r.poly(
        [
            (x0 + 0.1, 0.0, z0 + 0.1),
            (x1 - 0.1, 0.0, z0 + 0.1),
            (x1 - 0.1, 0.0, z1),
            (x0 + 0.1, 0.0, z1),
        ],
        (30, 30, 32),
    )  # shadow
    for wz in (z0 + 0.8, z1 - 0.8):  # wheels
        for wx in (x0, x1 - 0.25):
            r.box(
                wx,
                wx + 0.25,
                0.0,
                0.65,
                wz - 0.35,
                wz + 0.35,
                (20, 20, 20),
                (25, 25, 25),
                (25, 25, 25),
            )
    r.box(x0, x1, 0.25, 0.95, z0, z1, body, _shade(body, 0.7), _shade(body, 1.15))
    cab_z0 = z0 + (1.4 if oncoming else 1.0)
    r.box(
        x0 + 0.15,
        x1 - 0.15,
        0.95,
        1.45,
        cab_z0,
        cab_z0 + 2.1,
        (50, 60, 75),
        (45, 55, 70),
        _shade(body, 1.1),
    )
    light = (250, 245, 210) if oncoming else (210, 20, 25)
    for lx in (x0 + 0.1, x1 - 0.4):
        r.poly(
            [
                (lx, 0.7, z0 - 0.01),
                (lx + 0.3, 0.7, z0 - 0.01),
                (lx + 0.3, 0.85, z0 - 0.01),
                (lx, 0.85, z0 - 0.01),
            ],
            light,
        )
    r.poly(
        [
            (x - 0.25, 0.4, z0 - 0.01),
            (x + 0.25, 0.4, z0 - 0.01),
            (x + 0.25, 0.52, z0 - 0.01),
            (x - 0.25, 0.52, z0 - 0.01),
        ],
        (240, 240, 240),
    )  # number plate


def _draw_pedestrian(r: Renderer, x: float, z: float, h: float, shirt: Color) -> None:
    base = CURB_H if abs(x) > ROAD_HALF else 0.0
    legs = (40, 45, 70)
    r.poly(
        [
            (x - 0.18, base, z),
            (x - 0.04, base, z),
            (x - 0.04, base + 0.85, z),
            (x - 0.18, base + 0.85, z),
        ],
        legs,
    )
    r.poly(
        [
            (x + 0.04, base, z),
            (x + 0.18, base, z),
            (x + 0.18, base + 0.85, z),
            (x + 0.04, base + 0.85, z),
        ],
        legs,
    )
    r.poly(
        [
            (x - 0.22, base + 0.8, z),
            (x + 0.22, base + 0.8, z),
            (x + 0.2, base + h - 0.3, z),
            (x - 0.2, base + h - 0.3, z),
        ],
        shirt,
    )
    r.disc((x, base + h - 0.13, z), 0.12, (225, 190, 160))


def render_scene(seed: int) -> np.ndarray:
    """Render one upright 720x1280x3 uint8 RGB road scene, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    cam = Camera(f=float(rng.uniform(850, 950)), cy=float(rng.uniform(315, 345)))
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    _draw_sky(img, rng, cam, warm=float(rng.uniform(0.0, 0.6)))
    r = Renderer(cam, img)
    far = 1000.0
    stop_z = float(rng.uniform(16, 28))
    cw_z = stop_z + 2.0
    _draw_road(r, far, stop_z, cw_z)
    _draw_buildings(r, rng)

    # Objects are drawn far-to-near (painter's algorithm).
    items: list[tuple[float, str, dict[str, Any]]] = []
    lanes = [-5.25, -1.75, 1.75, 5.25]
    for _ in range(int(rng.integers(3, 6))):
        lane = float(rng.choice(lanes))
        z = float(rng.uniform(9, 70))
        if lane == cam.x and z < 14:
            z += 12.0
        color = tuple(
            int(c)
            for c in rng.choice(
                [(200, 30, 30), (230, 230, 230), (30, 30, 35), (40, 80, 160), (150, 150, 155)]
            )
        )
        items.append(
            (
                z,
                "car",
                {
                    "x": lane + float(rng.uniform(-0.3, 0.3)),
                    "z": z,
                    "body": color,
                    "oncoming": lane > 0,
                },
            )
        )
    for _ in range(int(rng.integers(2, 5))):
        on_crosswalk = rng.random() < 0.5
        x = (
            float(rng.uniform(-6, 6))
            if on_crosswalk
            else float(
                rng.choice([-1, 1]) * rng.uniform(ROAD_HALF + 0.6, ROAD_HALF + SIDEWALK_W - 0.4)
            )
        )
        z = cw_z + float(rng.uniform(0.5, 3.5)) if on_crosswalk else float(rng.uniform(6, 45))
        shirt = tuple(int(c) for c in rng.integers(30, 230, 3))
        items.append(
            (z, "ped", {"x": x, "z": z, "h": float(rng.uniform(1.55, 1.85)), "shirt": shirt})
        )
    items.append((stop_z - 1.0, "sign", {"x": -ROAD_HALF - 0.5, "z": stop_z - 1.0, "kind": 0}))
    items.append((55.0, "sign", {"x": ROAD_HALF + 0.5, "z": 55.0, "kind": 1}))
    for _, kind, kw in sorted(items, key=lambda it: -it[0]):
        if kind == "car":
            _draw_car(r, **kw)
        elif kind == "ped":
            _draw_pedestrian(r, **kw)
        else:
            _draw_pole_sign(r, **kw)

    # camera look: slight blur, vignetting and sensor noise
    out = cv2.GaussianBlur(img, (0, 0), 0.8).astype(np.float32)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    rad2 = ((xx - WIDTH / 2) / WIDTH) ** 2 + ((yy - HEIGHT / 2) / HEIGHT) ** 2
    out *= (1.0 - 0.35 * rad2)[..., None]
    out += rng.normal(0.0, 2.0, (HEIGHT, WIDTH, 3)).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def write_images(out_dir: Path = DEFAULT_OUT, seed: int = 2024) -> list[Path]:
    """Write ``road_000.jpg``, ``road_001.jpg`` and ``road_002_exif6.jpg`` to ``out_dir``.

    The third file stores its pixels rotated 90 degrees counter-clockwise and carries
    EXIF Orientation 6 ("rotate 90 CW to display"), so the displayed image is upright.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for i in range(3):
        upright = Image.fromarray(render_scene(seed + i), "RGB")
        if i == 2:
            stored = upright.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise
            exif = stored.getexif()
            exif[EXIF_ORIENTATION] = 6
            path = out_dir / f"road_{i:03d}_exif6.jpg"
            stored.save(path, "JPEG", quality=QUALITY, optimize=True, exif=exif.tobytes())
        else:
            path = out_dir / f"road_{i:03d}.jpg"
            upright.save(path, "JPEG", quality=QUALITY, optimize=True)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    for path in write_images(args.out_dir, args.seed):
        with Image.open(path) as img:
            orientation = img.getexif().get(EXIF_ORIENTATION, 1)
            print(
                f"{path}: stored {img.size[0]}x{img.size[1]}, EXIF orientation "
                f"{orientation}, {path.stat().st_size} B"
            )


if __name__ == "__main__":
    main()
