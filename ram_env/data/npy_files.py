"""Image arrays on disk, memory-mapped: an ``.npz`` file, or a folder of ``.npy`` files.

The arrays are named as ``ram_env.data.image_set.ARRAY_NAMES`` says (``images`` and ``labels``, or
``train_images``, ``train_labels``, ``valid_...``, ``test_...``). A ``.npy`` file is opened with
``np.load(mmap_mode="r")``. An ``.npz`` member written uncompressed (``np.savez``) is memory-mapped in
place inside the zip file; a compressed one (``np.savez_compressed``) cannot be, and is read into memory
(use ``np.savez`` or ``.npy`` files for a dataset larger than RAM).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ram_env.data.image_checks import ImageDataError

__all__ = ["read_npy_folder", "read_npz"]

_LOCAL_HEADER = 30  # bytes of a zip local file header before the name and the extra field


def _memmap_member(path: Path, info: zipfile.ZipInfo) -> np.ndarray:
    """An uncompressed ``.npy`` member of a zip file, memory-mapped read-only where it lies."""
    with path.open("rb") as file:
        file.seek(info.header_offset)
        header = file.read(_LOCAL_HEADER)
        name_length = int.from_bytes(header[26:28], "little")
        extra_length = int.from_bytes(header[28:30], "little")
        file.seek(info.header_offset + _LOCAL_HEADER + name_length + extra_length)
        version = np.lib.format.read_magic(file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(file)
        offset = file.tell()
    if dtype.hasobject:
        raise ImageDataError(f"{path}: member {info.filename} holds Python objects; save numeric arrays")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran_order else "C")


def read_npz(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, memory-mapped where stored uncompressed.

    Raises:
        ImageDataError: not a zip file, or a member that is not one of ``names`` (the message lists them).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImageDataError(f"{path}: not a readable .npz file ({exc})") from exc
    arrays: dict[str, np.ndarray] = {}
    with archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name not in names:
                raise ImageDataError(f"{path}: unknown array {name!r}; the arrays are named {', '.join(names)}")
            if info.compress_type == zipfile.ZIP_STORED:
                arrays[name] = _memmap_member(path, info)
            else:
                with archive.open(info) as member:
                    arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
    return arrays


def read_npy_folder(folder: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The ``NAME.npy`` files of ``folder`` for each of ``names`` that it holds, memory-mapped.

    Raises:
        ImageDataError: a file that is not a readable ``.npy`` file (the message names it).
    """
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        path = folder / f"{name}.npy"
        if path.is_file():
            try:
                arrays[name] = np.load(path, mmap_mode="r", allow_pickle=False)
            except (ValueError, OSError) as exc:
                raise ImageDataError(f"{path}: not a readable .npy file ({exc})") from exc
    return arrays
