"""The exceptions of ecmova.

Each carries, besides its message (the Rust library's own, which names the field, the value
and what is allowed), the same facts as attributes:

- ``field``: dotted path of the key at fault (``"ecmo.pump_rpm"``, ``"events[2]"``,
  ``"age_years"``), or ``None`` when the error is about the document as a whole;
- ``value``: the rejected value (a number or a name), or ``None``;
- ``allowed``: what is allowed, in words (``"0 to 5000 rpm"``), or ``None``;
- ``min``, ``max``, ``unit``: the numeric range, when the error is a number out of range.

They pickle (so they cross process boundaries in multiprocessing, Dask or Ray).
"""

from __future__ import annotations

from typing import Any, Optional, Union

__all__ = ["EcmovaError", "ScenarioError", "ActionError", "PatientError"]


def _rebuild(cls: type, message: str, attrs: dict) -> "EcmovaError":
    return cls(message, **attrs)


class EcmovaError(Exception):
    """Base class of every ecmova error."""

    def __init__(
        self,
        message: str,
        *,
        field: Optional[str] = None,
        value: Union[float, str, None] = None,
        allowed: Optional[str] = None,
        min: Optional[float] = None,
        max: Optional[float] = None,
        unit: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.allowed = allowed
        self.min = min
        self.max = max
        self.unit = unit

    def _attrs(self) -> dict:
        return {
            "field": self.field,
            "value": self.value,
            "allowed": self.allowed,
            "min": self.min,
            "max": self.max,
            "unit": self.unit,
        }

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self._attrs()))


class ScenarioError(EcmovaError, ValueError):
    """A scenario that cannot be built or run (parse error, unknown preset, a parameter out of
    range, an event that cannot be applied, a run that left the physically possible)."""


class ActionError(ScenarioError):
    """An action that cannot be applied now (out of range, or the patient lacks what it
    needs). A kind of :class:`ScenarioError`."""


class PatientError(EcmovaError, ValueError):
    """A patient document the clinical library refuses (unknown key, implausible or
    out-of-range value, a field a score needs that is missing)."""


class CohortError(ScenarioError):
    """A cohort that cannot be read or run (a cohort-file key, a shard or a thread count out of
    range, a base scenario that does not build): ``field`` names the key
    (``parameter[2].sd``, ``shard``, ``threads``), the message what is allowed. A kind of
    :class:`ScenarioError`."""
