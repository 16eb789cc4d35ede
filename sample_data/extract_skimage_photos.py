"""Extract the public-domain / CC0 photographs shipped in a scikit-image wheel as JPEGs.

scikit-image itself is *not* a dependency of this project: the wheel is only downloaded
(``pip download --no-deps``) and opened as a zip archive. Only images whose licence the
scikit-image documentation states as public domain or CC0 are taken (see ``PHOTOS``).

Usage::

    pip download --no-deps -d /tmp/skimg scikit-image
    python sample_data/extract_skimage_photos.py /tmp/skimg/scikit_image-*.whl
"""

import argparse
import io
import zipfile
from pathlib import Path

from PIL import Image

#: member name inside the wheel -> output file name (licence noted in sample_data/README.md)
PHOTOS: dict[str, str] = {
    "skimage/data/astronaut.png": "astronaut.jpg",  # NASA, public domain
    "skimage/data/chelsea.png": "chelsea.jpg",  # CC0, Stefan van der Walt
    "skimage/data/coffee.png": "coffee.jpg",  # CC0, Rachel Michetti
    "skimage/data/rocket.jpg": "rocket.jpg",  # SpaceX, public domain
    "skimage/data/camera.png": "camera.jpg",  # CC0, Lav Varshney (greyscale)
}

DEFAULT_OUT = Path(__file__).resolve().parent / "images"
MAX_SIDE = 1280
QUALITY = 90


def extract(wheel: Path, out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """Convert the photos listed in ``PHOTOS`` from ``wheel`` to JPEG files in ``out_dir``.

    Images keep their mode (RGB or greyscale ``L``); any image larger than ``MAX_SIDE``
    pixels is shrunk. No EXIF is written. Returns the written paths.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with zipfile.ZipFile(wheel) as zf:
        for member, name in PHOTOS.items():
            with Image.open(io.BytesIO(zf.read(member))) as src:
                img = src.convert("L" if src.mode in ("L", "I;16", "I") else "RGB")
            if max(img.size) > MAX_SIDE:
                img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            path = out_dir / name
            img.save(path, "JPEG", quality=QUALITY, optimize=True)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="path to a scikit-image .whl file")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in extract(args.wheel, args.out_dir):
        with Image.open(path) as img:
            print(f"{path}: {img.size[0]}x{img.size[1]} {img.mode} {path.stat().st_size} B")


if __name__ == "__main__":
    main()
