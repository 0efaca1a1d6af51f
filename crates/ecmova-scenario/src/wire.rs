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
    /// The VA-ECMO circuit (absent: no circuit).
    pub ecmo: Option<Ecmo>,
    /// LV unloading devices in place (`[[devices]]`); `set_device` events change them.
    #[serde(default)]
    pub devices: Vec<Device>,
    /// Timed events (actions), applied at the first step at or after `at_s`.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// `[ecmo]`: the circuit. Every key but `enabled` has a default.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ecmo {
    /// Whether a circuit is connected.
    pub enabled: bool,
    /// `femoro-femoral` (default), `central` or `femoro-axillary`.
    pub cannulation: Option<String>,
    /// Pump model: `rotaflow` (default) or `centrimag`.
    pub pump: Option<String>,
    /// Pump speed, rpm (default 3000).
    pub pump_rpm: Option<f64>,
    /// Drainage cannula size, Fr (default 25).
    pub drainage_cannula_fr: Option<f64>,
    /// Return cannula size, Fr (default 17).
    pub return_cannula_fr: Option<f64>,
    /// Oxygenator model: `quadrox-id` (default), `hls-7`, `capiox-sx18`, `capiox-sx25`.
    pub oxygenator: Option<String>,
    /// Sweep gas O2 fraction (default 1.0).
    pub fdo2: Option<f64>,
    /// Sweep gas flow, L/min (default 4).
    pub sweep_l_min: Option<f64>,
    /// Time at which the pump starts, s (default 0); the lines are clamped before it.
    pub start_s: Option<f64>,
}

/// `[[devices]]`: an LV unloading device. At most one of each kind. Every key but `kind` has
/// a default.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// `iabp`, `impella`, `atrial_septostomy` or `lv_vent` (the vent needs `[ecmo]`).
    pub kind: String,
    /// Impella performance level, P1-P9 (default 8: full support).
    pub performance_level: Option<u8>,
    /// Septostomy orifice diameter, mm (1-20, default 10).
    pub diameter_mm: Option<f64>,
    /// LV vent cannula size, Fr (12-32, default 15).
    pub cannula_fr: Option<f64>,
    /// IABP balloon volume, mL (20-50, default 40).
    pub balloon_volume_ml: Option<f64>,
    /// IABP assist ratio: 1 (1:1, default), 2 (1:2) or 3 (1:3).
    pub ratio: Option<u32>,
    /// When the device starts working, s (default 0: from the start). Before it, the device
    /// is in place but off (Impella motor stopped, vent clamped, balloon deflated,
    /// septostomy not yet made).
    pub start_s: Option<f64>,
}

/// A timed event (an acute action, in Pulse's vocabulary).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// Unclamp the circuit and run the pump.
    StartEcmo {
        /// When, s.
        at_s: f64,
    },
    /// Clamp the circuit (flow stops).
    StopEcmo {
        /// When, s.
        at_s: f64,
    },
    /// Change the pump speed.
    SetPumpRpm {
        /// When, s.
        at_s: f64,
        /// New speed, rpm.
        rpm: f64,
    },
    /// Change the sweep gas O2 fraction.
    SetFdo2 {
        /// When, s.
        at_s: f64,
        /// New FdO2.
        fdo2: f64,
    },
    /// Change the sweep gas flow.
    SetSweep {
        /// When, s.
        at_s: f64,
        /// New sweep, L/min.
        sweep_l_min: f64,
    },
    /// A weaning trial: the ECMO flow is brought down step by step (a controller adjusts the
    /// pump speed each beat to reach each target flow, as a perfusionist does), and at the end
    /// of each step the echo indices and the weaning verdict are recorded.
    WeaningTrial {
        /// When the trial starts, s.
        at_s: f64,
        /// Target ECMO flows of the steps, L/min (default 3, 2, 1).
        #[serde(default = "default_weaning_flows")]
        flows_l_min: Vec<f64>,
        /// Duration of each step, s (default 30).
        #[serde(default = "default_weaning_step_s")]
        step_s: f64,
    },
    /// Start, change or stop (rate 0) a drug infusion.
    Infusion {
        /// When, s.
        at_s: f64,
        /// `norepinephrine`, `dobutamine` or `milrinone`.
        drug: String,
        /// Infusion rate, µg/kg/min (0 stops it).
        dose_ug_kg_min: f64,
    },
    /// A fluid bolus (positive) or a removal/bleed (negative), given at once and spread over
    /// the vessels in proportion to their compliance.
    Fluid {
        /// When, s.
        at_s: f64,
        /// Volume, mL (−1500 to 2000).
        volume_ml: f64,
    },
    /// Change the heart rate (takes effect at the next beat).
    SetHeartRate {
        /// When, s.
        at_s: f64,
        /// New heart rate, bpm.
        heart_rate_bpm: f64,
    },
    /// Change the inspired O2 fraction.
    SetFio2 {
        /// When, s.
        at_s: f64,
        /// New FiO2.
        fio2: f64,
    },
    /// Change the intrapulmonary shunt fraction.
    SetLungShunt {
        /// When, s.
        at_s: f64,
        /// New shunt fraction.
        lung_shunt_fraction: f64,
    },
    /// Scale the left ventricle's contractility relative to the preset.
    SetLvContractility {
        /// When, s.
        at_s: f64,
        /// Multiplier of the preset's LV end-systolic elastance.
        lv_contractility_scale: f64,
    },
    /// Switch an unloading device of `[[devices]]` on or off, or change its settings.
    SetDevice {
        /// When, s.
        at_s: f64,
        /// The device's kind (`iabp`, `impella`, `atrial_septostomy`, `lv_vent`).
        device: String,
        /// On or off (absent: unchanged).
        active: Option<bool>,
        /// Impella performance level, P1-P9.
        performance_level: Option<u8>,
        /// Septostomy diameter, mm.
        diameter_mm: Option<f64>,
        /// IABP balloon volume, mL.
        balloon_volume_ml: Option<f64>,
        /// IABP assist ratio (1-3).
        ratio: Option<u32>,
    },
    /// Cardiac arrest: ventricular fibrillation (default) or asystole; no chamber contracts.
    Arrest {
        /// When, s.
        at_s: f64,
        /// `vf` (default) or `asystole`.
        #[serde(default = "default_arrest_rhythm")]
        rhythm: String,
    },
    /// Return of spontaneous circulation: the heart beats again (sinus rhythm) with the
    /// contractility it had before the arrest.
    Rosc {
        /// When, s.
        at_s: f64,
    },
}

fn default_arrest_rhythm() -> String {
    "vf".into()
}

fn default_weaning_flows() -> Vec<f64> {
    vec![3.0, 2.0, 1.0]
}

fn default_weaning_step_s() -> f64 {
    30.0
}

impl Event {
    /// When the event happens, s.
    pub fn at_s(&self) -> f64 {
        match *self {
            Event::StartEcmo { at_s }
            | Event::StopEcmo { at_s }
            | Event::SetPumpRpm { at_s, .. }
            | Event::SetFdo2 { at_s, .. }
            | Event::SetSweep { at_s, .. }
            | Event::WeaningTrial { at_s, .. }
            | Event::Infusion { at_s, .. }
            | Event::Fluid { at_s, .. }
            | Event::SetHeartRate { at_s, .. }
            | Event::SetFio2 { at_s, .. }
            | Event::SetLungShunt { at_s, .. }
            | Event::SetLvContractility { at_s, .. }
            | Event::SetDevice { at_s, .. }
            | Event::Arrest { at_s, .. }
            | Event::Rosc { at_s } => at_s,
        }
    }

    /// The action's name as written in the file.
    pub fn action(&self) -> &'static str {
        match self {
            Event::StartEcmo { .. } => "start_ecmo",
            Event::StopEcmo { .. } => "stop_ecmo",
            Event::SetPumpRpm { .. } => "set_pump_rpm",
            Event::SetFdo2 { .. } => "set_fdo2",
            Event::SetSweep { .. } => "set_sweep",
            Event::WeaningTrial { .. } => "weaning_trial",
            Event::Infusion { .. } => "infusion",
            Event::Fluid { .. } => "fluid",
            Event::SetHeartRate { .. } => "set_heart_rate",
            Event::SetFio2 { .. } => "set_fio2",
            Event::SetLungShunt { .. } => "set_lung_shunt",
            Event::SetLvContractility { .. } => "set_lv_contractility",
            Event::SetDevice { .. } => "set_device",
            Event::Arrest { .. } => "arrest",
            Event::Rosc { .. } => "rosc",
        }
    }
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
    /// Multiplier of the preset's LV end-systolic elastance (0.05-5).
    pub lv_contractility_scale: Option<f64>,
    /// Multiplier of the preset's RV end-systolic elastance (0.05-5).
    pub rv_contractility_scale: Option<f64>,
    /// Multiplier of the systemic tissue-bed resistances (0.2-5).
    pub svr_scale: Option<f64>,
    /// Multiplier of the preset's total blood volume (0.5-1.5).
    pub blood_volume_scale: Option<f64>,
    /// Haemoglobin, g/dL (3-25).
    pub hemoglobin_g_dl: Option<f64>,
    /// Intrapulmonary shunt fraction (0-1).
    pub lung_shunt_fraction: Option<f64>,
    /// Inspired O2 fraction (0.21-1).
    pub fio2: Option<f64>,
    /// Cardiac rhythm at the start: `sinus` (default unless the preset says otherwise),
    /// `vf` or `asystole`.
    pub rhythm: Option<String>,
    /// Arterial baroreflex (Ursino 1998) on or off (default off: the presets are calibrated
    /// as compensated states without it).
    pub baroreflex: Option<bool>,
    /// Multiplier of Ursino's baroreflex gains, 0-2 (default 0.5, the closed-loop gain of
    /// this circulation: `ecmova_engine::baroreflex::CLOSED_LOOP_GAIN_SCALE`).
    pub baroreflex_gain: Option<f64>,
    /// Baroreflex set point, mmHg (default: the patient's own resting mean pressure).
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
        crate::json_keys::from_str(text).map_err(|e| crate::ScenarioError::Parse(e.to_string()))
    }
}
