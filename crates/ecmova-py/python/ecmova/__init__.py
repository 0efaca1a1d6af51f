"""ecmova for Python: a VA-ECMO simulator and clinical decision support.

Research and teaching tool, not a certified medical device: it must not be used to make or
support decisions about the care of a real patient.

A thin layer over the Rust driver (``ecmova_scenario::Simulation``) and clinical library:
the same physiology, the same action vocabulary, the same summary keys and the same errors as
the ``ecmova`` command line, the web simulator and the JSON API.

>>> import ecmova
>>> sim = ecmova.Simulation({"patient": {"preset": "cardiogenic-shock-ami"},
...                          "simulation": {"duration_s": 30}})
>>> sim.advance(10)
>>> sim.summary()["map_mmhg"]                      # doctest: +SKIP
>>> sim.series(["time_s", "p_right_radial_mmhg"]).to_pandas()   # doctest: +SKIP

Scenarios: a ``dict`` (the scenario format of docs/scenario-format.md), a TOML string, or a
path (``str`` ending in ``.toml``/``.json``, or ``os.PathLike``). Patients: a ``dict``, a JSON
string or a path (docs/patient-format.md).

The GIL is released while simulating, so threads (and Dask or Ray workers in threads) run
simulations in parallel. A :class:`Simulation` pickles as its snapshot, so it can move between
processes and resume bit-identically.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _arrow
from . import _ecmova
from ._errors import ActionError, CohortError, EcmovaError, PatientError, ScenarioError

__version__: str = _ecmova.__version__
"""The version of the Rust crates this package was built from."""

#: Longest simulated time a simulation may reach, s (24 h; the scenario format's limit).
MAX_DURATION_S: float = _ecmova.MAX_DURATION_S

#: The score names :func:`score` accepts.
SCORES: Tuple[str, ...] = tuple(_ecmova.SCORES)

__all__ = [
    "Simulation",
    "Result",
    "run",
    "cohort",
    "assess",
    "score",
    "presets",
    "EcmovaError",
    "ScenarioError",
    "ActionError",
    "CohortError",
    "PatientError",
    "MAX_DURATION_S",
    "SCORES",
    "__version__",
]

ScenarioLike = Union[Mapping[str, Any], str, "os.PathLike[str]"]
CohortLike = Union[Mapping[str, Any], str, "os.PathLike[str]"]
ShardLike = Union[Tuple[int, int], str]
PatientLike = Union[Mapping[str, Any], str, "os.PathLike[str]"]


def _plain(o: Any) -> Any:
    """A NumPy scalar (``np.int64`` from ``np.arange``, ``np.float32``...) as the Python number
    or bool it holds; anything else is refused as JSON refuses it."""
    if type(o).__module__ == "numpy" and hasattr(o, "item") and getattr(o, "shape", None) == ():
        return o.item()
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _nonfinite(obj: Any, path: str = "") -> Optional[Tuple[str, float]]:
    """The dotted path (``ecmo.pump_rpm``, ``events[0].rpm``) and value of the first NaN or
    infinity in ``obj``, if any."""
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            found = _nonfinite(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            found = _nonfinite(v, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(obj, numbers.Real) and not isinstance(obj, bool):
        x = float(obj)
        if not math.isfinite(x):
            return path, x
    return None


def _json(obj: Mapping[str, Any], error: type, what: str) -> str:
    try:
        return json.dumps(obj, allow_nan=False, default=_plain)
    except ValueError as e:  # NaN or infinity
        found = _nonfinite(obj)
        if found is None:  # pragma: no cover - json refuses only non-finite numbers here
            raise error(f"{what}: {e} (NaN and infinity are not values ecmova accepts)") from None
        field, x = found
        raise error(
            f"{field} = {x} is not a number ecmova accepts: NaN and infinity are refused "
            f"(give a finite value)",
            field=field,
            value=x,
        ) from None
    except TypeError as e:
        raise error(f"{what}: {e}") from None


def _flag(name: str, x: Any) -> bool:
    """A yes/no argument: ``True``/``False`` (or a NumPy bool), never a truthy stand-in
    (``"no"`` would otherwise mean yes)."""
    if isinstance(x, bool):
        return x
    if type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_"):
        return bool(x)
    raise TypeError(f"{name}: expected True or False, not {x!r}")


def _column_names(columns: Optional[Sequence[str]]) -> Optional[List[str]]:
    """The ``columns`` argument of ``series()``: ``None`` or a list of names (a lone string
    would otherwise be read letter by letter)."""
    if columns is None:
        return None
    if isinstance(columns, (str, bytes)):
        raise TypeError(
            f"columns: expected a list of column names, not a string: write [{columns!r}]"
        )
    return [str(c) for c in columns]


def _read(path: "os.PathLike[str] | str") -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _is_path(s: str, suffixes: Tuple[str, ...]) -> bool:
    return "\n" not in s and s.strip().lower().endswith(suffixes)


def _scenario_source(scenario: ScenarioLike) -> Tuple[str, str]:
    """The scenario as (text, format)."""
    if isinstance(scenario, Mapping):
        return _json(scenario, ScenarioError, "scenario"), "json"
    if isinstance(scenario, os.PathLike) or (
        isinstance(scenario, str) and _is_path(scenario, (".toml", ".json"))
    ):
        path = os.fspath(scenario)
        fmt = "json" if str(path).lower().endswith(".json") else "toml"
        return _read(path), fmt
    if isinstance(scenario, str):
        return scenario, "toml"
    raise TypeError(
        f"scenario: expected a dict, a TOML string or a path, not {type(scenario).__name__}"
    )


def _patient_source(patient: PatientLike) -> str:
    """The patient as JSON text."""
    if isinstance(patient, Mapping):
        return _json(patient, PatientError, "patient")
    if isinstance(patient, os.PathLike) or (
        isinstance(patient, str) and _is_path(patient, (".json",))
    ):
        return _read(patient)
    if isinstance(patient, str):
        return patient
    raise TypeError(
        f"patient: expected a dict, a JSON string or a path, not {type(patient).__name__}"
    )


def _restore(data: bytes, record_series: bool = True) -> "Simulation":
    return Simulation.restore(data, record_series=record_series)


class Simulation:
    """One simulated patient: the Rust driver, advanced on demand.

    ``Simulation(scenario, record_series=True)`` builds the scenario and starts it at
    t = 0 (actions timed at 0 applied). The scenario's ``[[events]]`` are applied as the
    simulation reaches their times, whoever advances it; :meth:`apply` adds actions now.

    ``record_series`` keeps the time series (every pressure, volume, flow and saturation, one
    row per ``simulation.series_interval_s``, 5 ms by default: 8 bytes per column, 0.9 kB a row
    with a circuit and gas transport, 11 MB a simulated minute); turn it
    off for long runs where only summaries matter. Every beat's metrics are always kept.

    Not for use from two threads at once: each thread should own its simulations (a second
    call while one is simulating raises ``RuntimeError``).
    """

    def __init__(self, scenario: ScenarioLike, *, record_series: bool = True) -> None:
        text, fmt = _scenario_source(scenario)
        record_series = _flag("record_series", record_series)
        self._native = _ecmova.NativeSimulation(text, fmt, record_series)
        self._record_series = record_series
        # The clock the calls asked for: `advance(x)` goes to `_clock_s + x`, not to the time
        # reached (the first step boundary at or after the target, up to a step later), so
        # that many short advances do not add up the overshoot.
        self._clock_s: float = self._native.time_s

    # -- state ------------------------------------------------------------------------
    @property
    def time_s(self) -> float:
        """Simulated time, s."""
        return self._native.time_s

    @property
    def end_s(self) -> float:
        """End of the scenario's ``simulation.duration_s``, s (where :func:`run` stops;
        :meth:`advance` may go past it, up to :data:`MAX_DURATION_S`)."""
        return self._native.end_s

    # -- driving ----------------------------------------------------------------------
    def apply(self, action: Mapping[str, Any]) -> str:
        """Applies an action now and returns its clinical label.

        ``action`` is an entry of a scenario's ``[[events]]`` without ``at_s``, e.g.
        ``{"action": "set_pump_rpm", "rpm": 3600}`` (docs/scenario-format.md lists them).
        Raises :class:`ActionError` (with ``field``, ``value``, ``min``, ``max``) if it is
        out of range or the patient lacks what it needs.
        """
        return self._native.apply(_json(action, ActionError, "action"))

    def advance(self, seconds: float) -> None:
        """Simulates ``seconds`` more (the GIL is released meanwhile): to the first step
        boundary at or after the time the calls have asked for so far plus ``seconds`` (so
        100 advances of 10 ms reach 1 s, as one of 1 s does)."""
        self._advance("seconds", seconds, until_steady=False)

    def stabilize(self, max_s: float = 300.0) -> bool:
        """Simulates until the current phase is in its periodic steady state, for at most
        ``max_s`` seconds; returns whether it got there."""
        return self._advance("max_s", max_s, until_steady=True)

    def _advance(self, name: str, seconds: float, until_steady: bool) -> bool:
        now = self._clock_s
        room = MAX_DURATION_S - now
        # A number of seconds, not something float() happens to read ("5", True).
        if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
            raise ScenarioError(
                f"{name} = {seconds!r} is not a number of seconds",
                field=name,
                value=str(seconds),
            )
        x = float(seconds)
        if not (math.isfinite(x) and 0.0 <= x <= room):
            raise ScenarioError(
                f"{name} = {x} is out of range: allowed 0 to {room} s "
                f"(a simulation ends at {MAX_DURATION_S} s)",
                field=name,
                value=x,
                allowed=f"0 to {room} s",
                min=0.0,
                max=room,
                unit="s",
            )
        target = now + x
        steady = self._native.advance_to(target, until_steady)
        # Stopped early at a steady beat: the clock is that beat's end.
        self._clock_s = self.time_s if steady else target
        return steady

    # -- outputs ----------------------------------------------------------------------
    def summary(self) -> Dict[str, Any]:
        """The summary now: the same keys and values as ``ecmova simulate --summary-json``
        (metrics averaged over the last 5 beats; absent quantities are absent keys)."""
        return json.loads(self._native.summary_json())

    @property
    def series_columns(self) -> List[str]:
        """The names of the series' columns (empty when not recorded)."""
        return list(self._native.series_names())

    def series(self, columns: Optional[Sequence[str]] = None) -> pa.Table:
        """The recorded time series as a ``pyarrow.Table`` of float64 columns (units in the
        names: ``time_s``, ``p_right_radial_mmhg``, ``so2_right_radial_percent``...).

        ``columns`` selects some (``KeyError`` names the allowed ones). The table wraps the
        native buffers without copying; ``.to_pandas()`` copies once.
        """
        return _arrow.table(self._native.series(_column_names(columns)))

    def beats(self) -> pa.Table:
        """Every completed beat's metrics as a ``pyarrow.Table``, the columns of
        ``ecmova simulate --beats``: ``time_s`` (the beat's start), ``phase_index`` (into the
        summary's ``phases``), ``beat_index``, the summary's metric keys this patient has,
        ``aortic_valve_opened``."""
        cols, opened = self._native.beats()
        return _arrow.beats_table(cols, opened)

    # -- snapshots --------------------------------------------------------------------
    def snapshot(self) -> bytes:
        """A snapshot (JSON bytes: the scenario, every applied action with its time, the
        time reached) from which :meth:`restore` resumes bit-identically."""
        data = bytes(self._native.snapshot())
        doc = json.loads(data)
        if self._clock_s < doc["time_s"] - 1e-9:
            # The time the calls asked for, behind the step boundary reached: the replay
            # (`advance_to` it) stops at the same boundary, and the clock resumes from it.
            doc["time_s"] = self._clock_s
            data = json.dumps(doc, allow_nan=False).encode()
        return data

    @classmethod
    def restore(cls, data: bytes, record_series: bool = True) -> "Simulation":
        """Resumes a :meth:`snapshot` (by replaying it: costs the run's compute once; the GIL
        is released). Raises :class:`ScenarioError` for a snapshot of another version."""
        record_series = _flag("record_series", record_series)
        obj = cls.__new__(cls)
        obj._native = _ecmova.NativeSimulation.restore(bytes(data), record_series)
        obj._record_series = record_series
        obj._clock_s = float(json.loads(bytes(data))["time_s"])
        return obj

    def __reduce__(self) -> Any:
        return (_restore, (self.snapshot(), self._record_series))

    def __repr__(self) -> str:
        return f"<ecmova.Simulation t={self.time_s:.3f} s>"


class Result:
    """A finished scenario run (:func:`run`), as ``ecmova simulate`` produces it."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self._summary: Optional[Dict[str, Any]] = None

    @property
    def summary(self) -> Dict[str, Any]:
        """The summary: the same JSON as ``ecmova simulate --summary-json``."""
        if self._summary is None:
            self._summary = json.loads(self._native.summary_json())
        return self._summary

    def series(self, columns: Optional[Sequence[str]] = None) -> Optional[pa.Table]:
        """The time series (``None`` unless the run was asked with ``series=True``)."""
        return _arrow.maybe_table(self._native.series(_column_names(columns)))

    def beats(self) -> pa.Table:
        """Every beat's metrics (see :meth:`Simulation.beats`)."""
        cols, opened = self._native.beats()
        return _arrow.beats_table(cols, opened)

    def __repr__(self) -> str:
        s = self.summary
        return f"<ecmova.Result {s.get('preset')} {s.get('simulated_s')} s>"


def run(scenario: ScenarioLike, until_steady: bool = False, *, series: bool = False) -> Result:
    """Runs a scenario to its end (or its periodic steady state with ``until_steady``),
    exactly as ``ecmova simulate [--until-steady]`` does: the summary is bit-identical.

    ``series=True`` records the time series too (``ecmova simulate --series``). The GIL is
    released while simulating.
    """
    text, fmt = _scenario_source(scenario)
    until_steady = _flag("until_steady", until_steady)
    series = _flag("series", series)
    return Result(_ecmova.run_scenario(text, fmt, until_steady, series))


def _shard_text(shard: Optional[ShardLike]) -> Optional[str]:
    """``(k, n)`` or ``"k/n"`` as the runner's ``K/N`` (checked there: 0 <= K < N)."""
    if shard is None or isinstance(shard, str):
        return shard
    if (
        isinstance(shard, (tuple, list))
        and len(shard) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in shard)
    ):
        k, n = shard
        if k < 0 or n < 1 or k >= n:
            raise CohortError(
                f"shard: {k}/{n} is out of range: need 0 <= K < N, N >= 1",
                field="shard",
                value=f"{k}/{n}",
                allowed="(K, N) or \"K/N\" with 0 <= K < N",
            )
        return f"{k}/{n}"
    raise CohortError(
        f"shard: {shard!r} is not (K, N) or \"K/N\"",
        field="shard",
        value=repr(shard),
        allowed="(K, N) or \"K/N\" with 0 <= K < N",
    )


def cohort(
    cohort: CohortLike,
    shard: Optional[ShardLike] = None,
    threads: Optional[int] = None,
) -> pa.Table:
    """Runs a virtual cohort (docs/cohort-format.md), or one shard of it, exactly as
    ``ecmova cohort FILE --out DIR [--shard K/N] [--threads N]`` does, and returns the rows of
    its ``results.parquet``: one row per patient x sweep point, in (patient, sweep) order, the
    same columns and bit-identical values (the same Rust runner writes them).

    ``cohort``: a path (``str`` ending in ``.toml`` or ``os.PathLike``; ``base_file``
    relative to it), a TOML string, or a ``dict`` of the cohort file's tables (``base_file``
    of a string or a dict is relative to the working directory).

    ``shard``: ``(k, n)`` or ``"k/n"`` runs the patients ``i`` with ``i % n == k``; ``None``
    runs the whole cohort (unlike the CLI, the Slurm/Kubernetes environment is not read:
    pass the shard). Shards of one cohort, concatenated and sorted by ``patient_index`` and
    ``sweep_index``, equal the whole cohort's table.

    ``threads``: worker threads (``None``: all cores). The rows do not depend on it. The GIL
    is released while the cohort runs.

    Raises :class:`CohortError` (a :class:`ScenarioError`) naming the key at fault.
    """
    if isinstance(cohort, Mapping):
        source, kind = _json(cohort, CohortError, "cohort"), "json"
    elif isinstance(cohort, os.PathLike) or (
        isinstance(cohort, str) and _is_path(cohort, (".toml",))
    ):
        source, kind = os.fspath(cohort), "path"
    elif isinstance(cohort, str):
        source, kind = cohort, "toml"
    else:
        raise TypeError(
            f"cohort: expected a dict, a TOML string or a path, not {type(cohort).__name__}"
        )
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)):
        raise TypeError(f"threads: expected an int or None, not {type(threads).__name__}")
    if threads is not None and threads < 1:
        raise CohortError(
            f"threads = {threads} is out of range: give at least 1 (or None for all cores)",
            field="threads",
            value=threads,
            allowed="1 or more, or None for all cores",
            min=1,
        )
    import pyarrow.parquet as pq

    # The runner writes its chunk files and results.parquet as the CLI does; the table is
    # read fully into memory before the directory goes.
    with tempfile.TemporaryDirectory(prefix="ecmova-cohort-") as out:
        _ecmova.run_cohort(source, kind, out, _shard_text(shard), threads)
        return pq.read_table(os.path.join(out, "results.parquet"), memory_map=False)


def assess(patient: PatientLike) -> Dict[str, Any]:
    """The VA-ECMO assessment of a patient (``ecmova assess``, JSON form): verdict, SCAI
    stage, contraindications, ECPR criteria, expected survival, weaning, each with sources.
    Raises :class:`PatientError` naming the field."""
    return json.loads(_ecmova.assess_json(_patient_source(patient)))


def score(name: str, patient: PatientLike) -> Dict[str, Any]:
    """A published score of a patient (``ecmova score NAME``): one of :data:`SCORES`
    (``save``, ``encourage``, ``cardshock``, ``tips65``). Raises :class:`PatientError`
    naming the field."""
    return json.loads(_ecmova.score_json(str(name), _patient_source(patient)))


def presets() -> List[str]:
    """The built-in patient presets (docs/methodology/presets.md)."""
    return list(_ecmova.presets())
