"""Generate a synthetic, deterministic mobile-mapping point-cloud tile of an urban road.

The scene is a straight road segment, as a mobile mapping system (MMS) driving along it would
record it:

* a four-lane carriageway (two lanes each way, 3.5 m lanes, left-hand traffic as in Japan)
  with a 2 % crown, a longitudinal grade and a few centimetres of long-wave undulation;
* lane markings as high-intensity stripes: solid edge lines, a double solid centre line,
  dashed lane lines (3 m on / 3 m off), a stop line and a zebra crosswalk at the far end;
* 15 cm curbs with 3 m sidewalks (paving-tile joints visible in intensity);
* building facades with windows on the left (north) side, a grass verge on the right side;
* 3-5 poles (6-8 m, some with a street-light arm) and a traffic-sign plate (Japanese stop
  sign, inverted triangle) on a pole next to the stop line;
* 3-5 parked / driving cars as box-like point shells with cabin, glass and wheels (the road
  under them is occluded, i.e. has no points).

Coordinates
-----------
Local road frame: ``s`` along the road (0 .. length), ``t`` lateral, positive to the left of
the driving direction +s, ``h`` up. The tile origin ``(x0, y0, z0)`` is the road centre line
at ``s = 0``; with ``heading_deg = 0`` the road runs east (+x) and the tile spans
``x0 .. x0 + length`` and ``y0 - 12 .. y0 + 12`` (plus curb / noise), ``z`` about ``z0``.

Default CRS: JGD2011 / Japan Plane Rectangular CS IX (EPSG:6677), metres. LAS ``x`` is the
easting (the EPSG "Y" axis) and LAS ``y`` the northing (the EPSG "X" axis), the usual GIS
(x = east, y = north) order. The default origin (x=-12000, y=-35000) lies near Shinjuku,
Tokyo (139.7008 E, 35.6845 N). Heights are nominal orthometric metres.

Classification (ASPRS LAS 1.4; 64+ are user-definable codes, hence point format 6)
----------------------------------------------------------------------------------------
2 ground (sidewalks, curbs, alley ground), 3 low vegetation (grass verge), 6 building
(facades), 11 road surface (asphalt *and* markings: markings are told apart by intensity),
64 pole, 65 traffic sign, 66 vehicle.

Usage::

    python sample_data/make_road_tile.py --out tile.laz [--seed 0] [--length 60]
"""

import argparse
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import laspy
import numpy as np
import pyproj

DEFAULT_CRS = "EPSG:6677"
DEFAULT_ORIGIN: tuple[float, float, float] = (-12000.0, -35000.0, 40.0)

CLASS_GROUND = 2
CLASS_LOW_VEGETATION = 3
CLASS_BUILDING = 6
CLASS_ROAD = 11
CLASS_POLE = 64
CLASS_SIGN = 65
CLASS_VEHICLE = 66
CLASS_NAMES: dict[int, str] = {
    CLASS_GROUND: "ground",
    CLASS_LOW_VEGETATION: "low vegetation",
    CLASS_BUILDING: "building",
    CLASS_ROAD: "road surface",
    CLASS_POLE: "pole",
    CLASS_SIGN: "traffic sign",
    CLASS_VEHICLE: "vehicle",
}

LANE_W = 3.5
ROAD_HALF = 2 * LANE_W  # carriageway half width (edge of the outer lanes)
CURB_T = ROAD_HALF + 0.25  # curb line (gutter between edge line and curb)
CURB_H = 0.15
SIDEWALK_W = 3.0
FACADE_T = CURB_T + SIDEWALK_W
TILE_HALF_W = 12.0
CROWN = 0.02  # cross slope of the carriageway
LINE_W = 0.15  # width of longitudinal markings

SCAN_SPEED = 10.0  # m/s of the simulated MMS vehicle (drives in the +s direction)
SENSOR_T, SENSOR_H = LANE_W / 2, 2.2  # sensor position in the road frame
#: Adjusted Standard GPS time (GPS seconds - 1e9) of the first scan line: 2024-05-15 10:00 JST.
SCAN_START_GPS = (
    (
        dt.datetime(2024, 5, 15, 1, 0, tzinfo=dt.UTC) - dt.datetime(1980, 1, 6, tzinfo=dt.UTC)
    ).total_seconds()
    + 18.0
    - 1e9
)

PointArrays = dict[str, np.ndarray]


@dataclass
class _Car:
    s: float
    t: float
    yaw: float  # radians, in the (s, t) plane
    length: float
    width: float
    height: float
    instance: int


@dataclass
class _Pole:
    s: float
    t: float
    height: float
    radius: float
    arm: bool
    instance: int


@dataclass
class _Facade:
    s0: float
    s1: float
    height: float
    window_phase: float
    instance: int


@dataclass
class _Layout:
    length: float
    grade: float
    waves: np.ndarray  # (k, 4): amplitude, k_s, k_t, phase
    stop_s: float
    crosswalk_s: float
    cars: list[_Car] = field(default_factory=list)
    poles: list[_Pole] = field(default_factory=list)
    sign_pole: int = 0  # index into poles
    sign_instance: int = 0
    facades: list[_Facade] = field(default_factory=list)

    def ground_z(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Height of the ground surface (road, curb top, sidewalk, verge) above z0."""
        s = np.asarray(s, dtype=np.float64)
        t = np.abs(np.asarray(t, dtype=np.float64))
        a, ks, kt, ph = (self.waves[:, i, None] for i in range(4))
        waves = (a * np.sin(ks * s.ravel() + kt * t.ravel() + ph)).sum(axis=0).reshape(s.shape)
        z = self.grade * s + waves - CROWN * np.minimum(t, CURB_T)
        side = t > CURB_T
        out: np.ndarray = z + np.where(side, CURB_H + 0.015 * (t - CURB_T), 0.0)
        return out


def _make_layout(rng: np.random.Generator, length: float) -> _Layout:
    """Draw every random scene decision (independent of the point density)."""
    waves = np.column_stack(
        [
            rng.uniform(0.008, 0.018, 4),
            2 * np.pi / rng.uniform(6.0, 30.0, 4) * rng.choice([-1, 1], 4),
            2 * np.pi / rng.uniform(8.0, 40.0, 4),
            rng.uniform(0, 2 * np.pi, 4),
        ]
    )
    crosswalk_s = length - 6.0
    lay = _Layout(
        length=length,
        grade=float(rng.uniform(-0.02, 0.02)),
        waves=waves,
        stop_s=crosswalk_s - 2.45,
        crosswalk_s=crosswalk_s,
    )
    instance = 1

    # facades on the left (north for heading 0) side, with alleys between buildings
    s = float(rng.uniform(-6.0, 0.0))
    while s < length:
        seg = float(rng.uniform(8.0, 20.0))
        lay.facades.append(
            _Facade(
                s,
                min(s + seg, length),
                float(rng.uniform(6.0, 15.0)),
                float(rng.uniform(0, 2.5)),
                instance,
            )
        )
        instance += 1
        s += seg + (0.0 if rng.random() < 0.4 else float(rng.uniform(1.5, 3.5)))

    # poles: a sign pole just before the stop line (left side), 2-4 others on both sides
    lay.poles.append(
        _Pole(
            lay.stop_s - 1.5,
            CURB_T + 0.5,
            float(rng.uniform(6.0, 8.0)),
            float(rng.uniform(0.09, 0.13)),
            False,
            instance,
        )
    )
    instance += 1
    lay.sign_instance = instance
    instance += 1
    n_more = int(rng.integers(2, 5))
    for _ in range(200):
        if len(lay.poles) > n_more:
            break
        side = float(rng.choice([-1.0, 1.0]))
        ps = float(rng.uniform(2.0, length - 2.0))
        if any(p.t * side > 0 and abs(p.s - ps) < 8.0 for p in lay.poles):
            continue
        lay.poles.append(
            _Pole(
                ps,
                side * (CURB_T + 0.5),
                float(rng.uniform(6.0, 8.0)),
                float(rng.uniform(0.09, 0.14)),
                bool(rng.random() < 0.6),
                instance,
            )
        )
        instance += 1

    # cars: in lane centres (driving) or close to the curb (parked), before the stop line
    n_cars = int(rng.integers(3, 6))
    lanes = [-ROAD_HALF + LANE_W / 2, -LANE_W / 2, LANE_W / 2, ROAD_HALF - LANE_W / 2]
    for _ in range(500):
        if len(lay.cars) >= n_cars:
            break
        lane = float(rng.choice(lanes))
        parked = abs(lane) > LANE_W and rng.random() < 0.5
        t = np.sign(lane) * (ROAD_HALF - 1.1) if parked else lane + float(rng.normal(0, 0.15))
        clen = float(rng.uniform(4.0, 4.9))
        cs = float(rng.uniform(clen / 2 + 1.0, lay.stop_s - 0.8 - clen / 2))
        if any(
            abs(c.t - t) < 2.5 and abs(c.s - cs) < (c.length + clen) / 2 + 1.5 for c in lay.cars
        ):
            continue
        yaw = (0.0 if lane > 0 else np.pi) + float(rng.normal(0, 0.05 if parked else 0.02))
        lay.cars.append(
            _Car(
                cs,
                float(t),
                yaw,
                clen,
                float(rng.uniform(1.68, 1.85)),
                float(rng.uniform(1.42, 1.60)),
                instance,
            )
        )
        instance += 1
    return lay


class _Points:
    """Collects point chunks in the local road frame."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        s: np.ndarray,
        t: np.ndarray,
        z: np.ndarray,
        intensity: np.ndarray,
        cls: int | np.ndarray,
        inst: int | np.ndarray = 0,
    ) -> None:
        """Append points; ``cls`` / ``inst`` may be scalars."""
        n = len(s)
        self.parts.append(
            (
                s,
                t,
                z,
                np.broadcast_to(np.asarray(intensity, float), n),
                np.broadcast_to(np.asarray(cls, np.uint8), n),
                np.broadcast_to(np.asarray(inst, np.uint16), n),
            )
        )

    def stacked(self) -> tuple[np.ndarray, ...]:
        """Concatenate all chunks: s, t, z, intensity, classification, instance."""
        return tuple(np.concatenate(col) for col in zip(*self.parts, strict=True))


def _count(rng: np.random.Generator, area: float, density: float) -> int:
    return int(rng.poisson(max(area, 0.0) * density))


def _marking_mask(lay: _Layout, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Return a mask of the (s, t) positions that lie on a painted road marking."""

    def stripe(center: float) -> np.ndarray:
        return np.abs(t - center) < LINE_W / 2

    open_road = s < lay.stop_s - 0.5
    at = np.abs(t)
    edge = np.abs(at - (ROAD_HALF - LINE_W / 2)) < LINE_W / 2
    centre = (stripe(0.15) | stripe(-0.15)) & ((s < lay.crosswalk_s) | (s > lay.crosswalk_s + 4))
    dashed = (stripe(LANE_W) | stripe(-LANE_W)) & (np.mod(s, 6.0) < 3.0) & open_road
    stop = (s >= lay.stop_s) & (s < lay.stop_s + 0.45) & (t > 0.3) & (t < ROAD_HALF - LINE_W)
    in_cw = (s >= lay.crosswalk_s) & (s < lay.crosswalk_s + 4.0) & (at < ROAD_HALF - 0.5)
    zebra = in_cw & (np.mod(t + ROAD_HALF - 0.5, 0.9) < 0.45)
    mask: np.ndarray = edge | centre | dashed | stop | zebra
    return mask


def _under_cars(lay: _Layout, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Return a mask of the ground points occluded by a car body."""
    hidden = np.zeros(s.shape, bool)
    for c in lay.cars:
        ds, dt_ = s - c.s, t - c.t
        a = ds * np.cos(c.yaw) + dt_ * np.sin(c.yaw)
        b = -ds * np.sin(c.yaw) + dt_ * np.cos(c.yaw)
        hidden |= (np.abs(a) < c.length / 2 - 0.1) & (np.abs(b) < c.width / 2 - 0.1)
    return hidden


def _ground(
    pts: _Points, lay: _Layout, rng: np.random.Generator, density: float, noise: float
) -> None:
    length = lay.length
    # carriageway (asphalt + markings)
    n = _count(rng, length * 2 * CURB_T, density)
    s, t = rng.uniform(0, length, n), rng.uniform(-CURB_T, CURB_T, n)
    keep = ~_under_cars(lay, s, t)
    s, t = s[keep], t[keep]
    mark = _marking_mask(lay, s, t)
    inten = rng.gamma(9.0, 800.0, len(s))  # asphalt: mean ~7200
    worn = rng.random(len(s)) < 0.12
    inten = np.where(
        mark,
        np.where(worn, rng.normal(20000, 4000, len(s)), rng.normal(44000, 5000, len(s))),
        inten,
    )
    z = lay.ground_z(s, t) + mark * 0.003 + rng.normal(0, noise, len(s))
    pts.add(s, t, z, inten, CLASS_ROAD)

    for side in (-1.0, 1.0):
        # curb face (vertical, seen at a grazing angle: double density)
        n = _count(rng, length * CURB_H, 2 * density)
        s, h = rng.uniform(0, length, n), rng.uniform(0, CURB_H, n)
        t = np.full(n, side * CURB_T) + rng.normal(0, noise / 3, n)
        z = lay.ground_z(s, np.full(n, side * (CURB_T - 1e-6))) + h
        pts.add(s, t, z, rng.normal(16000, 2500, n), CLASS_GROUND)
        # sidewalk with paving-tile joints (0.3 m tiles)
        n = _count(rng, length * SIDEWALK_W, density)
        s = rng.uniform(0, length, n)
        t = side * rng.uniform(CURB_T, FACADE_T, n)
        joint = (np.mod(s, 0.3) < 0.02) | (np.mod(np.abs(t) - CURB_T, 0.3) < 0.02)
        inten = rng.normal(15000, 2500, n) * np.where(joint, 0.6, 1.0)
        pts.add(s, t, lay.ground_z(s, t) + rng.normal(0, noise, n), inten, CLASS_GROUND)

    # right side: grass verge
    n = _count(rng, length * (TILE_HALF_W - FACADE_T), density)
    s, t = rng.uniform(0, length, n), -rng.uniform(FACADE_T, TILE_HALF_W, n)
    z = lay.ground_z(s, t) + rng.uniform(0.0, 0.15, n) + rng.normal(0, noise, n)
    pts.add(s, t, z, rng.normal(24000, 5000, n), CLASS_LOW_VEGETATION)

    # left side: ground visible only in the alleys between buildings
    n = _count(rng, length * (TILE_HALF_W - FACADE_T), density)
    s, t = rng.uniform(0, length, n), rng.uniform(FACADE_T, TILE_HALF_W, n)
    s0 = np.array([f.s0 for f in lay.facades])
    s1 = np.array([f.s1 for f in lay.facades])
    gap = ~((s[:, None] >= s0) & (s[:, None] < s1)).any(axis=1)
    s, t = s[gap], t[gap]
    pts.add(
        s,
        t,
        lay.ground_z(s, t) + rng.normal(0, noise, len(s)),
        rng.normal(13000, 2500, len(s)),
        CLASS_GROUND,
    )


def _facades(
    pts: _Points, lay: _Layout, rng: np.random.Generator, density: float, noise: float
) -> None:
    for f in lay.facades:
        s0 = max(f.s0, 0.0)
        n = _count(rng, (f.s1 - s0) * f.height, 0.5 * density)
        s, h = rng.uniform(s0, f.s1, n), rng.uniform(0, f.height, n)
        t = FACADE_T + rng.normal(0, noise / 2, n)
        floor_h = np.mod(h, 3.0)
        window = (
            (floor_h > 0.9)
            & (floor_h < 2.2)
            & (h > 3.0)
            & (h < f.height - 1.0)
            & (np.mod(s - f.s0 + f.window_phase, 2.5) < 1.3)
        )
        keep = ~window | (rng.random(n) < 0.15)  # glass returns few points, recessed
        s, h, t, window = s[keep], h[keep], t[keep], window[keep]
        t = t + window * 0.15
        inten = np.where(window, rng.normal(3000, 800, len(s)), rng.normal(17000, 3000, len(s)))
        base = lay.ground_z(s, np.full(len(s), FACADE_T))
        pts.add(s, t, base + h, inten, CLASS_BUILDING, f.instance)


def _poles(
    pts: _Points, lay: _Layout, rng: np.random.Generator, density: float, noise: float
) -> None:
    for i, p in enumerate(lay.poles):
        base = float(lay.ground_z(np.array([p.s]), np.array([p.t]))[0])
        towards_road = -np.pi / 2 if p.t > 0 else np.pi / 2
        arc = np.deg2rad(220.0)  # only the road-facing part of the pole is scanned
        n = _count(rng, arc * p.radius * p.height, 3 * density)
        phi = towards_road + rng.uniform(-arc / 2, arc / 2, n)
        h = rng.uniform(0, p.height, n)
        r = p.radius * (1.0 - 0.3 * h / p.height) + rng.normal(0, noise / 4, n)
        pts.add(
            p.s + r * np.cos(phi),
            p.t + r * np.sin(phi),
            base + h,
            rng.normal(21000, 3000, n),
            CLASS_POLE,
            p.instance,
        )
        if p.arm:  # street-light arm reaching 1.6 m over the road, with a lamp head
            n = _count(rng, 1.6 * 2 * np.pi * 0.05, 3 * density)
            u, phi = rng.uniform(0, 1.6, n), rng.uniform(0, 2 * np.pi, n)
            direction = -np.sign(p.t)
            pts.add(
                p.s + 0.05 * np.cos(phi),
                p.t + direction * u,
                base + p.height - 0.3 + 0.05 * np.sin(phi) + 0.1 * u,
                rng.normal(21000, 3000, n),
                CLASS_POLE,
                p.instance,
            )
            n = _count(rng, 0.5 * 0.3, 3 * density)
            pts.add(
                p.s + rng.uniform(-0.15, 0.15, n),
                p.t + direction * rng.uniform(1.3, 1.8, n),
                np.full(n, base + p.height - 0.3 + 0.16 - 0.1),
                rng.normal(30000, 3000, n),
                CLASS_POLE,
                p.instance,
            )
        if i == lay.sign_pole:
            _sign_plate(pts, lay, rng, p, base, density)


def _sign_plate(
    pts: _Points, lay: _Layout, rng: np.random.Generator, p: _Pole, base: float, density: float
) -> None:
    """Inverted-triangle stop sign (0.8 m sides) facing the approaching (+s) traffic."""
    side, centre_h = 0.8, 2.6
    top = centre_h + side * np.sqrt(3) / 6
    bottom = centre_h - side * np.sqrt(3) / 3
    n = _count(rng, side * (top - bottom), 6 * density)
    u, h = rng.uniform(-side / 2, side / 2, n), rng.uniform(bottom, top, n)
    half = side / 2 * (h - bottom) / (top - bottom)
    inside = np.abs(u) <= half
    u, h, half = u[inside], h[inside], half[inside]
    border = np.minimum(half - np.abs(u), top - h) < 0.06
    front = rng.random(len(u)) < 0.8
    inten = np.where(border, rng.normal(62000, 1500, len(u)), rng.normal(47000, 3000, len(u)))
    inten = np.where(front, inten, rng.normal(14000, 2000, len(u)))
    s = p.s - p.radius - 0.03 + np.where(front, 0.0, 0.004)
    pts.add(s, p.t + u, base + h, inten, CLASS_SIGN, lay.sign_instance)


def _quad(
    rng: np.random.Generator,
    p0: tuple[float, ...],
    u: tuple[float, ...],
    v: tuple[float, ...],
    n: int,
) -> np.ndarray:
    a, b = rng.random((2, n, 1))
    out: np.ndarray = np.asarray(p0) + a * np.asarray(u) + b * np.asarray(v)
    return out


def _car(
    pts: _Points, lay: _Layout, rng: np.random.Generator, c: _Car, density: float, noise: float
) -> None:
    """Box-like car shell in the car frame (a forward, b left, h up), then placed."""
    hl, hw, hb0, belt = c.length / 2, c.width / 2, 0.3, 0.95
    cab_f, cab_r = hl - float(rng.uniform(1.1, 1.4)), -hl + float(rng.uniform(0.6, 0.9))
    wc, ws, wr = hw - 0.08, 0.7, 0.35  # cabin half width, windscreen / rear window run
    paint = float(rng.uniform(6000, 32000))
    chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (points (n,3), intensity)

    def face(
        p0: tuple[float, ...],
        u: tuple[float, ...],
        v: tuple[float, ...],
        inten: float,
        glass: bool = False,
    ) -> np.ndarray:
        area = float(np.linalg.norm(np.cross(u, v)))
        q = _quad(rng, p0, u, v, _count(rng, area, density))
        if glass:
            q = q[rng.random(len(q)) < 0.35]
        chunks.append((q, rng.normal(inten, 0.08 * inten, len(q))))
        return q

    wheels_a = (hl - 0.85, -hl + 0.85)
    for sb in (-hw, hw):
        side = face((-hl, sb, hb0), (2 * hl, 0, 0), (0, 0, belt - hb0), paint)
        arch = np.zeros(len(side), bool)
        for wa in wheels_a:
            arch |= np.hypot(side[:, 0] - wa, side[:, 2] - 0.32) < 0.36
        chunks[-1] = (side[~arch], chunks[-1][1][~arch])
        for wa in wheels_a:  # tyres
            q = _quad(
                rng,
                (wa - 0.32, sb * 0.97, 0.0),
                (0.64, 0, 0),
                (0, 0, 0.64),
                _count(rng, 0.64 * 0.64, density),
            )
            q = q[np.hypot(q[:, 0] - wa, q[:, 2] - 0.32) < 0.32]
            chunks.append((q, rng.normal(5000, 800, len(q))))
        cab = face(
            (cab_r, np.sign(sb) * wc, belt),
            (cab_f - cab_r, 0, 0),
            (0, 0, c.height - belt),
            3000.0,
            glass=True,
        )
        f = (cab[:, 2] - belt) / (c.height - belt)
        ok = (cab[:, 0] >= cab_r + wr * f) & (cab[:, 0] <= cab_f - ws * f)
        chunks[-1] = (cab[ok], chunks[-1][1][ok])
    face((hl, -hw, hb0), (0, 2 * hw, 0), (0, 0, belt - hb0), paint)  # front
    rear = face((-hl, -hw, hb0), (0, 2 * hw, 0), (0, 0, belt - hb0), paint)
    plate = (np.abs(rear[:, 1]) < 0.26) & (rear[:, 2] > 0.45) & (rear[:, 2] < 0.6)
    lamps = (np.abs(rear[:, 1]) > hw - 0.35) & (rear[:, 2] > 0.72) & (rear[:, 2] < 0.88)
    chunks[-1] = (rear, np.where(plate, 55000.0, np.where(lamps, 30000.0, chunks[-1][1])))
    face((cab_f, -hw, belt), (hl - cab_f, 0, 0), (0, 2 * hw, 0), paint)  # bonnet
    face((-hl, -hw, belt), (cab_r + hl, 0, 0), (0, 2 * hw, 0), paint)  # boot
    face((cab_f, -wc, belt), (0, 2 * wc, 0), (-ws, 0, c.height - belt), 3000.0, glass=True)
    face((cab_r, -wc, belt), (0, 2 * wc, 0), (wr, 0, c.height - belt), 3000.0, glass=True)
    face((cab_r + wr, -wc, c.height), (cab_f - ws - cab_r - wr, 0, 0), (0, 2 * wc, 0), paint)

    q = np.concatenate([ch[0] for ch in chunks])
    inten = np.concatenate([ch[1] for ch in chunks])
    q = q + rng.normal(0, noise / 4, q.shape)
    cos, sin = np.cos(c.yaw), np.sin(c.yaw)
    s = c.s + q[:, 0] * cos - q[:, 1] * sin
    t = c.t + q[:, 0] * sin + q[:, 1] * cos
    base = float(lay.ground_z(np.array([c.s]), np.array([c.t]))[0])
    pts.add(s, t, base + q[:, 2], inten, CLASS_VEHICLE, c.instance)


def make_tile(
    seed: int = 0,
    length: float = 60.0,
    origin: tuple[float, float, float] = DEFAULT_ORIGIN,
    *,
    density: float = 120.0,
    noise: float = 0.02,
    heading_deg: float = 0.0,
) -> PointArrays:
    """Generate the points of one synthetic road tile.

    Args:
        seed: random seed; the output is fully deterministic for given arguments, and the
            scene layout (cars, poles, buildings) depends only on ``seed`` and ``length``.
        length: road length in metres (at least 20).
        origin: ``(x, y, z)`` of the road centre line at the start of the tile, in the
            tile CRS (default EPSG:6677, x = easting, y = northing).
        density: points per square metre on the ground (vertical surfaces use multiples).
        noise: standard deviation (m) of the range noise on ground points.
        heading_deg: road direction, counter-clockwise from east (+x).

    Returns:
        dict of equally long arrays sorted by ``gps_time``: ``x``, ``y``, ``z`` (float64,
        quantised to 1 mm), ``intensity`` (uint16), ``classification`` (uint8),
        ``instance_id`` (uint16, 0 = no object; one id per car, pole, sign, building) and
        ``gps_time`` (float64, Adjusted Standard GPS time).

    """
    if length < 20.0:
        raise ValueError("length must be at least 20 m")
    layout = _make_layout(np.random.default_rng([seed, 0]), float(length))
    rng = np.random.default_rng([seed, 1])
    pts = _Points()
    _ground(pts, layout, rng, density, noise)
    _facades(pts, layout, rng, density, noise)
    _poles(pts, layout, rng, density, noise)
    for car in layout.cars:
        _car(pts, layout, rng, car, density, noise)
    s, t, z, inten, cls, inst = pts.stacked()

    # range-dependent intensity fall-off, as seen from the sensor on the vehicle
    rng_t, rng_h = t - SENSOR_T, z - SENSOR_H
    falloff = 1.0 - 0.25 * np.clip(np.hypot(rng_t, rng_h) / 15.0, 0.0, 1.0)
    intensity = np.clip(np.round(inten * falloff), 0, 65535).astype(np.uint16)
    gps_time = SCAN_START_GPS + s / SCAN_SPEED + rng.uniform(0, 0.01, len(s))
    order = np.argsort(gps_time, kind="stable")

    head = np.deg2rad(heading_deg)
    x = origin[0] + s * np.cos(head) - t * np.sin(head)
    y = origin[1] + s * np.sin(head) + t * np.cos(head)
    return {
        "x": np.round(x[order], 3),
        "y": np.round(y[order], 3),
        "z": np.round(origin[2] + z[order], 3),
        "intensity": intensity[order],
        "classification": cls[order].astype(np.uint8),
        "instance_id": inst[order].astype(np.uint16),
        "gps_time": gps_time[order],
    }


def write_las(path: str | Path, arrays: PointArrays, crs: str | None = DEFAULT_CRS) -> Path:
    """Write point arrays as LAS 1.4 point format 6 (``.laz`` suffix: LAZ via lazrs).

    Scale is 0.001 m on all axes and the offset is the data minimum floored to 10 m, so
    coordinates keep millimetre precision. ``crs`` (anything ``pyproj.CRS`` accepts, or
    ``None``) is stored as an OGC WKT VLR. Optional arrays: ``gps_time`` (default 0) and
    ``instance_id`` (written as an extra-bytes dimension of the same name).
    """
    path = Path(path)
    header = laspy.LasHeader(point_format=6, version="1.4")
    xyz = np.column_stack([arrays["x"], arrays["y"], arrays["z"]])
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.floor(xyz.min(axis=0) / 10.0) * 10.0
    header.system_identifier = "SYNTHETIC"
    header.generating_software = "annotator make_road_tile.py"
    header.global_encoding.gps_time_type = laspy.header.GpsTimeType.STANDARD
    if crs is not None:
        header.add_crs(pyproj.CRS(crs))
    if "instance_id" in arrays:
        header.add_extra_dim(
            laspy.ExtraBytesParams(
                name="instance_id", type=np.uint16, description="object instance, 0 = none"
            )
        )
    las = laspy.LasData(header)
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    las.intensity = arrays["intensity"]
    las.classification = arrays["classification"]
    las.return_number = np.ones(len(xyz), np.uint8)
    las.number_of_returns = np.ones(len(xyz), np.uint8)
    las.point_source_id = np.ones(len(xyz), np.uint16)
    las.gps_time = arrays.get("gps_time", np.zeros(len(xyz)))
    if "instance_id" in arrays:
        las.instance_id = arrays["instance_id"]
    path.parent.mkdir(parents=True, exist_ok=True)
    las.write(path)
    return path


def describe(path: str | Path) -> str:
    """Read a LAS/LAZ file back and summarise count, bounds, CRS and classes."""
    las = laspy.read(path)
    crs = las.header.parse_crs()
    lines = [
        (
            f"{path}: {len(las.points)} points, LAS {las.header.version}, "
            f"point format {las.header.point_format.id}, {Path(path).stat().st_size} bytes"
        ),
        f"  crs: {crs.to_string() if crs else None} ({crs.name if crs else '-'})",
        f"  scales {las.header.scales.tolist()}, offsets {las.header.offsets.tolist()}",
    ]
    for axis in "xyz":
        v = np.asarray(las[axis])
        lines.append(f"  {axis}: {v.min():.3f} .. {v.max():.3f}")
    cls, counts = np.unique(np.asarray(las.classification), return_counts=True)
    for c, k in zip(cls, counts, strict=True):
        lines.append(f"  class {c:3d} {CLASS_NAMES.get(int(c), '?'):15s} {k:7d}")
    lines.append(f"  intensity {int(las.intensity.min())} .. {int(las.intensity.max())}")
    if "instance_id" in las.point_format.dimension_names:
        lines.append(f"  object instances: {len(np.unique(las['instance_id'])) - 1}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output .las or .laz path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--length", type=float, default=60.0, help="road length (m)")
    parser.add_argument("--density", type=float, default=120.0, help="ground points per m²")
    parser.add_argument("--noise", type=float, default=0.02, help="range noise sigma (m)")
    parser.add_argument(
        "--origin-x",
        type=float,
        default=DEFAULT_ORIGIN[0],
        help="easting of the centre-line start (EPSG:6677 'Y' axis)",
    )
    parser.add_argument(
        "--origin-y",
        type=float,
        default=DEFAULT_ORIGIN[1],
        help="northing of the centre-line start (EPSG:6677 'X' axis)",
    )
    parser.add_argument("--origin-z", type=float, default=DEFAULT_ORIGIN[2])
    parser.add_argument(
        "--heading",
        type=float,
        default=0.0,
        help="road direction in degrees counter-clockwise from east",
    )
    parser.add_argument("--crs", default=DEFAULT_CRS, help="CRS written to the file")
    args = parser.parse_args(argv)
    if args.out.suffix.lower() not in (".las", ".laz"):
        parser.error("--out must end in .las or .laz")
    arrays = make_tile(
        args.seed,
        args.length,
        (args.origin_x, args.origin_y, args.origin_z),
        density=args.density,
        noise=args.noise,
        heading_deg=args.heading,
    )
    write_las(args.out, arrays, crs=args.crs)
    print(describe(args.out))


if __name__ == "__main__":
    main()
