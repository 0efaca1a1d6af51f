//! The scenario file format (see `docs/scenario-format.md`).
//!
//! Every table rejects unknown keys, so a typo is an error that names the key rather than
//! a silently ignored setting.

use crate::action::TimedAction;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The patient: a preset and overrides of its parameters.
    pub patient: Patient,
    /// How long and how finely to simulate.
    pub simulation: Simulation,
    /// The VA-ECMO circuit (absent: no circuit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecmo: Option<Ecmo>,
    /// LV unloading devices in place (`[[devices]]`); `set_device` events change them.
    #[serde(default)]
    pub devices: Vec<Device>,
    /// Timed actions ([`crate::Action`] plus `at_s`), applied at the first step at or after
    /// `at_s`.
    #[serde(default)]
    pub events: Vec<TimedAction>,
}

/// `[ecmo]`: the circuit. Every key but `enabled` has a default.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ecmo {
    /// Whether a circuit is connected.
    pub enabled: bool,
    /// `femoro-femoral` (default), `central` or `femoro-axillary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannulation: Option<String>,
    /// Pump model: `rotaflow` (default) or `centrimag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pump: Option<String>,
    /// Pump speed, rpm (default 3000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pump_rpm: Option<f64>,
    /// Drainage cannula size, Fr (default 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drainage_cannula_fr: Option<f64>,
    /// Return cannula size, Fr (default 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_cannula_fr: Option<f64>,
    /// Oxygenator model: `quadrox-id` (default), `hls-7`, `capiox-sx18`, `capiox-sx25`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oxygenator: Option<String>,
    /// Sweep gas O2 fraction (default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fdo2: Option<f64>,
    /// Sweep gas flow, L/min (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_l_min: Option<f64>,
    /// Time at which the pump starts, s (default 0); the lines are clamped before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_s: Option<f64>,
    /// Start with the lines clamped and no start time: the circuit is in place, parked, until
    /// a `start_ecmo` action (default false). Cannot be combined with `start_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clamped: Option<bool>,
}

/// `[[devices]]`: an LV unloading device. At most one of each kind. Every key but `kind` has
/// a default.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// `iabp`, `impella`, `atrial_septostomy` or `lv_vent` (the vent needs `[ecmo]`).
    pub kind: String,
    /// Impella performance level, P1-P9 (default 8: full support).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_level: Option<u8>,
    /// Septostomy orifice diameter, mm (1-20, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diameter_mm: Option<f64>,
    /// LV vent cannula size, Fr (12-32, default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannula_fr: Option<f64>,
    /// IABP balloon volume, mL (20-50, default 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balloon_volume_ml: Option<f64>,
    /// IABP assist ratio: 1 (1:1, default), 2 (1:2) or 3 (1:3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<u32>,
    /// When the device starts working, s (default 0: from the start). Before it, the device
    /// is in place but off (Impella motor stopped, vent clamped, balloon deflated,
    /// septostomy not yet made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_s: Option<f64>,
    /// Whether the device works from the start (default true); `false` parks it until a
    /// `set_device` action switches it on. Cannot be combined with `start_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `[patient]`: a preset plus parameter overrides beside it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// Name of the built-in preset (`healthy-adult`, `regazzoni-2022`,
    /// `cardiogenic-shock-ami`).
    pub preset: String,
    /// Heart rate, bpm (20-250).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heart_rate_bpm: Option<f64>,
    /// Multiplier of the preset's LV end-systolic elastance (0.05-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lv_contractility_scale: Option<f64>,
    /// Multiplier of the preset's RV end-systolic elastance (0.05-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rv_contractility_scale: Option<f64>,
    /// Multiplier of the systemic tissue-bed resistances (0.2-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svr_scale: Option<f64>,
    /// Multiplier of the preset's total blood volume (0.5-1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_volume_scale: Option<f64>,
    /// Haemoglobin, g/dL (3-25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hemoglobin_g_dl: Option<f64>,
    /// Intrapulmonary shunt fraction (0-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lung_shunt_fraction: Option<f64>,
    /// Inspired O2 fraction (0.21-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fio2: Option<f64>,
    /// Minute ventilation, L/min (0-40; default 6).
    pub minute_ventilation_l_min: Option<f64>,
    /// Dead-space fraction VD/VT (0-0.95; default 0.3).
    pub dead_space_fraction: Option<f64>,
    /// Cardiac rhythm at the start: `sinus` (default unless the preset says otherwise),
    /// `vf` or `asystole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhythm: Option<String>,
    /// Arterial baroreflex (Ursino 1998) on or off (default off: the presets are calibrated
    /// as compensated states without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baroreflex: Option<bool>,
    /// Multiplier of Ursino's baroreflex gains, 0-2 (default 0.5, the closed-loop gain of
    /// this circulation: `ecmova_engine::baroreflex::CLOSED_LOOP_GAIN_SCALE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baroreflex_gain: Option<f64>,
    /// Baroreflex set point, mmHg (default: the patient's own resting mean pressure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baroreflex_set_point_mmhg: Option<f64>,
    /// Per-compartment overrides: `[patient.compartment.<name>]`.
    #[serde(default)]
    pub compartment: BTreeMap<String, CompartmentOverride>,
    /// Per-chamber overrides: `[patient.chamber.<name>]` (`lv`, `rv`, `la`, `ra`).
    #[serde(default)]
    pub chamber: BTreeMap<String, ChamberOverride>,
    /// Per-connection overrides: `[patient.connection.<name>]`.
    #[serde(default)]
    pub connection: BTreeMap<String, ConnectionOverride>,
    /// The pericardium: `[patient.pericardium]` (adds one where the preset has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pericardium: Option<PericardiumOverride>,
}

/// `[patient.pericardium]`: the pericardial sac around the ventricles,
/// `P = A·(exp(B·(V − V_ref)) − 1)` above `V_ref` (total ventricular volume), added to both
/// ventricles' pressures.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PericardiumOverride {
    /// Pressure scale A, mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure_scale_mmhg: Option<f64>,
    /// Stiffness B, 1/mL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stiffness_per_ml: Option<f64>,
    /// Reference volume V_ref, mL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_volume_ml: Option<f64>,
}

/// Overrides of a vessel compartment.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CompartmentOverride {
    /// Compliance, mL/mmHg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_ml_per_mmhg: Option<f64>,
    /// Unstressed volume, mL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstressed_volume_ml: Option<f64>,
}

/// Overrides of a heart chamber.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChamberOverride {
    /// End-systolic (maximal active) elastance, mmHg/mL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ees_mmhg_per_ml: Option<f64>,
    /// Volume intercept, mL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v0_ml: Option<f64>,
    /// EDPVR scale A, mmHg (exponential chambers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edpvr_a_mmhg: Option<f64>,
    /// EDPVR stiffness B, 1/mL (exponential chambers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edpvr_b_per_ml: Option<f64>,
    /// Passive elastance, mmHg/mL (linear chambers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive_elastance_mmhg_per_ml: Option<f64>,
}

/// Overrides of a connection (resistor, vessel segment or valve).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConnectionOverride {
    /// Resistance, mmHg·s/mL (resistors and segments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resistance_mmhg_s_per_ml: Option<f64>,
    /// Critical closing pressure of a vascular waterfall, mmHg (resistors only): the bed
    /// then carries no flow while its inlet pressure is below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_closing_pressure_mmhg: Option<f64>,
    /// Inertance, mmHg·s²/mL (segments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inertance_mmhg_s2_per_ml: Option<f64>,
    /// Open resistance, mmHg·s/mL (valves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_resistance_mmhg_s_per_ml: Option<f64>,
    /// Regurgitant conductance, mL/(s·mmHg) (valves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regurgitant_conductance_ml_per_s_mmhg: Option<f64>,
}

/// `[simulation]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Simulated duration, s (always simulated in full unless `--until-steady`).
    pub duration_s: f64,
    /// Upper bound of the integration step, s (default 0.001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_step_s: Option<f64>,
    /// Largest number of fixed steps taken as one where the heart's fast modes are inactive
    /// (default 1: off; the cohort setting is 3 with `max_step_s = 0.002`; see
    /// `ecmova_engine::IntegrationParams::max_step_multiple`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_step_multiple: Option<u32>,
    /// Interval between time-series rows, s (default 0.005).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_interval_s: Option<f64>,
    /// Beat-to-beat relative change below which the run counts as steady (default 0.001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_tolerance: Option<f64>,
    /// Seed of the run's chance events (the outcome of each `defibrillate`; default 0). A
    /// run is a pure function of its scenario, seed included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Scenario {
    /// Parses a TOML scenario.
    pub fn from_toml(text: &str) -> Result<Self, crate::ScenarioError> {
        toml::from_str(text).map_err(|e| crate::ScenarioError::Parse(e.to_string()))
    }

    /// Parses a JSON scenario. A leading UTF-8 byte order mark is skipped (as the TOML
    /// parser does): JSON has none, but Windows editors write one.
    pub fn from_json(text: &str) -> Result<Self, crate::ScenarioError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        crate::json_keys::from_str(text).map_err(|e| crate::ScenarioError::Parse(e.to_string()))
    }
}

impl Scenario {
    /// The scenario of a live session started from a patient alone: the patient as given, no
    /// timeline, an open-ended duration ([`crate::build::MAX_DURATION_S`]), and for presets
    /// with cannulation sites a parked circuit (`[ecmo] enabled = true, clamped = true`, the
    /// defaults of `[ecmo]`) and the four LV unloading devices parked (`active = false`, the
    /// defaults of `[[devices]]`), so that a learner can start any of them with an action.
    pub fn live(patient: Patient) -> Scenario {
        let adult = ecmova_engine::presets::by_name(&patient.preset)
            .map(|p| p.anatomy.is_some())
            .unwrap_or(false);
        let ecmo = adult.then_some(Ecmo {
            enabled: true,
            cannulation: None,
            pump: None,
            pump_rpm: None,
            drainage_cannula_fr: None,
            return_cannula_fr: None,
            oxygenator: None,
            fdo2: None,
            sweep_l_min: None,
            start_s: None,
            clamped: Some(true),
        });
        let devices = if adult {
            crate::action::DeviceKind::ALL
                .iter()
                .map(|k| Device {
                    kind: k.name().into(),
                    performance_level: None,
                    diameter_mm: None,
                    cannula_fr: None,
                    balloon_volume_ml: None,
                    ratio: None,
                    start_s: None,
                    active: Some(false),
                })
                .collect()
        } else {
            Vec::new()
        };
        Scenario {
            patient,
            simulation: Simulation {
                duration_s: crate::build::MAX_DURATION_S,
                max_step_s: None,
                max_step_multiple: None,
                series_interval_s: None,
                steady_tolerance: None,
                seed: None,
            },
            ecmo,
            devices,
            events: Vec::new(),
        }
    }
}
