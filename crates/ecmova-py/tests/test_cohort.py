"""`ecmova.cohort`: the rows of `ecmova cohort`'s results.parquet, shard by shard, in one
process or on a Dask cluster (issues 15 and 16)."""

from __future__ import annotations

import os
import struct
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ecmova

# A small cohort (8 AMI-shock patients on femoral VA-ECMO, 2 pump speeds, 4 s each: 16 runs,
# a few seconds on one core). chunk_size 3 so that shards and chunks do not line up.
SMALL = """
[cohort]
name = "py-test"
seed = 20261130
size = 8
chunk_size = 3
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[base.ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3000
sweep_l_min = 3.0

[base.simulation]
duration_s = 4

[[parameter]]
path = "patient.lv_contractility_scale"
distribution = "lognormal"
median = 1.0
sigma_log = 0.2
lower = 0.5
upper = 2.0

[[parameter]]
path = "patient.hemoglobin_g_dl"
distribution = "discrete"
values = [8.0, 10.0, 12.0]
weights = [1, 2, 1]

[[sweep]]
path = "ecmo.pump_rpm"
values = [2500, 3500]

[output]
metrics = ["map_mmhg", "ecmo_flow_l_min", "lvedp_mmhg", "sao2_right_radial_percent"]
"""

INDEX = [("patient_index", "ascending"), ("sweep_index", "ascending")]


def bits(table: pa.Table) -> dict:
    """Every cell, floats as their IEEE-754 bytes (so -0.0 and 0.0 differ), by column."""

    def cell(x):
        return struct.pack("<d", x) if isinstance(x, float) else x

    return {name: [cell(x) for x in table.column(name).to_pylist()] for name in table.column_names}


def assert_same_table(got: pa.Table, expected: pa.Table) -> None:
    assert got.schema.names == expected.schema.names
    assert got.schema.types == expected.schema.types
    assert got.num_rows == expected.num_rows
    assert bits(got) == bits(expected)


@pytest.fixture(scope="module")
def whole() -> pa.Table:
    return ecmova.cohort(SMALL, threads=1)


def test_cohort_is_the_cli_results_parquet_value_for_value(cli, tmp_path, whole):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    out = tmp_path / "out"
    subprocess.run(
        [str(cli), "cohort", str(path), "--out", str(out), "--threads", "2"],
        check=True,
        capture_output=True,
    )
    expected = pq.read_table(out / "results.parquet")
    assert expected.num_rows == 16, "8 patients x 2 speeds"
    # Every run ran (4 s is too short for the periodic steady state: `not_steady`).
    assert set(expected.column("status").to_pylist()) <= {"ok", "not_steady"}
    assert expected.column("map_mmhg").null_count == 0
    assert_same_table(whole, expected)
    # A path (str or PathLike) and more threads: the same rows.
    assert_same_table(ecmova.cohort(path, threads=2), expected)
    assert_same_table(ecmova.cohort(str(path)), expected)
    # The shard the CLI runs is the shard ecmova.cohort returns.
    out1 = tmp_path / "shard1"
    subprocess.run(
        [str(cli), "cohort", str(path), "--out", str(out1), "--shard", "1/4"],
        check=True,
        capture_output=True,
    )
    assert_same_table(ecmova.cohort(path, shard="1/4"), pq.read_table(out1 / "results.parquet"))


def test_cohort_as_dict_is_the_same_rows(whole):
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # pragma: no cover
        pytest.skip("tomllib needs Python >= 3.11")
    assert_same_table(ecmova.cohort(tomllib.loads(SMALL)), whole)


def test_shards_concatenated_and_sorted_are_the_whole_cohort(whole):
    shards = [ecmova.cohort(SMALL, shard=(k, 4), threads=1) for k in range(4)]
    assert [s.num_rows for s in shards] == [4, 4, 4, 4]
    for k, s in enumerate(shards):
        assert {i % 4 for i in s.column("patient_index").to_pylist()} == {k}
    merged = pa.concat_tables(shards).sort_by(INDEX)
    assert_same_table(merged, whole)


def test_four_shards_on_a_two_worker_dask_cluster_merge_to_one_process(whole):
    if os.environ.get("CI"):
        import dask.distributed  # noqa: F401  (CI installs it: never a silent skip)
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    ) as cluster, distributed.Client(cluster) as client:
        futures = [
            client.submit(ecmova.cohort, SMALL, shard=(k, 4), threads=1, pure=False)
            for k in range(4)
        ]
        tables = client.gather(futures)
        workers = {w for who in client.who_has(futures).values() for w in who}
    assert len(workers) >= 1
    merged = pa.concat_tables(tables).sort_by(INDEX)
    assert_same_table(merged, whole)


def test_cohort_errors_carry_the_field():
    with pytest.raises(ecmova.CohortError) as e:
        ecmova.cohort(SMALL, shard=(4, 4))
    assert e.value.field == "shard"
    with pytest.raises(ecmova.CohortError) as e:
        ecmova.cohort(SMALL, shard="4/4")
    assert e.value.field == "shard" and "4/4" in str(e.value) and "0 ≤ K < N" in str(e.value)
    with pytest.raises(ecmova.CohortError) as e:
        ecmova.cohort(SMALL, threads=0)
    assert e.value.field == "threads" and e.value.value == 0 and e.value.min == 1
    bad_sd = SMALL.replace("sigma_log = 0.2", "sigma_log = -0.2")
    with pytest.raises(ecmova.ScenarioError) as e:  # a CohortError is a ScenarioError
        ecmova.cohort(bad_sd)
    assert isinstance(e.value, ecmova.CohortError)
    assert e.value.field is not None and "parameter" in e.value.field
    assert "-0.2" in str(e.value)
    with pytest.raises(ecmova.CohortError) as e:
        ecmova.cohort(SMALL.replace('name = "py-test"', 'name = "py-test"\nsize_typo = 3'))
    assert e.value.field == "size_typo"
    with pytest.raises(TypeError):
        ecmova.cohort(42)  # type: ignore[arg-type]


def test_cohort_dict_with_nan_names_the_key():
    cohort = {
        "cohort": {"name": "nan", "seed": 1, "size": 1, "mode": "duration"},
        "base": {"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 1}},
        "parameter": [
            {"path": "patient.svr_scale", "distribution": "normal", "mean": float("nan"), "sd": 0.1}
        ],
    }
    with pytest.raises(ecmova.CohortError) as e:
        ecmova.cohort(cohort)
    assert e.value.field == "parameter[0].mean"
