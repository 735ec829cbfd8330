"""Reader for the IDX file format of MNIST and its relatives (Fashion-MNIST, KMNIST).

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian int32 per dimension, then the values in C order. Files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IDXFormatError", "read_idx"]

# IDX type code -> numpy dtype (big-endian where it matters).
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """An IDX file is truncated, corrupt or not an IDX file at all; the message names the file."""


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise IDXFormatError(
            f"{path}: the gzip stream is truncated or corrupt ({exc}); replace the file with a good copy"
        ) from exc


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a read-only numpy array of its native shape.

    Args:
        path: the file to read.

    Returns:
        The array, shape as stored in the file (for MNIST images ``(n, 28, 28)`` uint8, labels ``(n,)``
        uint8), in native byte order.

    Raises:
        FileNotFoundError: the file does not exist.
        IDXFormatError: wrong magic number, unknown type code, or a length that does not match the
            dimensions in the header; the message names the file and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    data = _read_bytes(path)
    if len(data) < 4:
        raise IDXFormatError(f"{path}: {len(data)} bytes, too short for an IDX header (4 bytes at least)")
    zero0, zero1, type_code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise IDXFormatError(
            f"{path}: wrong magic number {data[:4].hex()} (an IDX file starts with 00 00, a type code in "
            f"{sorted(hex(c) for c in _IDX_DTYPES)} and the number of dimensions); is it an IDX file?"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(f"{path}: truncated header ({len(data)} bytes, {header_len} expected for {ndim} dims)")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise IDXFormatError(
            f"{path}: {state}: {len(data)} bytes for shape {shape} of {dtype.name}, {expected} expected"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    array = array.astype(dtype.newbyteorder("="), copy=False)
    array.flags.writeable = False
    return array
