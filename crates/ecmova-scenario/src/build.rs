//! From a scenario file to a validated engine model.

use crate::action::{
    range, Action, DeviceKind, Range, TimedAction, CONTRACTILITY_SCALE_RANGE, MAX_PUMP_RPM,
    SVR_SCALE_RANGE,
};
use crate::wire::Scenario;
use ecmova_engine::devices::{CentrifugalPump, Oxygenator, PUMP_PRESETS};
use ecmova_engine::model::check_range;
use ecmova_engine::unloading::{
    IABP_BALLOON_RANGE_ML, IABP_RATIO_RANGE, IMPELLA_LEVEL_RANGE, SEPTOSTOMY_DIAMETER_RANGE_MM,
    VENT_CANNULA_RANGE_FR,
};
use ecmova_engine::{
    presets, Cannulation, CirculationParams, CompartmentKind, ConnectionKind, EcmoCircuit,
    IntegrationParams, Model, ParamError, Passive, Rhythm, Unloading, UnloadingDevice,
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
    /// A key outside `[patient]` that cannot be used as given.
    #[error("{path}: {reason}")]
    Invalid {
        /// Dotted path of the key (e.g. `devices[1].kind`).
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// An out-of-range parameter.
    #[error("{}", prefixed(.0))]
    Param(ParamError),
    /// A value that must be one of a list.
    #[error("{field} = \"{value}\" is not allowed: allowed values are {allowed}")]
    InvalidChoice {
        /// Dotted path of the key.
        field: String,
        /// The rejected value.
        value: String,
        /// The allowed values.
        allowed: String,
    },
    /// An event that cannot be applied.
    #[error("events[{index}] ({action} at {at_s} s): {message}")]
    Event {
        /// Position of the event in the file.
        index: usize,
        /// Its action.
        action: &'static str,
        /// Its time, s.
        at_s: f64,
        /// What is wrong.
        message: String,
    },
    /// The simulation diverged (non-finite state); should not happen with validated
    /// parameters, and is reported rather than returned as numbers.
    #[error("simulation diverged at t = {time_s:.3} s: the state is no longer finite")]
    Diverged {
        /// Simulated time at which it was detected, s.
        time_s: f64,
    },
    /// The state or a beat left what any circulation can have (a negative volume, an
    /// ejection fraction above 100 %, ...): reported, never returned as numbers.
    #[error("simulation diverged at t = {time_s:.3} s: {quantity} = {value} is physically impossible ({bound}); the inputs are outside what the model represents")]
    Implausible {
        /// Simulated time at which it was detected, s.
        time_s: f64,
        /// The quantity.
        quantity: String,
        /// Its value.
        value: f64,
        /// The bound it broke.
        bound: String,
    },
    /// The baroreflex asked for an effect the model refuses (the circulation has left the
    /// range the reflex can act in, usually because it is diverging).
    #[error("the baroreflex stopped at t = {time_s:.3} s: {message}")]
    Reflex {
        /// Simulated time, s.
        time_s: f64,
        /// The refused effect.
        message: String,
    },
    /// The caller cancelled the computation (its [`crate::simulation::Observer`] said so).
    #[error("the simulation was cancelled at t = {time_s:.3} s")]
    Cancelled {
        /// Simulated time reached, s.
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
        ParamError::OutOfRange {
            field,
            value,
            min,
            max,
            unit,
        } => {
            let prefix = if !field.starts_with("simulation.")
                && !field.starts_with("ecmo.")
                && !field.starts_with("devices[")
                && !field.starts_with("patient.")
            {
                "patient."
            } else {
                ""
            };
            crate::action::out_of_range_message(
                &format!("{prefix}{field}"),
                *value,
                *min,
                *max,
                unit,
            )
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
    /// Timed actions, in time order (stable for equal times), with their index in the file
    /// (`usize::MAX` for the implicit starts of `start_s`).
    pub events: Vec<(usize, TimedAction)>,
    /// The preset's LV end-systolic elastance after the scenario's overrides, mmHg/mL: the
    /// reference of `set_lv_contractility` events.
    pub lv_ees_reference: f64,
    /// The arterial baroreflex, if on (its set point resolved).
    pub baroreflex: Option<ecmova_engine::baroreflex::BaroreflexParams>,
    /// The scenario it was built from (for snapshots).
    pub scenario: Scenario,
}

/// Default interval between time-series rows, s (200 Hz: waveform peaks within ~1 %).
pub const DEFAULT_SERIES_INTERVAL_S: f64 = 0.005;
/// Longest simulated duration accepted, s (24 h).
pub const MAX_DURATION_S: f64 = 86_400.0;

/// Every numeric range of a scenario key outside `[[events]]` that does not depend on the
/// patient (the events' are [`crate::action::RANGES`]): the one table the checks below, the
/// documentation (`docs/scenario-format.md`) and the range tests (`tests/ranges.rs`, every
/// key at both bounds on every preset) use. `action` is the section (`patient`, `ecmo`,
/// `devices`, `simulation`). The pump's own maximum and the start times (0 to the duration)
/// are checked where they are known.
pub const SCENARIO_RANGES: &[Range] = &[
    range(
        "patient",
        "heart_rate_bpm",
        ecmova_engine::model::HEART_RATE_RANGE_BPM.0,
        ecmova_engine::model::HEART_RATE_RANGE_BPM.1,
        "bpm",
    ),
    range(
        "patient",
        "lv_contractility_scale",
        CONTRACTILITY_SCALE_RANGE.0,
        CONTRACTILITY_SCALE_RANGE.1,
        "",
    ),
    range(
        "patient",
        "rv_contractility_scale",
        CONTRACTILITY_SCALE_RANGE.0,
        CONTRACTILITY_SCALE_RANGE.1,
        "",
    ),
    range(
        "patient",
        "svr_scale",
        SVR_SCALE_RANGE.0,
        SVR_SCALE_RANGE.1,
        "",
    ),
    range("patient", "blood_volume_scale", 0.5, 1.5, ""),
    range("patient", "hemoglobin_g_dl", 3.0, 25.0, "g/dL"),
    range("patient", "lung_shunt_fraction", 0.0, 1.0, ""),
    range("patient", "fio2", 0.21, 1.0, ""),
    range("patient", "minute_ventilation_l_min", 0.0, 40.0, "L/min"),
    range("patient", "dead_space_fraction", 0.0, 0.95, ""),
    range("patient", "baroreflex_gain", 0.0, 2.0, ""),
    range("patient", "baroreflex_set_point_mmhg", 30.0, 200.0, "mmHg"),
    range("ecmo", "pump_rpm", 0.0, MAX_PUMP_RPM, "rpm"),
    range(
        "ecmo",
        "drainage_cannula_fr",
        crate::action::DRAINAGE_CANNULA_RANGE_FR.0,
        crate::action::DRAINAGE_CANNULA_RANGE_FR.1,
        "Fr",
    ),
    range(
        "ecmo",
        "return_cannula_fr",
        crate::action::RETURN_CANNULA_RANGE_FR.0,
        crate::action::RETURN_CANNULA_RANGE_FR.1,
        "Fr",
    ),
    range("ecmo", "fdo2", 0.21, 1.0, ""),
    range("ecmo", "sweep_l_min", 0.0, 15.0, "L/min"),
    range(
        "devices",
        "performance_level",
        IMPELLA_LEVEL_RANGE.0 as f64,
        IMPELLA_LEVEL_RANGE.1 as f64,
        "",
    ),
    range(
        "devices",
        "diameter_mm",
        SEPTOSTOMY_DIAMETER_RANGE_MM.0,
        SEPTOSTOMY_DIAMETER_RANGE_MM.1,
        "mm",
    ),
    range(
        "devices",
        "cannula_fr",
        VENT_CANNULA_RANGE_FR.0,
        VENT_CANNULA_RANGE_FR.1,
        "Fr",
    ),
    range(
        "devices",
        "balloon_volume_ml",
        IABP_BALLOON_RANGE_ML.0,
        IABP_BALLOON_RANGE_ML.1,
        "mL",
    ),
    range(
        "devices",
        "ratio",
        IABP_RATIO_RANGE.0 as f64,
        IABP_RATIO_RANGE.1 as f64,
        "",
    ),
    range(
        "simulation",
        "max_step_s",
        ecmova_engine::model::MAX_STEP_RANGE_S.0,
        ecmova_engine::model::MAX_STEP_RANGE_S.1,
        "s",
    ),
    range(
        "simulation",
        "max_step_multiple",
        ecmova_engine::model::MAX_STEP_MULTIPLE_RANGE.0 as f64,
        ecmova_engine::model::MAX_STEP_MULTIPLE_RANGE.1 as f64,
        "",
    ),
];

/// Checks `value` of `section.key` against [`SCENARIO_RANGES`].
fn check_key(section: &str, key: &str, value: f64) -> Result<(), ParamError> {
    let r = SCENARIO_RANGES
        .iter()
        .find(|r| r.action == section && r.field == key)
        .copied()
        .unwrap_or(range("", "", f64::NEG_INFINITY, f64::INFINITY, ""));
    check_range(|| format!("{section}.{key}"), value, r.min, r.max, r.unit)
}

/// Builds the model of a scenario: the preset, then the overrides, then validation.
pub fn build(scenario: &Scenario) -> Result<Built, ScenarioError> {
    let p = &scenario.patient;
    let mut params = presets::by_name(&p.preset)?;
    apply_overrides(scenario, &mut params)?;
    apply_patient_scalars(scenario, &mut params)?;
    let start_clamped = attach_ecmo(scenario, &mut params)?;
    let device_starts = attach_devices(scenario, &mut params)?;
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
    if let Some(m) = sim.max_step_multiple {
        check_key("simulation", "max_step_multiple", f64::from(m))?;
        integration.max_step_multiple = m;
    }
    let lv_ees_reference = match &params.compartments[params.sites.lv].kind {
        CompartmentKind::Chamber(ch) => ch.ees_mmhg_per_ml,
        CompartmentKind::Vessel(_) => 0.0,
    };
    let baroreflex = baroreflex_params(scenario, &params, &integration)?;
    let model = Model::new(params, integration)?;
    let mut events: Vec<(usize, TimedAction)> =
        scenario.events.iter().cloned().enumerate().collect();
    events.sort_by(|a, b| a.1.at_s.total_cmp(&b.1.at_s));
    if let Some(start_s) = start_clamped {
        // The pump starts at `start_s`: an implicit start action, first among equal times.
        let i = events.partition_point(|(_, e)| e.at_s < start_s);
        events.insert(
            i,
            (
                usize::MAX,
                TimedAction {
                    at_s: start_s,
                    action: Action::StartEcmo {},
                },
            ),
        );
    }
    for (device, start_s) in device_starts {
        // A device that starts later: an implicit `set_device` switching it on.
        let i = events.partition_point(|(_, e)| e.at_s <= start_s);
        events.insert(
            i,
            (
                usize::MAX,
                TimedAction {
                    at_s: start_s,
                    action: Action::SetDevice {
                        device,
                        active: Some(true),
                        performance_level: None,
                        diameter_mm: None,
                        balloon_volume_ml: None,
                        ratio: None,
                    },
                },
            ),
        );
    }
    let built = Built {
        model,
        preset: p.preset.clone(),
        duration_s: sim.duration_s,
        series_interval_s,
        steady_tolerance,
        events,
        lv_ees_reference,
        baroreflex,
        scenario: scenario.clone(),
    };
    // Validate the whole timeline up front by applying it in order to a copy of the model.
    let mut check = built.model.clone();
    let mut ctx = crate::simulation::ActionContext {
        lv_ees_reference,
        ..Default::default()
    };
    for (index, timed) in &built.events {
        let fail = |message: String| ScenarioError::Event {
            index: *index,
            action: timed.action.name(),
            at_s: timed.at_s,
            message,
        };
        if !(0.0..=built.duration_s).contains(&timed.at_s) {
            return Err(fail(format!(
                "at_s must lie within the simulation, 0 to {} s",
                built.duration_s
            )));
        }
        crate::simulation::apply_to_model(&mut check, None, &timed.action, &mut ctx)
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(built)
}

/// Default pump speed, rpm: about 4 L/min with the default femoral cannulae in an adult.
pub const DEFAULT_PUMP_RPM: f64 = 3000.0;
/// Default drainage cannula, Fr.
pub const DEFAULT_DRAINAGE_CANNULA_FR: f64 = 25.0;
/// Default return cannula, Fr.
pub const DEFAULT_RETURN_CANNULA_FR: f64 = 17.0;

/// Connects the circuit of `[ecmo]`, if enabled. Returns the pump start time when the
/// lines start clamped.
fn attach_ecmo(
    scenario: &Scenario,
    params: &mut CirculationParams,
) -> Result<Option<f64>, ScenarioError> {
    let Some(e) = scenario.ecmo.as_ref().filter(|e| e.enabled) else {
        return Ok(None);
    };
    let anatomy = params.anatomy.clone().ok_or_else(|| ScenarioError::NotApplicable {
        path: "preset".into(),
        reason: format!(
            "preset {} has no cannulation sites (single systemic artery): ECMO needs an adult preset",
            scenario.patient.preset
        ),
    })?;
    let choice = |field: &str, value: &str, allowed: &[&str]| ScenarioError::InvalidChoice {
        field: field.into(),
        value: value.into(),
        allowed: allowed.join(", "),
    };
    let cannulation_name = e.cannulation.as_deref().unwrap_or("femoro-femoral");
    let cannulation = Cannulation::from_name(cannulation_name).ok_or_else(|| {
        choice(
            "ecmo.cannulation",
            cannulation_name,
            &Cannulation::ALL.map(|c| c.name()),
        )
    })?;
    let pump_name = e.pump.as_deref().unwrap_or("rotaflow");
    let pump = CentrifugalPump::by_name(pump_name)
        .map_err(|_| choice("ecmo.pump", pump_name, PUMP_PRESETS))?;
    let oxy_name = e.oxygenator.as_deref().unwrap_or("quadrox-id");
    let oxygenator = Oxygenator::by_name(oxy_name).map_err(|_| {
        choice(
            "ecmo.oxygenator",
            oxy_name,
            ecmova_engine::devices::OXYGENATOR_PRESETS,
        )
    })?;
    let drainage_fr = e.drainage_cannula_fr.unwrap_or(DEFAULT_DRAINAGE_CANNULA_FR);
    check_key("ecmo", "drainage_cannula_fr", drainage_fr)?;
    let return_fr = e.return_cannula_fr.unwrap_or(DEFAULT_RETURN_CANNULA_FR);
    check_key("ecmo", "return_cannula_fr", return_fr)?;
    let start_s = e.start_s.unwrap_or(0.0);
    check_range(
        || "ecmo.start_s".into(),
        start_s,
        0.0,
        scenario.simulation.duration_s.max(0.0),
        "s",
    )?;
    let (drain, ret) = anatomy.cannulation_sites(cannulation, params.sites.ra);
    let mut circuit = EcmoCircuit::new(
        cannulation,
        drain,
        ret,
        pump,
        e.pump_rpm.unwrap_or(DEFAULT_PUMP_RPM),
        drainage_fr,
        return_fr,
        oxygenator,
    )
    .map_err(|source| ParamError::Device {
        field: "ecmo".into(),
        source,
    })?;
    if let Some(f) = e.fdo2 {
        check_key("ecmo", "fdo2", f)?;
        circuit.fdo2 = f;
    }
    if let Some(v) = e.sweep_l_min {
        check_key("ecmo", "sweep_l_min", v)?;
        circuit.sweep_l_min = v;
    }
    let parked = e.clamped.unwrap_or(false);
    if parked && e.start_s.is_some() {
        return Err(ScenarioError::Invalid {
            path: "ecmo.clamped".into(),
            reason: "a parked circuit has no start time: give clamped or start_s, not both".into(),
        });
    }
    circuit.clamped = parked || start_s > 0.0;
    params.ecmo = Some(circuit);
    Ok((start_s > 0.0).then_some(start_s))
}

/// The scalar patient overrides beside the preset (issue 3 keys).
fn apply_patient_scalars(
    scenario: &Scenario,
    params: &mut CirculationParams,
) -> Result<(), ScenarioError> {
    let p = &scenario.patient;
    if let Some(x) = p.lv_contractility_scale {
        check_key("patient", "lv_contractility_scale", x)?;
        params.scale_contractility(params.sites.lv, x);
    }
    if let Some(x) = p.rv_contractility_scale {
        check_key("patient", "rv_contractility_scale", x)?;
        params.scale_contractility(params.sites.rv, x);
    }
    if let Some(x) = p.svr_scale {
        check_key("patient", "svr_scale", x)?;
        params.scale_systemic_resistance(x);
    }
    if let Some(x) = p.blood_volume_scale {
        check_key("patient", "blood_volume_scale", x)?;
        let total = params.initial_blood_volume_ml() * x;
        params.set_initial_blood_volume_ml(total);
    }
    let no_gas = |key: &str| ScenarioError::NotApplicable {
        path: key.into(),
        reason: format!("preset {} has no gas-transport model", p.preset),
    };
    if let Some(x) = p.hemoglobin_g_dl {
        check_key("patient", "hemoglobin_g_dl", x)?;
        if !params.set_hemoglobin_g_dl(x) {
            return Err(no_gas("hemoglobin_g_dl"));
        }
    }
    if let Some(x) = p.lung_shunt_fraction {
        check_key("patient", "lung_shunt_fraction", x)?;
        params
            .gas
            .as_mut()
            .ok_or_else(|| no_gas("lung_shunt_fraction"))?
            .lung_shunt_fraction = x;
    }
    if let Some(x) = p.fio2 {
        check_key("patient", "fio2", x)?;
        params.gas.as_mut().ok_or_else(|| no_gas("fio2"))?.fio2 = x;
    }
    if let Some(x) = p.minute_ventilation_l_min {
        check_key("patient", "minute_ventilation_l_min", x)?;
        params
            .gas
            .as_mut()
            .ok_or_else(|| no_gas("minute_ventilation_l_min"))?
            .minute_ventilation_l_min = x;
    }
    if let Some(x) = p.dead_space_fraction {
        check_key("patient", "dead_space_fraction", x)?;
        params
            .gas
            .as_mut()
            .ok_or_else(|| no_gas("dead_space_fraction"))?
            .dead_space_fraction = x;
    }
    if let Some(name) = p.rhythm.as_deref() {
        params.rhythm = Rhythm::from_name(name).ok_or_else(|| ScenarioError::InvalidChoice {
            field: "patient.rhythm".into(),
            value: name.into(),
            allowed: "sinus, vf, asystole".into(),
        })?;
    }
    Ok(())
}

/// The baroreflex of `[patient]`, if on: Ursino 1998 with the scenario's gain and set point
/// (default: the patient's resting pressure, [`crate::reflex::resting_pressure_mmhg`]).
fn baroreflex_params(
    scenario: &Scenario,
    params: &CirculationParams,
    integration: &IntegrationParams,
) -> Result<Option<ecmova_engine::baroreflex::BaroreflexParams>, ScenarioError> {
    let p = &scenario.patient;
    if !p.baroreflex.unwrap_or(false) {
        for (key, set) in [
            ("baroreflex_gain", p.baroreflex_gain.is_some()),
            (
                "baroreflex_set_point_mmhg",
                p.baroreflex_set_point_mmhg.is_some(),
            ),
        ] {
            if set {
                return Err(ScenarioError::NotApplicable {
                    path: key.into(),
                    reason: "the baroreflex is off: add baroreflex = true".into(),
                });
            }
        }
        return Ok(None);
    }
    ecmova_engine::baroreflex::BaroreflexTargets::from_params(params).map_err(|e| {
        ScenarioError::NotApplicable {
            path: "baroreflex".into(),
            reason: format!("preset {}: {e}", p.preset),
        }
    })?;
    let gain = p
        .baroreflex_gain
        .unwrap_or(ecmova_engine::baroreflex::CLOSED_LOOP_GAIN_SCALE);
    check_key("patient", "baroreflex_gain", gain)?;
    let set_point = match p.baroreflex_set_point_mmhg {
        Some(x) => {
            check_key("patient", "baroreflex_set_point_mmhg", x)?;
            x
        }
        None => crate::reflex::resting_pressure_mmhg(params, integration)?,
    };
    let mut b = ecmova_engine::baroreflex::BaroreflexParams::ursino_1998(set_point);
    b.gain_scale = gain;
    b.validate()?;
    Ok(Some(b))
}

/// Default Impella performance level: P8, the highest sustained level of the Automated Impella
/// Controller (P-8 = 50,000 rpm; P-9 is the boost level; see
/// `ecmova_engine::unloading::IMPELLA_LEVEL_RPM`), i.e. full support.
pub const DEFAULT_IMPELLA_LEVEL: u8 = 8;
/// Default septostomy diameter, mm: a model default inside the allowed 1-20 mm
/// (`SEPTOSTOMY_DIAMETER_RANGE_MM`), not a clinical recommendation; give `diameter_mm`.
pub const DEFAULT_SEPTOSTOMY_MM: f64 = 10.0;
/// Default LV vent cannula, Fr: a model default inside the 12-32 Fr range of the femoral
/// cannula law the vent uses (`VENT_CANNULA_RANGE_FR`); give `cannula_fr`.
pub const DEFAULT_VENT_FR: f64 = 15.0;
/// The device kinds a scenario may name.
pub const DEVICE_KINDS: [&str; 4] = ["iabp", "impella", "atrial_septostomy", "lv_vent"];

/// Device settings as a `[[devices]]` table or a `set_device` event gives them (absent:
/// the default, or unchanged). The one place that knows which setting belongs to which
/// device and its allowed range.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DeviceSettings {
    pub(crate) performance_level: Option<u8>,
    pub(crate) diameter_mm: Option<f64>,
    pub(crate) cannula_fr: Option<f64>,
    pub(crate) balloon_volume_ml: Option<f64>,
    pub(crate) ratio: Option<u32>,
}

/// A device setting that cannot be used.
#[derive(Debug, thiserror::Error)]
enum DeviceSettingError {
    /// A setting another kind of device has.
    #[error("{path}: only an {owner} has {key}, not an {kind}")]
    Stray {
        path: String,
        key: &'static str,
        owner: &'static str,
        kind: &'static str,
    },
    /// A setting out of its range.
    #[error("{0}")]
    Range(ParamError),
}

impl DeviceSettings {
    /// Checks that every given setting belongs to `kind` and lies in its range; `name`
    /// makes the key's path (`devices[0].diameter_mm` in a file, `diameter_mm` in an event).
    fn check(
        &self,
        kind: &'static str,
        name: impl Fn(&str) -> String,
    ) -> Result<(), DeviceSettingError> {
        let settings = [
            (
                "performance_level",
                self.performance_level.map(f64::from),
                "impella",
                IMPELLA_LEVEL_RANGE.0.into(),
                IMPELLA_LEVEL_RANGE.1.into(),
                "",
            ),
            (
                "diameter_mm",
                self.diameter_mm,
                "atrial_septostomy",
                SEPTOSTOMY_DIAMETER_RANGE_MM.0,
                SEPTOSTOMY_DIAMETER_RANGE_MM.1,
                "mm",
            ),
            (
                "cannula_fr",
                self.cannula_fr,
                "lv_vent",
                VENT_CANNULA_RANGE_FR.0,
                VENT_CANNULA_RANGE_FR.1,
                "Fr",
            ),
            (
                "balloon_volume_ml",
                self.balloon_volume_ml,
                "iabp",
                IABP_BALLOON_RANGE_ML.0,
                IABP_BALLOON_RANGE_ML.1,
                "mL",
            ),
            (
                "ratio",
                self.ratio.map(f64::from),
                "iabp",
                IABP_RATIO_RANGE.0.into(),
                IABP_RATIO_RANGE.1.into(),
                "",
            ),
        ];
        for (key, value, owner, lo, hi, unit) in settings {
            let Some(v) = value else { continue };
            if owner != kind {
                return Err(DeviceSettingError::Stray {
                    path: name(key),
                    key,
                    owner,
                    kind,
                });
            }
            check_range(|| name(key), v, lo, hi, unit).map_err(DeviceSettingError::Range)?;
        }
        Ok(())
    }

    /// Sets the given settings on `device` (the vent's cannula size is part of the topology:
    /// it is set when the device is built, never changed).
    pub(crate) fn apply(&self, device: &mut UnloadingDevice) {
        match device {
            UnloadingDevice::Impella {
                performance_level, ..
            } => {
                *performance_level = self.performance_level.unwrap_or(*performance_level);
            }
            UnloadingDevice::AtrialSeptostomy { diameter_mm, .. } => {
                *diameter_mm = self.diameter_mm.unwrap_or(*diameter_mm);
            }
            UnloadingDevice::Iabp {
                balloon_volume_ml,
                ratio,
                ..
            } => {
                *balloon_volume_ml = self.balloon_volume_ml.unwrap_or(*balloon_volume_ml);
                *ratio = self.ratio.unwrap_or(*ratio);
            }
            UnloadingDevice::LvVent { .. } => {}
        }
    }
}

/// Adds the devices of `[[devices]]` (after the circuit: the vent joins its drainage line).
/// Returns the kinds that start later than t = 0, with their start time.
fn attach_devices(
    scenario: &Scenario,
    params: &mut CirculationParams,
) -> Result<Vec<(DeviceKind, f64)>, ScenarioError> {
    let mut starts = Vec::new();
    for (i, d) in scenario.devices.iter().enumerate() {
        let f = |k: &str| format!("devices[{i}].{k}");
        let kind = DEVICE_KINDS
            .into_iter()
            .find(|k| *k == d.kind)
            .ok_or_else(|| ScenarioError::InvalidChoice {
                field: f("kind"),
                value: d.kind.clone(),
                allowed: DEVICE_KINDS.join(", "),
            })?;
        if scenario.devices[..i].iter().any(|o| o.kind == d.kind) {
            return Err(ScenarioError::Invalid {
                path: f("kind"),
                reason: format!("a second {kind}: at most one device of each kind"),
            });
        }
        let settings = DeviceSettings {
            performance_level: d.performance_level,
            diameter_mm: d.diameter_mm,
            cannula_fr: d.cannula_fr,
            balloon_volume_ml: d.balloon_volume_ml,
            ratio: d.ratio,
        };
        settings.check(kind, f).map_err(|e| match e {
            DeviceSettingError::Stray {
                path,
                key,
                owner,
                kind,
            } => ScenarioError::Invalid {
                path,
                reason: format!("only an {owner} has {key}, not an {kind}"),
            },
            DeviceSettingError::Range(p) => ScenarioError::Param(p),
        })?;
        let start_s = d.start_s.unwrap_or(0.0);
        check_range(
            || f("start_s"),
            start_s,
            0.0,
            scenario.simulation.duration_s.max(0.0),
            "s",
        )?;
        if kind == "lv_vent" && params.ecmo.is_none() {
            return Err(ScenarioError::Invalid {
                path: f("kind"),
                reason: "an LV vent drains into the ECMO circuit: add [ecmo] enabled = true".into(),
            });
        }
        // The device with its defaults, then the file's settings.
        let mut device = match kind {
            "iabp" => UnloadingDevice::iabp(params),
            "impella" => UnloadingDevice::impella(params, DEFAULT_IMPELLA_LEVEL),
            "atrial_septostomy" => {
                UnloadingDevice::atrial_septostomy(params, DEFAULT_SEPTOSTOMY_MM)
            }
            _ => UnloadingDevice::lv_vent(params, d.cannula_fr.unwrap_or(DEFAULT_VENT_FR)),
        }
        .map_err(|e| ScenarioError::Invalid {
            path: f("kind"),
            reason: format!("preset {}: {e}", scenario.patient.preset),
        })?;
        settings.apply(&mut device);
        let parked = !d.active.unwrap_or(true);
        if parked && d.start_s.is_some() {
            return Err(ScenarioError::Invalid {
                path: f("active"),
                reason:
                    "a parked device has no start time: give active = false or start_s, not both"
                        .into(),
            });
        }
        params.unloading.push(Unloading {
            device,
            active: !parked && start_s <= 0.0,
        });
        if start_s > 0.0 {
            let kind =
                crate::simulation::device_kind(kind).ok_or_else(|| ScenarioError::Invalid {
                    path: f("kind"),
                    reason: "unknown device".into(),
                })?;
            starts.push((kind, start_s));
        }
    }
    Ok(starts)
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
    if let Some(o) = &p.pericardium {
        if params.sites.lv == params.sites.rv {
            return Err(ScenarioError::NotApplicable {
                path: "pericardium".into(),
                reason: format!("preset {} has no two separate ventricles", p.preset),
            });
        }
        let base = params.pericardium.clone();
        let get = |key: &str, v: Option<f64>, from: Option<f64>| {
            v.or(from).ok_or_else(|| ScenarioError::NotApplicable {
                path: format!("pericardium.{key}"),
                reason: format!(
                    "preset {} has no pericardium: give pressure_scale_mmhg, \
                     stiffness_per_ml and reference_volume_ml",
                    p.preset
                ),
            })
        };
        params.pericardium = Some(ecmova_engine::Pericardium {
            pressure_scale_mmhg: get(
                "pressure_scale_mmhg",
                o.pressure_scale_mmhg,
                base.as_ref().map(|b| b.pressure_scale_mmhg),
            )?,
            stiffness_per_ml: get(
                "stiffness_per_ml",
                o.stiffness_per_ml,
                base.as_ref().map(|b| b.stiffness_per_ml),
            )?,
            reference_volume_ml: get(
                "reference_volume_ml",
                o.reference_volume_ml,
                base.as_ref().map(|b| b.reference_volume_ml),
            )?,
        });
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
        // Each kind takes its own keys; a key of another kind is refused, naming the keys this
        // kind takes (so the message says what to write).
        let given = [
            ("resistance_mmhg_s_per_ml", o.resistance_mmhg_s_per_ml),
            (
                "critical_closing_pressure_mmhg",
                o.critical_closing_pressure_mmhg,
            ),
            ("inertance_mmhg_s2_per_ml", o.inertance_mmhg_s2_per_ml),
            (
                "open_resistance_mmhg_s_per_ml",
                o.open_resistance_mmhg_s_per_ml,
            ),
            (
                "regurgitant_conductance_ml_per_s_mmhg",
                o.regurgitant_conductance_ml_per_s_mmhg,
            ),
        ];
        let (kind, allowed): (&str, [&str; 2]) = match &params.connections[i].kind {
            ConnectionKind::Resistor(_) => (
                "resistor",
                ["resistance_mmhg_s_per_ml", "critical_closing_pressure_mmhg"],
            ),
            ConnectionKind::Segment(_) => (
                "vessel segment",
                ["resistance_mmhg_s_per_ml", "inertance_mmhg_s2_per_ml"],
            ),
            ConnectionKind::Valve(_) => (
                "valve",
                [
                    "open_resistance_mmhg_s_per_ml",
                    "regurgitant_conductance_ml_per_s_mmhg",
                ],
            ),
        };
        if let Some((key, _)) = given
            .iter()
            .find(|(k, v)| v.is_some() && !allowed.contains(k))
        {
            return Err(ScenarioError::NotApplicable {
                path: format!("connection.{name}.{key}"),
                reason: format!(
                    "connection {name} is a {kind}: its keys are {}",
                    allowed.join(", ")
                ),
            });
        }
        match &mut params.connections[i].kind {
            ConnectionKind::Resistor(r) => {
                if let Some(v) = o.resistance_mmhg_s_per_ml {
                    r.resistance_mmhg_s_per_ml = v;
                }
                if let Some(v) = o.critical_closing_pressure_mmhg {
                    r.critical_closing_pressure_mmhg = Some(v);
                }
            }
            ConnectionKind::Segment(s) => {
                if let Some(v) = o.resistance_mmhg_s_per_ml {
                    s.resistance_mmhg_s_per_ml = v;
                }
                if let Some(v) = o.inertance_mmhg_s2_per_ml {
                    s.inertance_mmhg_s2_per_ml = v;
                }
            }
            ConnectionKind::Valve(v) => {
                if let Some(x) = o.open_resistance_mmhg_s_per_ml {
                    v.open_resistance_mmhg_s_per_ml = x;
                }
                if let Some(x) = o.regurgitant_conductance_ml_per_s_mmhg {
                    v.regurgitant_conductance_ml_per_s_mmhg = x;
                }
            }
        }
    }
    Ok(())
}

/// One line describing each built-in preset (targets and sources in
/// `docs/methodology/presets.md`); `None` for an unknown name.
pub fn preset_description(name: &str) -> Option<&'static str> {
    Some(match name {
        "healthy-adult" => "A 70 kg adult at rest (normal haemodynamics and blood gases)",
        "regazzoni-2022" => {
            "The peer model of Regazzoni et al. 2022 (four chambers, four vessels, no gases), as in svZeroDSolver"
        }
        "cardiogenic-shock-ami" => {
            "Acute myocardial infarction with cardiogenic shock (SCAI stage C), no support yet"
        }
        "fulminant-myocarditis" => "Fulminant myocarditis: a small, stiff, very weak LV and RV",
        "massive-pulmonary-embolism" => {
            "Massive pulmonary embolism: high pulmonary vascular resistance, a failing RV"
        }
        "post-cardiotomy" => "Post-cardiotomy shock: stunned ventricles after cardiac surgery",
        "chronic-heart-failure" => {
            "End-stage chronic heart failure: a dilated, weak LV with high filling pressures"
        }
        "septic-cardiomyopathy" => "Septic cardiomyopathy: vasoplegia with depressed contractility",
        "drug-intoxication" => {
            "Cardiotoxic drug intoxication: depressed contractility, bradycardia and vasodilation"
        }
        "refractory-vf-arrest" => {
            "Refractory VF cardiac arrest (the AMI heart in VF): no contraction until a rosc action"
        }
        _ => return None,
    })
}
