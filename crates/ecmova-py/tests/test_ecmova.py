"""The Python package against the Rust driver and the CLI (issue 16's acceptance)."""

from __future__ import annotations

import concurrent.futures
import json
import math
import multiprocessing
import os
import pickle
import re
import subprocess
import threading
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pytest

import ecmova

from conftest import REPO

# A scenario with a circuit, a timed event and a gas model (right-radial SaO2 exists).
ECMO = {
    "patient": {"preset": "cardiogenic-shock-ami"},
    "ecmo": {
        "enabled": True,
        "cannulation": "femoro-femoral",
        "pump_rpm": 3000,
        "start_s": 2,
    },
    "events": [{"at_s": 6, "action": "set_pump_rpm", "rpm": 3400}],
    "simulation": {"duration_s": 12},
}


def bits(obj):
    """`obj` with every float as its exact bit pattern (so == is bit-for-bit)."""
    if isinstance(obj, float):
        return ("f64", obj.hex())
    if isinstance(obj, dict):
        return {k: bits(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [bits(v) for v in obj]
    return obj


def cli_json(cli: Path, *args: str) -> dict:
    out = subprocess.run(
        [str(cli), *args], check=True, capture_output=True, text=True, timeout=600
    )
    return json.loads(out.stdout)


# -- ecmova.run is `ecmova simulate` ---------------------------------------------------


@pytest.mark.parametrize(
    "name, until_steady",
    [
        ("ami-femoral-ecmo.toml", False),
        ("healthy-adult.toml", True),
        ("ami-weaning-trial.toml", False),
    ],
)
def test_run_summary_is_the_cli_summary_bit_for_bit(cli, examples, name, until_steady):
    path = examples / name
    args = ["simulate", str(path), "--summary-json", "-"]
    if until_steady:
        args.append("--until-steady")
    expected = cli_json(cli, *args)
    got = ecmova.run(path, until_steady=until_steady).summary
    assert list(got) == list(expected), "same keys in the same order"
    assert bits(got) == bits(expected)
    assert got["stopped_at_steady"] == until_steady


def test_scenario_as_dict_toml_text_or_path_is_the_same_run(examples, tmp_path):
    path = examples / "ami-femoral-ecmo.toml"
    text = path.read_text()
    from_path = ecmova.run(path).summary
    from_str_path = ecmova.run(str(path)).summary
    from_text = ecmova.run(text).summary
    as_json = tmp_path / "s.json"
    # The same scenario as a dict (through JSON): the TOML parsed by Python's reader if any.
    try:
        import tomllib  # Python >= 3.11
    except ImportError:  # pragma: no cover
        tomllib = None
    assert bits(from_path) == bits(from_text) == bits(from_str_path)
    if tomllib is not None:
        as_dict = tomllib.loads(text)
        assert bits(ecmova.run(as_dict).summary) == bits(from_path)
        as_json.write_text(json.dumps(as_dict))
        assert bits(ecmova.run(as_json).summary) == bits(from_path)


def test_simulation_advanced_to_the_end_is_the_run():
    sim = ecmova.Simulation(ECMO)
    sim.advance(sim.end_s)
    assert bits(sim.summary()) == bits(ecmova.run(ECMO).summary)


def test_clinical_functions_are_the_cli(cli, examples):
    patient = examples / "patients" / "ami_cardiogenic_shock.json"
    for name in ecmova.SCORES:
        try:
            got = ecmova.score(name, patient)
        except ecmova.PatientError:
            continue  # not applicable to this patient: the CLI refuses it too
        assert bits(got) == bits(cli_json(cli, "score", name, str(patient)))
    assert bits(ecmova.assess(patient)) == bits(cli_json(cli, "assess", str(patient)))
    as_dict = json.loads(patient.read_text())
    assert bits(ecmova.assess(as_dict)) == bits(ecmova.assess(patient))


def test_presets_and_version():
    assert "cardiogenic-shock-ami" in ecmova.presets()
    assert "healthy-adult" in ecmova.presets()
    cargo = (REPO / "Cargo.toml").read_text()
    workspace_version = re.search(
        r'\[workspace\.package\][^\[]*?version\s*=\s*"([^"]+)"', cargo
    ).group(1)
    assert ecmova.__version__ == workspace_version
    assert ecmova.run(ECMO).summary["ecmova_version"] == workspace_version


# -- live driving ----------------------------------------------------------------------


def test_actions_apply_and_change_the_physiology():
    base = ecmova.Simulation(ECMO)
    faster = ecmova.Simulation(ECMO)
    base.advance(8)
    faster.advance(8)
    label = faster.apply({"action": "set_pump_rpm", "rpm": 4200})
    assert "4200" in label
    base.advance(4)
    faster.advance(4)
    assert faster.summary()["ecmo_flow_l_min"] > base.summary()["ecmo_flow_l_min"] + 0.3
    actions = faster.summary()["phases"]
    assert [p["start_s"] for p in actions][-1] == pytest.approx(8.0, abs=0.01)


def test_stabilize_reaches_the_steady_state():
    sim = ecmova.Simulation(
        {"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 60}},
        record_series=False,
    )
    assert sim.stabilize(120.0) is True
    assert "steady_state_beat" in sim.summary()
    with pytest.raises(ValueError):
        sim.series()


# -- snapshots and pickling --------------------------------------------------------------


def _resume(data: bytes, seconds: float):
    """Runs in another process: unpickle, advance, report."""
    sim = pickle.loads(data)
    sim.advance(seconds)
    return os.getpid(), json.dumps(sim.summary()), sim.series(), sim.beats()


def test_snapshot_pickled_into_another_process_resumes_identically():
    sim = ecmova.Simulation(ECMO)
    sim.advance(4)
    sim.apply({"action": "set_fio2", "fio2": 0.6})
    sim.advance(3.5)
    data = pickle.dumps(sim)
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        pid, summary_json, series, beats = pool.submit(_resume, data, 4.0).result(timeout=600)
    assert pid != os.getpid()
    sim.advance(4.0)
    assert bits(json.loads(summary_json)) == bits(sim.summary())
    assert series.equals(sim.series())
    assert beats.equals(sim.beats())
    # The live action survived the trip (it is in the snapshot's log, not the scenario).
    assert any("FiO2" in p["label"] or "fio2" in p["label"].lower() for p in sim.summary()["phases"])


def test_snapshot_bytes_restore_and_refuse_garbage():
    sim = ecmova.Simulation(ECMO, record_series=False)
    sim.advance(3)
    again = ecmova.Simulation.restore(sim.snapshot(), record_series=False)
    assert again.time_s == sim.time_s
    assert bits(again.summary()) == bits(sim.summary())
    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.Simulation.restore(b"not a snapshot")
    assert e.value.field == "snapshot"


# -- Arrow and pandas ----------------------------------------------------------------------


def test_series_table_is_zero_copy_and_to_pandas_copies_once():
    pandas = pytest.importorskip("pandas")
    sixty = dict(ECMO, simulation={"duration_s": 60})
    sim = ecmova.Simulation(sixty)
    sim.advance(60)
    before = pa.total_allocated_bytes()
    table = sim.series()
    # Wrapping the native buffers allocated nothing in Arrow's pool.
    assert pa.total_allocated_bytes() == before
    rows = table.num_rows
    assert rows == pytest.approx(60 / 0.005, abs=2)
    assert table.schema.field("time_s").type == pa.float64()
    nbytes = table.nbytes
    assert nbytes == rows * 8 * table.num_columns

    table.slice(0, 1).to_pandas()  # pandas' lazy imports, outside the measurement
    tracemalloc.start()
    pool_before = pa.total_allocated_bytes()
    frame = table.to_pandas()
    _, numpy_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pool_after = pa.total_allocated_bytes()
    allocated = numpy_peak + max(0, pool_after - pool_before)
    # One copy into pandas' blocks, not two (a detour through Python objects or a second
    # consolidation would at least double it).
    assert allocated < 1.25 * nbytes + 4_000_000, (allocated, nbytes)
    assert isinstance(frame, pandas.DataFrame)
    assert frame.shape == (rows, table.num_columns)
    time_s = frame["time_s"].to_numpy()
    assert time_s[0] == 0.0 and abs(time_s[-1] - 60.0) < 0.006
    assert (time_s[1:] > time_s[:-1]).all()


def test_series_columns_select_and_unknown_column_is_named():
    sim = ecmova.Simulation(ECMO)
    sim.advance(3)
    assert "p_right_radial_mmhg" in sim.series_columns
    assert "so2_upper_body_arteries_percent" in sim.series_columns
    t = sim.series(["time_s", "p_right_radial_mmhg"])
    assert t.column_names == ["time_s", "p_right_radial_mmhg"]
    full = sim.series()
    assert t.column("p_right_radial_mmhg").equals(full.column("p_right_radial_mmhg"))
    with pytest.raises(KeyError, match="p_nowhere_mmhg"):
        sim.series(["p_nowhere_mmhg"])


def test_beats_table_has_the_patients_quantities_only():
    with_circuit = ecmova.Simulation(ECMO)
    with_circuit.advance(8)
    beats = with_circuit.beats()
    assert beats.schema.field("beat_index").type == pa.int64()
    assert beats.schema.field("aortic_valve_opened").type == pa.bool_()
    assert "ecmo_flow_l_min" in beats.column_names
    assert beats.num_rows == with_circuit.summary()["beats_simulated"]
    assert beats.schema.field("phase_index").type == pa.int64()
    starts = beats.column("time_s").to_pylist()
    assert starts == sorted(starts)
    # One name per quantity: the beat's start is `time_s`, not repeated as `start_s`.
    assert "start_s" not in beats.column_names
    without = ecmova.Simulation(
        {"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 10}}
    )
    without.advance(5)
    # Absent is absent: no circuit, no circuit column (never a column of zeros).
    assert "ecmo_flow_l_min" not in without.beats().column_names
    assert "impella_flow_l_min" not in without.beats().column_names


def test_beats_are_the_cli_beat_table_bit_for_bit(cli, examples, tmp_path):
    # `ecmova simulate --beats` reports each beat's start like every time (to the
    # nanosecond); the Python table must carry the same numbers, column for column.
    pq = pytest.importorskip("pyarrow.parquet")
    path = examples / "ami-femoral-ecmo.toml"
    out = tmp_path / "beats.parquet"
    subprocess.run(
        [str(cli), "simulate", str(path), "--beats", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    expected = pq.read_table(out)
    got = ecmova.run(path).beats()
    assert got.num_rows == expected.num_rows
    # The same columns, in the same order, and the same numbers.
    assert got.column_names == expected.column_names
    assert "start_s" not in got.column_names
    for name in got.column_names:
        a = [float(x) for x in got.column(name).to_pylist()]
        b = [float(x) for x in expected.column(name).to_pylist()]
        assert [x.hex() for x in a] == [x.hex() for x in b], name


# -- the clock --------------------------------------------------------------------------------


def test_many_short_advances_add_up_to_the_time_asked():
    # Each advance ends on the first step boundary at or after its target (up to one step,
    # 1 ms by default, later); the next one must count from the time asked, not the time
    # reached, or 100 advances of 10 ms would cover ~1.1 s.
    in_pieces = ecmova.Simulation(ECMO)
    for _ in range(100):
        in_pieces.advance(0.01)
    at_once = ecmova.Simulation(ECMO)
    at_once.advance(1.0)
    assert abs(in_pieces.time_s - 1.0) <= 0.001 + 1e-9, in_pieces.time_s
    assert in_pieces.time_s == at_once.time_s
    assert in_pieces.series().equals(at_once.series())
    tiny = ecmova.Simulation(ECMO, record_series=False)
    for _ in range(200):
        tiny.advance(0.0001)  # 20 ms in all, far below one step each
    assert abs(tiny.time_s - 0.02) <= 0.001 + 1e-9, tiny.time_s


def test_snapshot_between_step_boundaries_resumes_identically():
    # The clock the calls asked for (here between two step boundaries) survives a snapshot
    # and a pickle: the resumed simulation advances exactly as the original does.
    sim = ecmova.Simulation(ECMO)
    for _ in range(3):
        sim.advance(0.0105)
    sim.apply({"action": "set_pump_rpm", "rpm": 3300})
    sim.advance(0.0105)
    restored = ecmova.Simulation.restore(sim.snapshot())
    unpickled = pickle.loads(pickle.dumps(sim))
    for s in (sim, restored, unpickled):
        s.advance(0.5)
    assert restored.time_s == sim.time_s == unpickled.time_s
    assert restored.series().equals(sim.series())
    assert unpickled.series().equals(sim.series())
    assert bits(restored.summary()) == bits(sim.summary())


# -- errors --------------------------------------------------------------------------------


def test_scenario_errors_carry_field_value_and_range():
    bad_rpm = json.loads(json.dumps(ECMO))
    bad_rpm["ecmo"]["pump_rpm"] = 99999
    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.Simulation(bad_rpm)
    assert e.value.field == "ecmo.pump_rpm"
    assert e.value.value == 99999
    assert e.value.min is not None and e.value.max is not None and e.value.max < 99999
    assert e.value.unit == "rpm"
    assert "ecmo.pump_rpm" in str(e.value)

    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.run({"patient": {"preset": "no-such"}, "simulation": {"duration_s": 1}})
    assert e.value.field == "patient.preset"
    assert e.value.value == "no-such"
    assert "healthy-adult" in e.value.allowed

    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.run({"patient": {"preset": "healthy-adult"}})
    assert e.value.field == "simulation"

    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.Simulation(ECMO).advance(float("nan"))
    assert e.value.field == "seconds" and math.isnan(e.value.value)


def test_action_errors_carry_field_value_and_range():
    sim = ecmova.Simulation(ECMO)
    with pytest.raises(ecmova.ActionError) as e:
        sim.apply({"action": "set_pump_rpm", "rpm": 99999})
    assert isinstance(e.value, ecmova.ScenarioError)
    assert (e.value.field, e.value.value, e.value.unit) == ("rpm", 99999.0, "rpm")
    assert e.value.min == 0.0 and e.value.max < 99999
    with pytest.raises(ecmova.ActionError) as e:
        sim.apply({"action": "set_pump_rpm", "rpm": 3000, "speed": 1})
    assert e.value.field == "speed"
    # The exception pickles with its attributes (Dask and Ray ship errors between processes).
    again = pickle.loads(pickle.dumps(e.value))
    assert type(again) is ecmova.ActionError and again.field == "speed"


def test_patient_errors_carry_field_value_and_range(examples):
    patient = json.loads((examples / "patients" / "ami_cardiogenic_shock.json").read_text())
    patient["age_years"] = 500
    with pytest.raises(ecmova.PatientError) as e:
        ecmova.score("save", patient)
    assert (e.value.field, e.value.value) == ("age_years", 500.0)
    assert (e.value.min, e.value.max) == (0.0, 120.0)
    with pytest.raises(ecmova.PatientError) as e:
        ecmova.assess({"no_such_key": 1})
    assert e.value.field == "no_such_key"
    with pytest.raises(ValueError, match="allowed values are save"):
        ecmova.score("apache", patient)


def test_wrong_types_are_refused_not_coerced():
    sim = ecmova.Simulation(ECMO)
    for bad in (True, "5", None, [1.0]):
        with pytest.raises(ecmova.ScenarioError) as e:
            sim.advance(bad)
        assert e.value.field == "seconds"
    assert sim.time_s == 0.0, "a refused call simulates nothing"
    with pytest.raises(ecmova.ScenarioError) as e:
        sim.stabilize(max_s="300")
    assert e.value.field == "max_s"
    # A yes/no argument is True or False: "no" is not read as yes.
    with pytest.raises(TypeError, match="until_steady"):
        ecmova.run(ECMO, until_steady="no")
    with pytest.raises(TypeError, match="series"):
        ecmova.run(ECMO, series=1)
    with pytest.raises(TypeError, match="record_series"):
        ecmova.Simulation(ECMO, record_series="yes")
    # A lone column name is not read letter by letter.
    sim.advance(0.1)
    with pytest.raises(TypeError, match="columns"):
        sim.series("time_s")


def test_nan_and_infinity_in_a_document_name_their_field():
    bad = json.loads(json.dumps(ECMO))
    bad["simulation"]["duration_s"] = float("nan")
    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.Simulation(bad)
    assert e.value.field == "simulation.duration_s" and math.isnan(e.value.value)
    assert "simulation.duration_s" in str(e.value)
    bad = json.loads(json.dumps(ECMO))
    bad["events"][0]["rpm"] = float("inf")
    with pytest.raises(ecmova.ScenarioError) as e:
        ecmova.run(bad)
    assert e.value.field == "events[0].rpm" and e.value.value == float("inf")
    sim = ecmova.Simulation(ECMO)
    with pytest.raises(ecmova.ActionError) as e:
        sim.apply({"action": "set_pump_rpm", "rpm": float("-inf")})
    assert e.value.field == "rpm"


def test_numpy_numbers_are_numbers():
    np = pytest.importorskip("numpy")
    sim = ecmova.Simulation(ECMO)
    # A grid from np.arange holds np.int64: a number, as in the scenario format.
    for rpm in np.arange(3000, 3501, 500):
        sim.apply({"action": "set_pump_rpm", "rpm": rpm})
    sim.advance(np.float64(0.5))
    sim.advance(np.int64(1))
    assert sim.summary()["pump_rpm_setting"] == 3500.0
    assert abs(sim.time_s - 1.5) <= 0.001 + 1e-9
    with_scale = json.loads(json.dumps(ECMO))
    with_scale["patient"]["svr_scale"] = np.float32(1.25)
    assert ecmova.Simulation(with_scale).time_s == 0.0


# -- the GIL is released while simulating ------------------------------------------------------

LONG = {"patient": {"preset": "cardiogenic-shock-ami"}, "simulation": {"duration_s": 1200}}


def test_another_python_thread_progresses_while_a_simulation_runs():
    ticks = []
    done = threading.Event()

    def simulate():
        ecmova.run(LONG)
        done.set()

    worker = threading.Thread(target=simulate)
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.002)
    worker.join()
    elapsed = time.perf_counter() - start
    assert elapsed > 0.2, "the simulation must be long enough to observe"
    # Holding the GIL through the run, the loop would stall for the whole run: one tick at
    # the start and one at the end. Released, it ticks throughout.
    gaps = [b - a for a, b in zip([start] + ticks, ticks + [time.perf_counter()])]
    assert max(gaps) < 0.25 * elapsed, (max(gaps), elapsed)
    assert len(ticks) > 20


def _oversubscribed() -> bool:
    cores = os.cpu_count() or 1
    return cores < 2 or os.getloadavg()[0] > 2 * cores


@pytest.mark.skipif(
    _oversubscribed(),
    reason="fewer than two cores, or the machine is oversubscribed (load average above twice "
    "the cores): wall-clock parallel speed-up is not measurable; the thread-progress test still runs",
)
def test_two_threads_simulating_take_about_the_time_of_one():
    def one():
        t = time.perf_counter()
        ecmova.run(LONG)
        return time.perf_counter() - t

    def two():
        t = time.perf_counter()
        threads = [threading.Thread(target=ecmova.run, args=(LONG,)) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return time.perf_counter() - t

    # Serialised by a held GIL, the pair would take 2x; in parallel ~1x (1.6 leaves room for
    # other work on the machine). Another process busy on a core for a while also gives ~2x,
    # so up to three attempts: a held GIL fails all three, a busy period passes.
    attempts = []
    for _ in range(3):
        single = min(one() for _ in range(2))
        pair = min(two() for _ in range(2))
        attempts.append((pair, single))
        if pair < 1.6 * single:
            break
    assert any(pair < 1.6 * single for pair, single in attempts), attempts
