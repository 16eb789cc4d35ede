"""Media files: what they are, read from their headers.

Tiled image decoding lives in :mod:`annotator.media.pyramid`, imported on its
own so that header probes (the CLI's ``import``) don't load tifffile and OpenCV.
"""

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
