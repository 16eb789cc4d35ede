"""Media files: what they are, read from their headers."""

from annotator.media.probe import (
    IMAGE_SUFFIXES,
    POINTCLOUD_SUFFIXES,
    Bounds,
    MediaInfo,
    media_kind,
    probe,
    sha256_file,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "POINTCLOUD_SUFFIXES",
    "Bounds",
    "MediaInfo",
    "media_kind",
    "probe",
    "sha256_file",
]
