"""The coloured-shape datasets of examples/own_images.py, for the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "own_images", Path(__file__).resolve().parents[1] / "examples" / "own_images.py"
)
own_images = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(own_images)

CLASS_NAMES, N_CLASSES = own_images.CLASS_NAMES, own_images.N_CLASSES
shape_arrays, shape_image = own_images.shape_arrays, own_images.shape_image
write_image_folder = own_images.write_image_folder
