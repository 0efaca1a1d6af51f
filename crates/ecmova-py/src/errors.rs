//! Rust errors as the Python exceptions of `ecmova._errors`, with the field, the value and
//! the allowed range as attributes (the message is the Rust error's own, unchanged).

use ecmova_clinical::ClinicalError;
use ecmova_engine::ParamError;
use ecmova_scenario::{ActionError, ScenarioError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A rejected value: a number or a word.
pub enum Value {
    /// A number.
    Number(f64),
    /// A word or a name.
    Text(String),
}

/// What a Python exception carries besides its message.
#[derive(Default)]
pub struct Details {
    /// Dotted path of the key at fault (`ecmo.pump_rpm`, `events[2]`).
    pub field: Option<String>,
    /// The rejected value.
    pub value: Option<Value>,
    /// What is allowed, in words (`0 to 5000 rpm`, `save, encourage`).
    pub allowed: Option<String>,
    /// Lowest allowed value (numeric ranges only).
    pub min: Option<f64>,
    /// Highest allowed value (numeric ranges only).
    pub max: Option<f64>,
    /// Unit of the value (numeric ranges only).
    pub unit: Option<String>,
}

impl Details {
    /// A numeric range.
    pub fn range(field: &str, value: f64, min: f64, max: f64, unit: &str) -> Self {
        Details {
            field: Some(field.to_string()),
            value: Some(Value::Number(value)),
            allowed: Some(format!("{min} to {max} {unit}").trim_end().to_string()),
            min: Some(min),
            max: Some(max),
            unit: (!unit.is_empty()).then(|| unit.to_string()),
        }
    }

    /// Only the field.
    pub fn field(field: impl Into<String>) -> Self {
        Details {
            field: Some(field.into()),
            ..Details::default()
        }
    }

    /// A choice among allowed words.
    pub fn choice(field: impl Into<String>, value: impl Into<String>, allowed: String) -> Self {
        Details {
            field: Some(field.into()),
            value: Some(Value::Text(value.into())),
            allowed: Some(allowed),
            ..Details::default()
        }
    }
}

/// Builds the exception `class` of `ecmova._errors` (falls back to the import error itself if
/// the Python half of the package is missing).
pub fn raise(py: Python<'_>, class: &str, message: String, d: Details) -> PyErr {
    let built = (|| -> PyResult<PyErr> {
        let module = PyModule::import(py, "ecmova._errors")?;
        let cls = module.getattr(class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("field", d.field)?;
        match d.value {
            Some(Value::Number(x)) => kwargs.set_item("value", x)?,
            Some(Value::Text(s)) => kwargs.set_item("value", s)?,
            None => kwargs.set_item("value", py.None())?,
        }
        kwargs.set_item("allowed", d.allowed)?;
        kwargs.set_item("min", d.min)?;
        kwargs.set_item("max", d.max)?;
        kwargs.set_item("unit", d.unit)?;
        let exc = cls.call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    })();
    built.unwrap_or_else(|e| e)
}

/// The key a serde message names (`unknown field `x``, `missing field `x``), if any.
fn serde_field(message: &str) -> Option<String> {
    for marker in [
        "unknown field `",
        "missing field `",
        "duplicate key `",
        "duplicate field `",
    ] {
        if let Some(start) = message.find(marker) {
            let rest = &message[start + marker.len()..];
            if let Some(end) = rest.find('`') {
                return Some(rest[..end].to_string());
            }
        }
    }
    None
}

/// The field of a parameter error, as the scenario error's message names it.
fn param_details(message: &str, e: &ParamError) -> Details {
    match e {
        ParamError::OutOfRange {
            value,
            min,
            max,
            unit,
            ..
        } => {
            // The message starts with the (prefixed) dotted path: `patient.x = 3 is out ...`.
            let field = message.split(" = ").next().unwrap_or_default();
            Details::range(field, *value, *min, *max, unit)
        }
        ParamError::Device { field, .. } => Details::field(field.clone()),
        ParamError::Topology(_) => Details::default(),
    }
}

/// A scenario error as `ecmova.ScenarioError`.
pub fn scenario(py: Python<'_>, e: ScenarioError) -> PyErr {
    let message = e.to_string();
    let d = match &e {
        ScenarioError::Parse(m) => Details {
            field: serde_field(m),
            ..Details::default()
        },
        ScenarioError::UnknownPreset(u) => Details::choice(
            "patient.preset",
            u.name.clone(),
            ecmova_engine::presets::NAMES.join(", "),
        ),
        ScenarioError::UnknownName {
            table,
            name,
            allowed,
            ..
        } => Details::choice(
            format!("patient.{table}.{name}"),
            name.clone(),
            allowed.clone(),
        ),
        ScenarioError::NotApplicable { path, .. } => Details::field(format!("patient.{path}")),
        ScenarioError::Invalid { path, .. } => Details::field(path.clone()),
        ScenarioError::Param(p) => param_details(&message, p),
        ScenarioError::InvalidChoice {
            field,
            value,
            allowed,
        } => Details::choice(field.clone(), value.clone(), allowed.clone()),
        ScenarioError::Event { index, .. } => Details::field(format!("events[{index}]")),
        ScenarioError::Implausible {
            quantity,
            value,
            bound,
            ..
        } => Details {
            field: Some(quantity.clone()),
            value: Some(Value::Number(*value)),
            allowed: Some(bound.clone()),
            ..Details::default()
        },
        _ => Details::default(),
    };
    raise(py, "ScenarioError", message, d)
}

/// An action error as `ecmova.ActionError` (a kind of `ScenarioError`).
pub fn action(py: Python<'_>, e: ActionError) -> PyErr {
    let message = e.to_string();
    let d = match &e {
        ActionError::OutOfRange {
            field,
            value,
            min,
            max,
            unit,
        } => Details::range(field, *value, *min, *max, unit),
        ActionError::Unavailable { field, .. } | ActionError::Invalid { field, .. } => {
            Details::field(field.clone())
        }
        #[allow(unreachable_patterns)]
        _ => Details::default(),
    };
    raise(py, "ActionError", message, d)
}

/// An action that does not parse as an `Action`.
pub fn action_parse(py: Python<'_>, e: serde_json::Error) -> PyErr {
    let message = format!("invalid action: {e}");
    let field = serde_field(&message).unwrap_or_else(|| "action".into());
    raise(py, "ActionError", message, Details::field(field))
}

/// A clinical error as `ecmova.PatientError`.
pub fn patient(py: Python<'_>, e: ClinicalError) -> PyErr {
    let message = e.to_string();
    let field = e.field();
    let d = match &e {
        ClinicalError::OutOfRange {
            field,
            value,
            min,
            max,
            unit,
        } => Details::range(field, *value, *min, *max, unit),
        ClinicalError::Implausible {
            field,
            value,
            min,
            max,
            unit,
            ..
        } => Details::range(field, *value, *min, *max, unit),
        ClinicalError::NotApplicable { field, value, .. } => Details {
            field: Some((*field).to_string()),
            value: Some(Value::Text(value.clone())),
            ..Details::default()
        },
        _ => Details {
            field: (!field.is_empty()).then_some(field),
            ..Details::default()
        },
    };
    raise(py, "PatientError", message, d)
}

/// A cohort error as `ecmova.CohortError` (a kind of `ScenarioError`), with the key at fault
/// (`parameter[2].sd`, `shard`, a file) as `field`; the message says what is allowed.
pub fn cohort(py: Python<'_>, e: ecmova_cohort::CohortError) -> PyErr {
    use ecmova_cohort::CohortError;
    let message = e.to_string();
    let d = match &e {
        // The CLI's flag is the Python argument `shard`.
        CohortError::Invalid { field, .. } if field == "--shard" => Details::field("shard"),
        CohortError::Invalid { field, .. } => Details::field(field.clone()),
        CohortError::Parse(m) => Details {
            field: serde_field(m),
            ..Details::default()
        },
        CohortError::Io { path, .. } | CohortError::Parquet { path, .. } => {
            Details::field(path.display().to_string())
        }
    };
    let message = message.replacen("--shard: ", "shard: ", 1);
    raise(py, "CohortError", message, d)
}
