//! The scenario file format (see `docs/scenario-format.md`).
//!
//! Every table rejects unknown keys, so a typo is an error that names the key rather than
//! a silently ignored setting.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The patient: a preset and overrides of its parameters.
    pub patient: Patient,
    /// How long and how finely to simulate.
    pub simulation: Simulation,
}

/// `[patient]`: a preset plus parameter overrides beside it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// Name of the built-in preset (`healthy-adult`, `regazzoni-2022`,
    /// `cardiogenic-shock-ami`).
    pub preset: String,
    /// Heart rate, bpm (20-250).
    pub heart_rate_bpm: Option<f64>,
    /// Per-compartment overrides: `[patient.compartment.<name>]`.
    #[serde(default)]
    pub compartment: BTreeMap<String, CompartmentOverride>,
    /// Per-chamber overrides: `[patient.chamber.<name>]` (`lv`, `rv`, `la`, `ra`).
    #[serde(default)]
    pub chamber: BTreeMap<String, ChamberOverride>,
    /// Per-connection overrides: `[patient.connection.<name>]`.
    #[serde(default)]
    pub connection: BTreeMap<String, ConnectionOverride>,
}

/// Overrides of a vessel compartment.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CompartmentOverride {
    /// Compliance, mL/mmHg.
    pub compliance_ml_per_mmhg: Option<f64>,
    /// Unstressed volume, mL.
    pub unstressed_volume_ml: Option<f64>,
}

/// Overrides of a heart chamber.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChamberOverride {
    /// End-systolic (maximal active) elastance, mmHg/mL.
    pub ees_mmhg_per_ml: Option<f64>,
    /// Volume intercept, mL.
    pub v0_ml: Option<f64>,
    /// EDPVR scale A, mmHg (exponential chambers).
    pub edpvr_a_mmhg: Option<f64>,
    /// EDPVR stiffness B, 1/mL (exponential chambers).
    pub edpvr_b_per_ml: Option<f64>,
    /// Passive elastance, mmHg/mL (linear chambers).
    pub passive_elastance_mmhg_per_ml: Option<f64>,
}

/// Overrides of a connection (resistor, vessel segment or valve).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConnectionOverride {
    /// Resistance, mmHg·s/mL (resistors and segments).
    pub resistance_mmhg_s_per_ml: Option<f64>,
    /// Inertance, mmHg·s²/mL (segments).
    pub inertance_mmhg_s2_per_ml: Option<f64>,
    /// Open resistance, mmHg·s/mL (valves).
    pub open_resistance_mmhg_s_per_ml: Option<f64>,
    /// Regurgitant conductance, mL/(s·mmHg) (valves).
    pub regurgitant_conductance_ml_per_s_mmhg: Option<f64>,
}

/// `[simulation]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Simulated duration, s (always simulated in full unless `--until-steady`).
    pub duration_s: f64,
    /// Upper bound of the integration step, s (default 0.001).
    pub max_step_s: Option<f64>,
    /// Interval between time-series rows, s (default 0.005).
    pub series_interval_s: Option<f64>,
    /// Beat-to-beat relative change below which the run counts as steady (default 0.001).
    pub steady_tolerance: Option<f64>,
}

impl Scenario {
    /// Parses a TOML scenario.
    pub fn from_toml(text: &str) -> Result<Self, crate::ScenarioError> {
        toml::from_str(text).map_err(|e| crate::ScenarioError::Parse(e.to_string()))
    }

    /// Parses a JSON scenario.
    pub fn from_json(text: &str) -> Result<Self, crate::ScenarioError> {
        serde_json::from_str(text).map_err(|e| crate::ScenarioError::Parse(e.to_string()))
    }
}
