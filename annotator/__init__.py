"""Annotator: turn image and point-cloud tiles into training data and map data."""

__version__ = "0.1.0"

__all__ = ["__version__"]
