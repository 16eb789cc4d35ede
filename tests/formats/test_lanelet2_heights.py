"""Lanelet2 ``ele`` is above the WGS84 ellipsoid, whatever heights the project keeps."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView
from annotator.formats.lanelet2 import FILE, read, write
from annotator.model import LabelSchema
from tests.formats.test_lanelet2 import SCHEMA, TILES, load, road_network
from tests.geometry.geoid import gradient, write_gtx


def orthometric(tmp_path: Path, grid: bool = True) -> LabelSchema:
    path = write_gtx(tmp_path / "geoid.gtx", gradient) if grid else tmp_path / "none.gtx"
    return dataclasses.replace(SCHEMA, heights="EPSG:6695", geoid_grid=str(path))


def view(schema: LabelSchema) -> ProjectView:
    annotations = road_network()
    return ProjectView.from_items(schema, [
        ExportItem(t, t.path, tuple(a for a in annotations if a.item_id == t.id))
        for t in TILES])


def test_orthometric_heights_go_out_ellipsoidal_and_come_back(tmp_path: Path) -> None:
    schema = orthometric(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    v = view(schema)
    write(v, out).check(v)
    assert load(out / FILE)[1] == []
    root = ET.parse(out / FILE).getroot()
    to_geographic = Transformer.from_crs("EPSG:4326", "EPSG:6668", always_xy=True)
    stored = {a.id: a for e in v.items() for a in e.annotations}
    nodes = {n.get("id"): n for n in root.iter("node")}
    checked = 0
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        annotation = stored[int(tags["annotator:id"] or 0)]
        if annotation.kind != "polyline3d":
            continue
        refs = [nodes[nd.get("ref")] for nd in way.iter("nd")]
        lon, lat = to_geographic.transform([float(n.get("lon", "nan")) for n in refs],
                                           [float(n.get("lat", "nan")) for n in refs])
        ele = np.array([float(next(t.get("v", "nan") for t in n.iter("tag")
                                   if t.get("k") == "ele")) for n in refs])
        want = np.asarray(annotation.geometry.vertices)[:, 2] + gradient(np.asarray(lon),
                                                                         np.asarray(lat))
        assert np.abs(ele - want).max() < 1e-3
        checked += 1
    assert checked == 15
    ids = {f"w{w.get('id')}": int(t.get("v") or 0) for w in root.iter("way")
           for t in w.iter("tag") if t.get("k") == "annotator:id"}
    by_name = {t.path: t for t in TILES}
    back = read(out, ImportContext(schema, by_name.get, items=lambda: TILES))
    compared = 0
    for image in back.images:
        for shape in image.shapes:
            if shape.key in ids:
                original = stored[ids[shape.key]]
                error = np.asarray(shape.geometry.vertices) - np.asarray(
                    original.geometry.vertices)
                assert np.abs(error).max() < 1e-3
                compared += 1
    assert compared == 18  # 15 lines, the sign, the light, the crosswalk


def test_a_missing_geoid_grid_refuses_the_export_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match="lanelet2 export") as caught:
        write(view(orthometric(tmp_path, grid=False)), out)
    assert "\n" not in str(caught.value)
    assert list(out.iterdir()) == []
