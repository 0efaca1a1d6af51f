"""Dask: simulation shards on a LocalCluster (the same code on a real Dask cluster), merged
into one Arrow table.  NEEDS dask[distributed] (not installed by CI):

    pip install ./crates/ecmova-py "dask[distributed]" pandas
    python examples/python/dask_runs.py [--scheduler tcp://host:8786]

Each task runs one scenario and returns its beat table (pyarrow tables pickle, so they travel
between workers); the driver concatenates them. Workers need the same ecmova wheel installed.
With Ray the same function becomes `ray.remote(run_one)` and `ray.get([...])`.

`ecmova.cohort` (issue 16's cohort shards, mirroring `ecmova cohort`) is not in the package
yet: when it lands, each task becomes `ecmova.cohort(cohort, shard=(k, 4))` and the merge is
the same `pa.concat_tables`.
"""

from __future__ import annotations

import argparse

import pyarrow as pa

import ecmova


def run_one(rpm: float) -> pa.Table:
    result = ecmova.run(
        {
            "patient": {"preset": "cardiogenic-shock-ami"},
            "ecmo": {"enabled": True, "cannulation": "femoro-femoral", "pump_rpm": rpm},
            "simulation": {"duration_s": 60},
        }
    )
    beats = result.beats()
    # The beats already hold the pump's actual `pump_rpm`; the sweep's setting gets its own name.
    return beats.append_column("rpm_setting", pa.array([rpm] * beats.num_rows, pa.float64()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    speeds = [2000, 2500, 3000, 3500]
    # Two worker processes, one thread each; threads would do too (the GIL is released).
    cluster = None if args.scheduler else LocalCluster(n_workers=2, threads_per_worker=1)
    with Client(args.scheduler or cluster) as client:
        futures = client.map(run_one, speeds)
        table = pa.concat_tables(client.gather(futures))
    if cluster is not None:
        cluster.close()
    # The same rows as one process, bit for bit (ecmova is deterministic).
    serial = pa.concat_tables([run_one(r) for r in speeds])
    assert table.equals(serial), "the cluster's rows differ from one process's"
    print(f"{table.num_rows} beats from {len(speeds)} runs on the cluster: identical to one process")
    print(table.group_by("rpm_setting").aggregate([("ecmo_flow_l_min", "mean")]).to_pandas())


if __name__ == "__main__":
    main()
