//! From a scenario file to a validated engine model.

use crate::wire::Scenario;
use ecmova_engine::model::check_range;
use ecmova_engine::{
    presets, CirculationParams, CompartmentKind, ConnectionKind, IntegrationParams, Model,
    ParamError, Passive,
};

/// Anything wrong with a scenario. Messages name the field, its value and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not valid TOML/JSON for the format (syntax, unknown key, wrong type,
    /// missing field); the parser's message names the key and the line.
    #[error("invalid scenario file: {0}")]
    Parse(String),
    /// An unknown preset.
    #[error("patient.preset: {0}")]
    UnknownPreset(presets::UnknownPreset),
    /// A name that does not exist in the chosen preset.
    #[error("patient.{table}.{name}: no such {what} in preset {preset}; allowed: {allowed}")]
    UnknownName {
        /// Override table (`compartment`, `chamber`, `connection`).
        table: &'static str,
        /// What kind of thing was named.
        what: &'static str,
        /// The unknown name.
        name: String,
        /// The preset.
        preset: String,
        /// The names that exist.
        allowed: String,
    },
    /// An override that does not apply to that kind of element.
    #[error("patient.{path}: {reason}")]
    NotApplicable {
        /// Dotted path of the key.
        path: String,
        /// Why it does not apply.
        reason: String,
    },
    /// An out-of-range parameter.
    #[error("{}", prefixed(.0))]
    Param(ParamError),
    /// The simulation diverged (non-finite state); should not happen with validated
    /// parameters, and is reported rather than returned as numbers.
    #[error("simulation diverged at t = {time_s:.3} s: the state is no longer finite")]
    Diverged {
        /// Simulated time at which it was detected, s.
        time_s: f64,
    },
}

// Manual conversions: the wrapped errors are rendered in the message itself, not chained as
// sources, so that error reports print each fact once.
impl From<ParamError> for ScenarioError {
    fn from(e: ParamError) -> Self {
        ScenarioError::Param(e)
    }
}

impl From<presets::UnknownPreset> for ScenarioError {
    fn from(e: presets::UnknownPreset) -> Self {
        ScenarioError::UnknownPreset(e)
    }
}

fn prefixed(e: &ParamError) -> String {
    match e {
        ParamError::OutOfRange { field, .. } if !field.starts_with("simulation.") => {
            format!("patient.{e}")
        }
        _ => e.to_string(),
    }
}

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Built {
    /// The validated model.
    pub model: Model,
    /// Preset name.
    pub preset: String,
    /// Duration to simulate, s.
    pub duration_s: f64,
    /// Time-series row interval, s.
    pub series_interval_s: f64,
    /// Steady-state tolerance (relative beat-to-beat change).
    pub steady_tolerance: f64,
}

/// Default interval between time-series rows, s (200 Hz: waveform peaks within ~1 %).
pub const DEFAULT_SERIES_INTERVAL_S: f64 = 0.005;
/// Longest simulated duration accepted, s (24 h).
pub const MAX_DURATION_S: f64 = 86_400.0;

/// Builds the model of a scenario: the preset, then the overrides, then validation.
pub fn build(scenario: &Scenario) -> Result<Built, ScenarioError> {
    let p = &scenario.patient;
    let mut params = presets::by_name(&p.preset)?;
    apply_overrides(scenario, &mut params)?;
    let sim = &scenario.simulation;
    check_range(
        || "simulation.duration_s".into(),
        sim.duration_s,
        1e-3,
        MAX_DURATION_S,
        "s",
    )?;
    let series_interval_s = sim.series_interval_s.unwrap_or(DEFAULT_SERIES_INTERVAL_S);
    check_range(
        || "simulation.series_interval_s".into(),
        series_interval_s,
        1e-4,
        60.0,
        "s",
    )?;
    let steady_tolerance = sim
        .steady_tolerance
        .unwrap_or(ecmova_engine::SteadyStateDetector::DEFAULT_TOLERANCE);
    check_range(
        || "simulation.steady_tolerance".into(),
        steady_tolerance,
        1e-9,
        0.1,
        "",
    )?;
    let mut integration = IntegrationParams::default();
    if let Some(h) = sim.max_step_s {
        integration.max_step_s = h;
    }
    let model = Model::new(params, integration)?;
    Ok(Built {
        model,
        preset: p.preset.clone(),
        duration_s: sim.duration_s,
        series_interval_s,
        steady_tolerance,
    })
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

fn apply_overrides(
    scenario: &Scenario,
    params: &mut CirculationParams,
) -> Result<(), ScenarioError> {
    let p = &scenario.patient;
    if let Some(hr) = p.heart_rate_bpm {
        params.heart_rate_bpm = hr;
    }
    for (name, o) in &p.compartment {
        let i = params
            .compartment_index(name)
            .ok_or_else(|| ScenarioError::UnknownName {
                table: "compartment",
                what: "compartment",
                name: name.clone(),
                preset: p.preset.clone(),
                allowed: names(params.compartments.iter().filter_map(|c| match c.kind {
                    CompartmentKind::Vessel(_) => Some(c.name.as_str()),
                    CompartmentKind::Chamber(_) => None,
                })),
            })?;
        match &mut params.compartments[i].kind {
            CompartmentKind::Vessel(v) => {
                if let Some(c) = o.compliance_ml_per_mmhg {
                    v.compliance_ml_per_mmhg = c;
                }
                if let Some(v0) = o.unstressed_volume_ml {
                    v.unstressed_volume_ml = v0;
                }
            }
            CompartmentKind::Chamber(_) => {
                return Err(ScenarioError::NotApplicable {
                    path: format!("compartment.{name}"),
                    reason: "is a heart chamber: use [patient.chamber.<name>]".into(),
                })
            }
        }
    }
    for (name, o) in &p.chamber {
        let chambers = || {
            names(params.compartments.iter().filter_map(|c| match c.kind {
                CompartmentKind::Chamber(_) => Some(c.name.as_str()),
                CompartmentKind::Vessel(_) => None,
            }))
        };
        let i = params
            .compartment_index(name)
            .filter(|&i| matches!(params.compartments[i].kind, CompartmentKind::Chamber(_)))
            .ok_or_else(|| ScenarioError::UnknownName {
                table: "chamber",
                what: "chamber",
                name: name.clone(),
                preset: p.preset.clone(),
                allowed: chambers(),
            })?;
        let CompartmentKind::Chamber(ch) = &mut params.compartments[i].kind else {
            unreachable!("filtered to chambers above")
        };
        if let Some(v) = o.ees_mmhg_per_ml {
            ch.ees_mmhg_per_ml = v;
        }
        if let Some(v) = o.v0_ml {
            ch.v0_ml = v;
        }
        let not_applicable = |key: &str, kind: &str| ScenarioError::NotApplicable {
            path: format!("chamber.{name}.{key}"),
            reason: format!("chamber {name} has a {kind} passive relation in this preset"),
        };
        match &mut ch.passive {
            Passive::Exponential { a_mmhg, b_per_ml } => {
                if let Some(v) = o.edpvr_a_mmhg {
                    *a_mmhg = v;
                }
                if let Some(v) = o.edpvr_b_per_ml {
                    *b_per_ml = v;
                }
                if o.passive_elastance_mmhg_per_ml.is_some() {
                    return Err(not_applicable(
                        "passive_elastance_mmhg_per_ml",
                        "exponential",
                    ));
                }
            }
            Passive::Linear {
                elastance_mmhg_per_ml,
            } => {
                if let Some(v) = o.passive_elastance_mmhg_per_ml {
                    *elastance_mmhg_per_ml = v;
                }
                if o.edpvr_a_mmhg.is_some() {
                    return Err(not_applicable("edpvr_a_mmhg", "linear"));
                }
                if o.edpvr_b_per_ml.is_some() {
                    return Err(not_applicable("edpvr_b_per_ml", "linear"));
                }
            }
        }
    }
    for (name, o) in &p.connection {
        let i = params
            .connection_index(name)
            .ok_or_else(|| ScenarioError::UnknownName {
                table: "connection",
                what: "connection",
                name: name.clone(),
                preset: p.preset.clone(),
                allowed: names(params.connections.iter().map(|c| c.name.as_str())),
            })?;
        let na = |key: &str, kind: &str| ScenarioError::NotApplicable {
            path: format!("connection.{name}.{key}"),
            reason: format!("connection {name} is a {kind}"),
        };
        match &mut params.connections[i].kind {
            ConnectionKind::Resistor(r) => {
                if let Some(v) = o.resistance_mmhg_s_per_ml {
                    r.resistance_mmhg_s_per_ml = v;
                }
                for (k, set) in [
                    (
                        "inertance_mmhg_s2_per_ml",
                        o.inertance_mmhg_s2_per_ml.is_some(),
                    ),
                    (
                        "open_resistance_mmhg_s_per_ml",
                        o.open_resistance_mmhg_s_per_ml.is_some(),
                    ),
                    (
                        "regurgitant_conductance_ml_per_s_mmhg",
                        o.regurgitant_conductance_ml_per_s_mmhg.is_some(),
                    ),
                ] {
                    if set {
                        return Err(na(k, "resistor"));
                    }
                }
            }
            ConnectionKind::Segment(s) => {
                if let Some(v) = o.resistance_mmhg_s_per_ml {
                    s.resistance_mmhg_s_per_ml = v;
                }
                if let Some(v) = o.inertance_mmhg_s2_per_ml {
                    s.inertance_mmhg_s2_per_ml = v;
                }
                for (k, set) in [
                    (
                        "open_resistance_mmhg_s_per_ml",
                        o.open_resistance_mmhg_s_per_ml.is_some(),
                    ),
                    (
                        "regurgitant_conductance_ml_per_s_mmhg",
                        o.regurgitant_conductance_ml_per_s_mmhg.is_some(),
                    ),
                ] {
                    if set {
                        return Err(na(k, "vessel segment"));
                    }
                }
            }
            ConnectionKind::Valve(v) => {
                if let Some(x) = o.open_resistance_mmhg_s_per_ml {
                    v.open_resistance_mmhg_s_per_ml = x;
                }
                if let Some(x) = o.regurgitant_conductance_ml_per_s_mmhg {
                    v.regurgitant_conductance_ml_per_s_mmhg = x;
                }
                for (k, set) in [
                    (
                        "resistance_mmhg_s_per_ml",
                        o.resistance_mmhg_s_per_ml.is_some(),
                    ),
                    (
                        "inertance_mmhg_s2_per_ml",
                        o.inertance_mmhg_s2_per_ml.is_some(),
                    ),
                ] {
                    if set {
                        return Err(na(k, "valve"));
                    }
                }
            }
        }
    }
    Ok(())
}
