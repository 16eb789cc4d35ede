"""Correct mode: a reviewer changes shapes of the batch under review only when they say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.commands import AddAnnotations, translate
from annotator.errors import PermissionDenied
from annotator.model import Annotation, Role
from annotator.project import Project
from annotator.schema import load_schema
from annotator.shapes import Box
from tests.conftest import make_images

SCHEMA = Path(__file__).resolve().parents[2] / "sample_data" / "schema.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "p"
    with Project.create(folder, load_schema(SCHEMA), user="lead") as lead:
        ids = lead.import_media(make_images(folder / "media", 2, (100, 80))).added
        lead.create_batch("b", ids)
        lead.set_role("rev", Role.REVIEWER)
        lead.set_role("other", Role.REVIEWER)
        lead.batch_action("b", "assign", assignee="ann", reviewer="rev")
    with Project.open(folder, "ann") as ann:
        ann.batch_action("b", "start")
        ann.stack.push(AddAnnotations([Annotation(None, ids[0], "car",
                                                  Box.from_corners(10, 10, 40, 30))]))
        ann.batch_action("b", "submit")
    return folder


def test_review_is_read_only_until_correct_mode(folder: Path) -> None:
    with Project.open(folder, "rev") as rev:
        (box,) = rev.store.annotations_for_item(rev.store.batch_item_ids(
            rev.store.get_batch("b").id)[0])
        with pytest.raises(PermissionDenied, match="correct mode"):
            rev.stack.push(translate([box], [3, 0]))
        rev.correcting = True
        rev.stack.push(translate([box], [3, 0]))
        moved = rev.store.get_annotation(int(box.id))
        assert moved.geometry.corners[0].tolist() == [13.0, 10.0]
        assert rev.store.last_edit("rev", "done") is not None     # recorded as the reviewer's
        rev.batch_action("b", "reject", comment="corrected one, fix the rest")
        with pytest.raises(PermissionDenied):               # no longer under review
            rev.stack.push(translate([moved], [1, 0]))


def test_another_reviewer_and_an_annotator_cannot_correct(folder: Path) -> None:
    for name in ("other", "ann"):
        with Project.open(folder, name) as person:
            person.correcting = True
            (item,) = person.store.batch_item_ids(person.store.get_batch("b").id)[:1]
            (box,) = person.store.annotations_for_item(item)
            with pytest.raises(PermissionDenied):
                person.stack.push(translate([box], [3, 0]))
