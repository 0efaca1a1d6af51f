"""Dask: the shards of a virtual cohort on a LocalCluster (the same code on a real Dask
cluster), merged into one Arrow table.  NEEDS dask[distributed]:

    pip install ./crates/ecmova-py "dask[distributed]" pandas
    python examples/python/dask_runs.py [--scheduler tcp://host:8786] [--shards 4]

Each task is `ecmova.cohort(cohort_text, shard=(k, n), threads=1)`: the patients i with
i % n == k of examples/cohort-ami-flow-sweep.toml (8 patients x 4 pump speeds), the rows
`ecmova cohort --shard k/n` writes. pyarrow tables pickle, so they travel back to the driver,
which concatenates them and sorts by the index columns: the same table as one process, bit for
bit. Workers need the same ecmova wheel installed; the cohort travels as text (its base
scenario inlined below), so they need no shared file system. With Ray the task becomes
`ray.remote(ecmova.cohort)` and `ray.get([...])`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa

import ecmova

EXAMPLES = Path(__file__).resolve().parents[1]
INDEX = [("patient_index", "ascending"), ("sweep_index", "ascending")]


def cohort_source() -> "str | dict":
    """The example cohort with its `base_file` inlined as `[base]` (workers read no files)."""
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # pragma: no cover
        # Without a TOML reader, pass the path: the workers must then see the same files.
        return str(EXAMPLES / "cohort-ami-flow-sweep.toml")
    cohort = tomllib.loads((EXAMPLES / "cohort-ami-flow-sweep.toml").read_text())
    base = cohort["cohort"].pop("base_file")
    cohort["base"] = tomllib.loads((EXAMPLES / base).read_text())
    return cohort  # a dict: ecmova.cohort takes it as it is


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--shards", type=int, default=4, help="number of shards (tasks)")
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    cohort = cohort_source()
    n = args.shards
    # Two worker processes, one thread each; threads would do too (the GIL is released).
    cluster = (
        None
        if args.scheduler
        else LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    )
    with Client(args.scheduler or cluster) as client:
        futures = [
            client.submit(ecmova.cohort, cohort, shard=(k, n), threads=1, pure=False)
            for k in range(n)
        ]
        table = pa.concat_tables(client.gather(futures)).sort_by(INDEX)
    if cluster is not None:
        cluster.close()
    # The same rows as one process, bit for bit (ecmova is deterministic).
    serial = ecmova.cohort(cohort)
    assert table.equals(serial), "the cluster's rows differ from one process's"
    print(f"{table.num_rows} rows from {n} shards on the cluster: identical to one process")
    print(
        table.group_by("sweep_events_0_rpm")
        .aggregate([("ecmo_flow_l_min", "mean"), ("sao2_right_radial_percent", "mean")])
        .to_pandas()
    )


if __name__ == "__main__":
    main()
