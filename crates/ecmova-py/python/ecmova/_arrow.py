"""Arrow tables from the native columns, without copying them.

The native module writes each column once, in column order, into a ``bytes`` object
(little-endian float64). ``pyarrow.py_buffer`` wraps that object's memory as an Arrow buffer
(no copy, the table keeps the ``bytes`` alive), so building a table allocates nothing in
Arrow's memory pool; ``Table.to_pandas()`` is then the one copy, into pandas' blocks.
"""

from __future__ import annotations

import sys
from typing import List, Optional, Sequence, Tuple

import pyarrow as pa

Columns = Tuple[List[str], List[bytes], int]

if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
    raise ImportError("ecmova's Arrow columns are little-endian; this platform is not")


def _float64(buf: bytes, n: int) -> pa.Array:
    return pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(buf)])


def table(columns: Columns) -> pa.Table:
    """A table of float64 columns from ``(names, buffers, rows)``."""
    names, buffers, n = columns
    return pa.Table.from_arrays([_float64(b, n) for b in buffers], names=list(names))


def beats_table(columns: Columns, valve_opened: Sequence[bool]) -> pa.Table:
    """The per-beat table (the columns of ``ecmova simulate --beats``): ``time_s``,
    ``phase_index`` and ``beat_index`` (the indices as int64), the metrics as float64, then
    ``aortic_valve_opened`` as bool."""
    names, buffers, n = columns
    arrays: List[pa.Array] = []
    for name, buf in zip(names, buffers):
        a = _float64(buf, n)
        if name in ("beat_index", "phase_index"):
            a = a.cast(pa.int64())
        arrays.append(a)
    arrays.append(pa.array(list(valve_opened), type=pa.bool_()))
    return pa.Table.from_arrays(arrays, names=list(names) + ["aortic_valve_opened"])


def maybe_table(columns: Optional[Columns]) -> Optional[pa.Table]:
    return None if columns is None else table(columns)
