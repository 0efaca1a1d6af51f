//! The one action vocabulary: what can be done to a simulated patient while it runs.
//!
//! A scenario file's `[[events]]` are [`TimedAction`]s (an [`Action`] plus `at_s`); a live
//! session's `POST /api/v1/sessions/{id}/events` takes the same JSON without `at_s` and applies
//! it now. Both go through [`crate::Simulation::apply`], so names, keys, units, ranges and
//! errors are the same everywhere. Clock controls of a live session (pause, speed) are not
//! physiology and are not actions.
//!
//! Ranges that do not depend on the patient live in [`RANGES`], the one table the checks, the
//! documentation and the OpenAPI document read.

use crate::interventions::{DoseUnit, Drug};
use ecmova_engine::model::HEART_RATE_RANGE_BPM;
use ecmova_engine::unloading::{
    IABP_BALLOON_RANGE_ML, IABP_RATIO_RANGE, IMPELLA_LEVEL_RANGE, SEPTOSTOMY_DIAMETER_RANGE_MM,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An LV unloading device kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Intra-aortic balloon pump.
    Iabp,
    /// Impella-type microaxial pump (LV to aortic root).
    Impella,
    /// Balloon atrial septostomy (left-to-right atrial shunt).
    AtrialSeptostomy,
    /// LV vent draining into the ECMO circuit.
    LvVent,
}

impl DeviceKind {
    /// Every kind, in documentation order.
    pub const ALL: [DeviceKind; 4] = [
        DeviceKind::Iabp,
        DeviceKind::Impella,
        DeviceKind::AtrialSeptostomy,
        DeviceKind::LvVent,
    ];

    /// The name used in files and the API (and by the engine's `kind_name`).
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Iabp => "iabp",
            DeviceKind::Impella => "impella",
            DeviceKind::AtrialSeptostomy => "atrial_septostomy",
            DeviceKind::LvVent => "lv_vent",
        }
    }
}

/// A cardiac-arrest rhythm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArrestRhythm {
    /// Ventricular fibrillation.
    #[default]
    Vf,
    /// Asystole.
    Asystole,
}

/// A cannulation configuration (the names of a scenario file's `[ecmo] cannulation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CannulationSite {
    /// Femoral vein to femoral artery.
    #[serde(rename = "femoro-femoral")]
    FemoroFemoral,
    /// Right atrium to ascending aorta.
    #[serde(rename = "central")]
    Central,
    /// Femoral vein to right axillary artery.
    #[serde(rename = "femoro-axillary")]
    FemoroAxillary,
}

impl CannulationSite {
    /// The engine's configuration.
    pub fn engine(self) -> ecmova_engine::ecmo::Cannulation {
        use ecmova_engine::ecmo::Cannulation as C;
        match self {
            CannulationSite::FemoroFemoral => C::FemoroFemoral,
            CannulationSite::Central => C::Central,
            CannulationSite::FemoroAxillary => C::FemoroAxillary,
        }
    }
}

/// A circuit emergency (`circuit_failure`). Each acts on the circuit's physical parameters;
/// `circuit_repair` undoes them all. The multipliers are operational choices of this project
/// (an order of magnitude, so that the signs a perfusionist reads appear clearly), not
/// measured values; the signs follow Lubnow M et al., PLoS One 2014 (technical complications
/// of ECMO: a rising oxygenator pressure drop and a falling post-oxygenator PO2 announce an
/// oxygenator failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CircuitFailure {
    /// The pump stops (motor or controller failure): no head; without a clamp the flow
    /// turns retrograde (arterial to venous). `circuit_repair` is the hand crank / new drive.
    PumpFailure,
    /// The console loses power: the pump stops as in `pump_failure`.
    PowerLoss,
    /// Air entrained in the venous line: the pump de-primes and generates no head (flow
    /// stops, or turns retrograde without a clamp). `circuit_repair` is de-airing.
    AirInVenousLine,
    /// Oxygenator failure (clot, plasma leak): its pressure drop rises × [`OXYGENATOR_FAILURE_DP_FACTOR`]
    /// and its O2 and CO2 transfer fall × [`OXYGENATOR_FAILURE_TRANSFER_FACTOR`].
    OxygenatorFailure,
    /// A kinked drainage line or a drainage cannula that slipped against the vessel wall:
    /// its resistance × [`LINE_OCCLUSION_FACTOR`].
    DrainageKink,
    /// A kinked or clotted return line: its resistance × [`LINE_OCCLUSION_FACTOR`].
    ReturnOcclusion,
    /// The drainage cannula slips out of the vein: air is entrained and the pump de-primes
    /// (no head, as `air_in_venous_line`), the cannula no longer connects to the vein (its
    /// pressure-drop coefficients become [`DISLODGED_CANNULA_COEFFICIENTS`], so no blood runs back through
    /// the circuit), and the venous site bleeds at
    /// [`DISLODGEMENT_BLEED_ML_MIN`] until `circuit_repair` (haemostasis, re-cannulation).
    DrainageDislodgement,
    /// The return cannula slips out of the artery: nothing returns to the patient (its
    /// pressure-drop coefficients become [`DISLODGED_CANNULA_COEFFICIENTS`]: the model has no outlet from the circuit to the
    /// outside, so the circuit's flow stops as if clamped at once), and the arterial site bleeds
    /// at [`DISLODGEMENT_BLEED_ML_MIN`] until `circuit_repair`.
    ReturnDislodgement,
    /// A thrombus caught in the pump head: haemolysis × [`crate::haemolysis::PUMP_THROMBOSIS_FACTOR`]
    /// (plasma free haemoglobin rises over hours, Neal JR et al., J Extra Corpor Technol 2015);
    /// no hydraulic effect (rpm and flow unchanged, as in three of Neal's five patients).
    /// `circuit_repair` is the pump-head exchange.
    PumpThrombosis,
}

impl CircuitFailure {
    /// Every failure, in documentation order.
    pub const ALL: [CircuitFailure; 9] = [
        CircuitFailure::PumpFailure,
        CircuitFailure::PowerLoss,
        CircuitFailure::AirInVenousLine,
        CircuitFailure::OxygenatorFailure,
        CircuitFailure::DrainageKink,
        CircuitFailure::ReturnOcclusion,
        CircuitFailure::DrainageDislodgement,
        CircuitFailure::ReturnDislodgement,
        CircuitFailure::PumpThrombosis,
    ];

    /// The name used in files and the API.
    pub fn name(self) -> &'static str {
        match self {
            CircuitFailure::PumpFailure => "pump_failure",
            CircuitFailure::PowerLoss => "power_loss",
            CircuitFailure::AirInVenousLine => "air_in_venous_line",
            CircuitFailure::OxygenatorFailure => "oxygenator_failure",
            CircuitFailure::DrainageKink => "drainage_kink",
            CircuitFailure::ReturnOcclusion => "return_occlusion",
            CircuitFailure::DrainageDislodgement => "drainage_dislodgement",
            CircuitFailure::ReturnDislodgement => "return_dislodgement",
            CircuitFailure::PumpThrombosis => "pump_thrombosis",
        }
    }

    /// Whether it stops the pump (no head).
    pub fn stops_pump(self) -> bool {
        matches!(
            self,
            CircuitFailure::PumpFailure
                | CircuitFailure::PowerLoss
                | CircuitFailure::AirInVenousLine
                | CircuitFailure::DrainageDislodgement
        )
    }

    /// Whether a cannulation site bleeds.
    pub fn bleeds(self) -> bool {
        matches!(
            self,
            CircuitFailure::DrainageDislodgement | CircuitFailure::ReturnDislodgement
        )
    }

    /// Its bit in a set of failures.
    pub fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// Oxygenator failure: multiplier of the membrane's pressure-drop line (operational choice).
pub const OXYGENATOR_FAILURE_DP_FACTOR: f64 = 4.0;
/// Oxygenator failure: multiplier of the O2 and CO2 membrane conductances (operational
/// choice).
pub const OXYGENATOR_FAILURE_TRANSFER_FACTOR: f64 = 0.1;
/// Kinked or occluded line: multiplier of the cannula's pressure-drop coefficients
/// (operational choice).
pub const LINE_OCCLUSION_FACTOR: f64 = 8.0;
/// A dislodged cannula's pressure-drop coefficients `(a, b)` of `ΔP = a·Q² + b·Q` (mmHg, mL/s):
/// the largest the engine accepts (`Cannula::validate`), so that almost no blood passes
/// between the circuit and the patient through it (0.14 L/min under a 300 mmHg pump head;
/// operational choice).
pub const DISLODGED_CANNULA_COEFFICIENTS: (f64, f64) = (10.0, 100.0);
/// Bleeding from the site of a dislodged cannula, mL/min (an operational teaching choice, not a
/// measured value: a brisk bleed that lowers the pressure within minutes yet stays within what
/// the fluid model can remove, which ends at the presets' stressed volume,
/// [`FLUID_RANGE_ML`]). A real return-cannula dislodgement with the pump running loses blood
/// at the circuit's flow, an exsanguination the model cannot represent.
pub const DISLODGEMENT_BLEED_ML_MIN: f64 = 100.0;
/// Haemoglobin range of `set_hemoglobin` (as `[patient] hemoglobin_g_dl`), g/dL.
pub const HEMOGLOBIN_RANGE_G_DL: (f64, f64) = (3.0, 25.0);

/// An acute action on the patient or the circuit (Pulse's "action"): tagged by `action`,
/// unknown keys refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Unclamp the circuit and run the pump.
    StartEcmo {},
    /// Clamp the circuit (flow stops at once).
    StopEcmo {},
    /// Change the pump speed.
    SetPumpRpm {
        /// New speed, rpm (up to the pump's maximum).
        rpm: f64,
    },
    /// Change the sweep gas O2 fraction.
    SetFdo2 {
        /// New FdO2, fraction.
        fdo2: f64,
    },
    /// Change the sweep gas flow.
    SetSweep {
        /// New sweep gas flow, L/min.
        sweep_l_min: f64,
    },
    /// A weaning trial: the ECMO flow is brought down step by step (a controller turns the
    /// pump speed each beat to reach each target flow, as a perfusionist does); at the end of
    /// each step the echo indices and the weaning verdict are recorded. The pump speed
    /// returns to its setting when the trial ends.
    WeaningTrial {
        /// Target ECMO flows of the steps, L/min (default 3, 2, 1).
        #[serde(default = "default_weaning_flows")]
        flows_l_min: Vec<f64>,
        /// Duration of each step, s (default 30).
        #[serde(default = "default_weaning_step_s")]
        step_s: f64,
    },
    /// Start, change or stop (rate 0) a drug infusion. The rate is given in the drug's
    /// bedside unit: `dose_u_min` for vasopressin, `dose_ug_kg_min` for the others (exactly
    /// one of the two).
    Infusion {
        /// The drug.
        drug: Drug,
        /// Infusion rate, µg/kg/min (0 stops it; the maximum depends on the drug).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dose_ug_kg_min: Option<f64>,
        /// Infusion rate, U/min (vasopressin only; 0 stops it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dose_u_min: Option<f64>,
    },
    /// A fluid bolus (positive) or a removal or bleed (negative), given at once and spread
    /// over the vessels in proportion to their compliance.
    Fluid {
        /// Volume, mL.
        volume_ml: f64,
    },
    /// Change the heart rate (from the next beat).
    SetHeartRate {
        /// New heart rate, bpm.
        heart_rate_bpm: f64,
    },
    /// Change the inspired O2 fraction.
    SetFio2 {
        /// New FiO2, fraction.
        fio2: f64,
    },
    /// Change the native lungs' ventilation (absent keys: unchanged).
    SetVentilation {
        /// New minute ventilation, L/min.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minute_ventilation_l_min: Option<f64>,
        /// New dead-space fraction VD/VT.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dead_space_fraction: Option<f64>,
    },
    /// Change the intrapulmonary shunt fraction.
    SetLungShunt {
        /// New shunt fraction.
        lung_shunt_fraction: f64,
    },
    /// Scale the left ventricle's contractility relative to the patient's starting value.
    SetLvContractility {
        /// Multiplier of the starting LV end-systolic elastance.
        lv_contractility_scale: f64,
    },
    /// Scale the right ventricle's contractility relative to the patient's starting value
    /// (after the scenario's own `rv_contractility_scale`). The change is applied as a ratio
    /// to the RV end-systolic elastance in force, so a drug's or the baroreflex's effect on
    /// it is kept on top.
    SetRvContractility {
        /// Multiplier of the starting RV end-systolic elastance.
        rv_contractility_scale: f64,
    },
    /// Scale the systemic vascular resistance relative to the patient's starting value (after
    /// the scenario's own `svr_scale`): every systemic tissue bed's resistance, as
    /// `[patient] svr_scale` does at build; a bed's critical closing pressure (the AMI
    /// preset's waterfalls) is unchanged. Applied as a ratio to the resistances in force, so
    /// this sets the patient's baseline tone and a vasopressor's or the baroreflex's effect
    /// stays on top of it.
    SetSvr {
        /// Multiplier of the starting systemic tissue-bed resistances.
        svr_scale: f64,
    },
    /// Switch an unloading device on or off, or change its settings.
    SetDevice {
        /// The device.
        device: DeviceKind,
        /// On or off (absent: unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        active: Option<bool>,
        /// Impella performance level, P1-P9.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        performance_level: Option<u8>,
        /// Septostomy diameter, mm.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diameter_mm: Option<f64>,
        /// IABP balloon volume, mL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        balloon_volume_ml: Option<f64>,
        /// IABP assist ratio (1 = 1:1, 2 = 1:2, 3 = 1:3).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ratio: Option<u32>,
    },
    /// Cardiac arrest: no chamber contracts.
    Arrest {
        /// The arrest rhythm (default `vf`).
        #[serde(default)]
        rhythm: ArrestRhythm,
    },
    /// Return of spontaneous circulation: sinus rhythm, with the contractility the heart had
    /// before the arrest.
    Rosc {},
    /// Change the haemoglobin concentration (a transfusion or haemodilution, at once, at the
    /// same saturations).
    SetHemoglobin {
        /// New haemoglobin, g/dL.
        hemoglobin_g_dl: f64,
    },
    /// Set the circuit's heater-cooler: the blood temperature relaxes toward it with the time
    /// constant of [`crate::thermal`] (body mass, circuit flow, exchanger effectiveness) and
    /// tissue O2 consumption follows with a Q10 of 2.8. Needs a circuit.
    SetTemperature {
        /// Heater-cooler set point, °C.
        heater_temperature_c: f64,
    },
    /// Move the circuit's cannulae to another configuration (drainage and return sites as
    /// in `[ecmo] cannulation`); pump, oxygenator and settings are kept.
    SetCannulation {
        /// `femoro-femoral`, `central` or `femoro-axillary`.
        cannulation: CannulationSite,
    },
    /// Change the circuit's hardware live (absent keys: unchanged): cannula sizes, pump model
    /// and oxygenator model, with the names and ranges of `[ecmo]` in a scenario file. The
    /// cannulation site, speed (rpm), FdO2, sweep and clamp state are kept; a speed above the
    /// new pump's maximum is refused (lower it with `set_pump_rpm` first). Needs a circuit and
    /// no circuit failure in force (`circuit_repair` first).
    SetCircuit {
        /// Drainage cannula size, Fr (the `[ecmo] drainage_cannula_fr` range).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drainage_cannula_fr: Option<f64>,
        /// Return cannula size, Fr (the `[ecmo] return_cannula_fr` range).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        return_cannula_fr: Option<f64>,
        /// Pump model, as `[ecmo] pump` (`rotaflow`, `centrimag`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pump: Option<String>,
        /// Oxygenator model, as `[ecmo] oxygenator` (`quadrox-id`, `hls-7`, `capiox-sx18`,
        /// `capiox-sx25`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        oxygenator: Option<String>,
    },
    /// A circuit emergency with its physical effect (see [`CircuitFailure`]).
    CircuitFailure {
        /// What fails.
        failure: CircuitFailure,
    },
    /// Undo every circuit failure: the pump turns again at its speed before the failure (hand
    /// crank, new drive, de-airing), the oxygenator and lines are as before.
    CircuitRepair {},
    /// A transthoracic shock. In VF it restores sinus rhythm with a probability that falls
    /// with the time in VF ([`crate::bedside::shock_success_probability`]), drawn from the
    /// scenario's `seed` and the shock's number (deterministic); in any other rhythm it
    /// changes nothing (asystole is not shockable).
    Defibrillate {},
    /// Start (`active: true`) or stop chest compressions at 110/min. They squeeze the
    /// ventricles while the heart does not beat ([`crate::bedside::CPR_ELASTANCE_MMHG_PER_ML`]);
    /// a return of sinus rhythm (`rosc`, a successful shock) ends them.
    Cpr {
        /// Compressions on or off.
        active: bool,
    },
    /// Set the monitor's alarm limits of this session (absent keys: unchanged). They replace
    /// the default limits of the MAP, heart-rate, saturation and circuit-flow alarms.
    SetAlarmLimits {
        /// Low MAP limit, mmHg (the `low_map` warning; default 65).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        map_low_mmhg: Option<f64>,
        /// High MAP limit, mmHg (the `high_map` warning; default 110).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        map_high_mmhg: Option<f64>,
        /// Low heart-rate limit, bpm (`bradycardia`; default 50).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heart_rate_low_bpm: Option<f64>,
        /// High heart-rate limit, bpm (`tachycardia`; default 120).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heart_rate_high_bpm: Option<f64>,
        /// Low saturation limit (right radial), % (`low_sao2_right_radial`; default 90).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spo2_low_percent: Option<f64>,
        /// Low circuit-flow limit, L/min (`low_ecmo_flow`; default 1.0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ecmo_flow_low_l_min: Option<f64>,
    },
}

fn default_weaning_flows() -> Vec<f64> {
    vec![3.0, 2.0, 1.0]
}

fn default_weaning_step_s() -> f64 {
    30.0
}

/// The allowed range of a numeric action key that does not depend on the patient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct Range {
    /// The action (`set_pump_rpm`).
    pub action: &'static str,
    /// The key (`rpm`).
    pub field: &'static str,
    /// Lowest allowed value.
    pub min: f64,
    /// Highest allowed value.
    pub max: f64,
    /// Unit ("" for fractions and multipliers).
    pub unit: &'static str,
}

pub(crate) const fn range(
    action: &'static str,
    field: &'static str,
    min: f64,
    max: f64,
    unit: &'static str,
) -> Range {
    Range {
        action,
        field,
        min,
        max,
        unit,
    }
}

/// Highest pump speed of any pump model (the CentriMag's 5500 rpm), rpm; each pump's own
/// maximum is checked when the action is applied.
pub const MAX_PUMP_RPM: f64 = 5500.0;
/// Largest single fluid removal and bolus, mL. The removal bound is what every preset can
/// honour at any time (issue 13, `tests/ranges.rs`): a removal is spread over the vessels by
/// compliance and is refused when it would empty a vessel's stressed volume, which the
/// healthy adult and `drug-intoxication` reach at 450-500 mL (inferior vena cava),
/// `massive-pulmonary-embolism` at 650 mL; the documented −1500 mL was refused on eight of the
/// ten presets. Larger haemorrhage is beyond what the presets' stressed volumes represent.
pub const FLUID_RANGE_ML: (f64, f64) = (-400.0, 2000.0);
/// LV and RV contractility multiplier range (as `[patient] lv_contractility_scale` and
/// `rv_contractility_scale`).
pub const CONTRACTILITY_SCALE_RANGE: (f64, f64) = (0.05, 5.0);
/// Systemic vascular resistance multiplier range (as `[patient] svr_scale`).
pub const SVR_SCALE_RANGE: (f64, f64) = (0.2, 5.0);
/// Drainage cannula size range, Fr: `[ecmo] drainage_cannula_fr` and `set_circuit`. Adult
/// femoral drainage cannulae in use are 21-29 Fr (manufacturer pressure-flow charts); the
/// range adds a margin for teaching, inside the 12-32 Fr of the single-lumen femoral law
/// (Noe 1989 anchors, [`ecmova_engine::devices::Cannula::femoral`]).
pub const DRAINAGE_CANNULA_RANGE_FR: (f64, f64) = (15.0, 31.0);
/// Return cannula size range, Fr: `[ecmo] return_cannula_fr` and `set_circuit`. Adult
/// arterial return cannulae in use are 15-19 Fr (manufacturer charts); the range adds a
/// margin, inside the 12-32 Fr of the femoral law (Noe 1989).
pub const RETURN_CANNULA_RANGE_FR: (f64, f64) = (13.0, 25.0);

/// Every patient-independent range of an action key.
pub const RANGES: &[Range] = &[
    range("set_pump_rpm", "rpm", 0.0, MAX_PUMP_RPM, "rpm"),
    range("set_fdo2", "fdo2", 0.21, 1.0, ""),
    range("set_sweep", "sweep_l_min", 0.0, 15.0, "L/min"),
    range(
        "set_circuit",
        "drainage_cannula_fr",
        DRAINAGE_CANNULA_RANGE_FR.0,
        DRAINAGE_CANNULA_RANGE_FR.1,
        "Fr",
    ),
    range(
        "set_circuit",
        "return_cannula_fr",
        RETURN_CANNULA_RANGE_FR.0,
        RETURN_CANNULA_RANGE_FR.1,
        "Fr",
    ),
    range("weaning_trial", "flows_l_min", 0.3, 7.0, "L/min"),
    range("weaning_trial", "step_s", 5.0, 600.0, "s"),
    range("infusion", "dose_ug_kg_min", 0.0, 20.0, "µg/kg/min"),
    range("infusion", "dose_u_min", 0.0, 0.1, "U/min"),
    range(
        "fluid",
        "volume_ml",
        FLUID_RANGE_ML.0,
        FLUID_RANGE_ML.1,
        "mL",
    ),
    range(
        "set_heart_rate",
        "heart_rate_bpm",
        HEART_RATE_RANGE_BPM.0,
        HEART_RATE_RANGE_BPM.1,
        "bpm",
    ),
    range("set_fio2", "fio2", 0.21, 1.0, ""),
    range("set_lung_shunt", "lung_shunt_fraction", 0.0, 1.0, ""),
    range(
        "set_ventilation",
        "minute_ventilation_l_min",
        0.0,
        40.0,
        "L/min",
    ),
    range("set_ventilation", "dead_space_fraction", 0.0, 0.95, ""),
    range(
        "set_lv_contractility",
        "lv_contractility_scale",
        CONTRACTILITY_SCALE_RANGE.0,
        CONTRACTILITY_SCALE_RANGE.1,
        "",
    ),
    range(
        "set_rv_contractility",
        "rv_contractility_scale",
        CONTRACTILITY_SCALE_RANGE.0,
        CONTRACTILITY_SCALE_RANGE.1,
        "",
    ),
    range(
        "set_svr",
        "svr_scale",
        SVR_SCALE_RANGE.0,
        SVR_SCALE_RANGE.1,
        "",
    ),
    range(
        "set_hemoglobin",
        "hemoglobin_g_dl",
        HEMOGLOBIN_RANGE_G_DL.0,
        HEMOGLOBIN_RANGE_G_DL.1,
        "g/dL",
    ),
    range(
        "set_temperature",
        "heater_temperature_c",
        crate::thermal::HEATER_RANGE_C.0,
        crate::thermal::HEATER_RANGE_C.1,
        "°C",
    ),
    range(
        "set_device",
        "performance_level",
        IMPELLA_LEVEL_RANGE.0 as f64,
        IMPELLA_LEVEL_RANGE.1 as f64,
        "",
    ),
    range(
        "set_device",
        "diameter_mm",
        SEPTOSTOMY_DIAMETER_RANGE_MM.0,
        SEPTOSTOMY_DIAMETER_RANGE_MM.1,
        "mm",
    ),
    range(
        "set_device",
        "balloon_volume_ml",
        IABP_BALLOON_RANGE_ML.0,
        IABP_BALLOON_RANGE_ML.1,
        "mL",
    ),
    range(
        "set_device",
        "ratio",
        IABP_RATIO_RANGE.0 as f64,
        IABP_RATIO_RANGE.1 as f64,
        "",
    ),
    range("set_alarm_limits", "map_low_mmhg", 40.0, 100.0, "mmHg"),
    range("set_alarm_limits", "map_high_mmhg", 70.0, 160.0, "mmHg"),
    range("set_alarm_limits", "heart_rate_low_bpm", 30.0, 100.0, "bpm"),
    range(
        "set_alarm_limits",
        "heart_rate_high_bpm",
        60.0,
        200.0,
        "bpm",
    ),
    range("set_alarm_limits", "spo2_low_percent", 70.0, 99.0, "%"),
    range("set_alarm_limits", "ecmo_flow_low_l_min", 0.3, 6.0, "L/min"),
];

/// Why an action cannot be applied. Every variant names the key at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// A number outside its allowed range.
    #[error("{}", out_of_range_message(.field, *.value, *.min, *.max, .unit))]
    OutOfRange {
        /// The key (`rpm`, `flows_l_min[1]`).
        field: String,
        /// The rejected value.
        value: f64,
        /// Lowest allowed value.
        min: f64,
        /// Highest allowed value.
        max: f64,
        /// Unit.
        unit: String,
    },
    /// The patient lacks what the action needs (a circuit, a device, an adult anatomy).
    #[error("{field}: {reason}")]
    Unavailable {
        /// The key (or `action`).
        field: String,
        /// What is missing and how to add it.
        reason: String,
    },
    /// Anything else that makes the action impossible now.
    #[error("{field}: {reason}")]
    Invalid {
        /// The key (or `action`).
        field: String,
        /// Why.
        reason: String,
    },
}

impl ActionError {
    /// The key at fault.
    pub fn field(&self) -> &str {
        match self {
            ActionError::OutOfRange { field, .. }
            | ActionError::Unavailable { field, .. }
            | ActionError::Invalid { field, .. } => field,
        }
    }

    pub(crate) fn unavailable(field: &str, reason: impl Into<String>) -> Self {
        ActionError::Unavailable {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        ActionError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An engine parameter error met while applying the action, renamed to the action's
    /// key `field`.
    pub(crate) fn from_param(field: &str, e: ecmova_engine::ParamError) -> Self {
        match e {
            ecmova_engine::ParamError::OutOfRange {
                value,
                min,
                max,
                unit,
                ..
            } => ActionError::OutOfRange {
                field: field.into(),
                value,
                min,
                max,
                unit: unit.to_string(),
            },
            other => ActionError::invalid(field, other.to_string()),
        }
    }
}

/// A number as an error message prints it: as written for ordinary magnitudes, in exponent
/// form beyond 1e15 (a fuzzer's or a typo's `1e300` is not spelled out in 301 digits).
fn message_number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// "`field` = `value` is out of range: allowed `min` to `max` `unit`", the one wording of a
/// number outside its range (no trailing space for a unitless fraction or multiplier).
pub(crate) fn out_of_range_message(
    field: &str,
    value: f64,
    min: f64,
    max: f64,
    unit: &str,
) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    format!(
        "{field} = {} is out of range: allowed {} to {}{unit}",
        message_number(value),
        message_number(min),
        message_number(max)
    )
}

/// Checks `value` against the range of `action.field` in [`RANGES`]; `path` names the key
/// in the error (`flows_l_min[2]`).
pub(crate) fn check(action: &str, field: &str, path: &str, value: f64) -> Result<(), ActionError> {
    let r = RANGES
        .iter()
        .find(|r| r.action == action && r.field == field)
        .copied()
        .unwrap_or(range("", "", f64::NEG_INFINITY, f64::INFINITY, ""));
    check_in(path, value, r.min, r.max, r.unit)
}

/// Checks `value` against `[min, max]` (finite values only) with the engine's own check, the
/// error renamed to the action's key `path`.
pub(crate) fn check_in(
    path: &str,
    value: f64,
    min: f64,
    max: f64,
    unit: &'static str,
) -> Result<(), ActionError> {
    ecmova_engine::model::check_range(|| path.into(), value, min, max, unit)
        .map_err(|e| ActionError::from_param(path, e))
}

impl Action {
    /// Every action name, in documentation order.
    pub const NAMES: [&'static str; 27] = [
        "start_ecmo",
        "stop_ecmo",
        "set_pump_rpm",
        "set_fdo2",
        "set_sweep",
        "weaning_trial",
        "infusion",
        "fluid",
        "set_heart_rate",
        "set_fio2",
        "set_ventilation",
        "set_lung_shunt",
        "set_lv_contractility",
        "set_rv_contractility",
        "set_svr",
        "set_device",
        "arrest",
        "rosc",
        "set_hemoglobin",
        "set_temperature",
        "set_cannulation",
        "set_circuit",
        "circuit_failure",
        "circuit_repair",
        "defibrillate",
        "cpr",
        "set_alarm_limits",
    ];

    /// The action's name as written in files and requests.
    pub fn name(&self) -> &'static str {
        match self {
            Action::StartEcmo {} => "start_ecmo",
            Action::StopEcmo {} => "stop_ecmo",
            Action::SetPumpRpm { .. } => "set_pump_rpm",
            Action::SetFdo2 { .. } => "set_fdo2",
            Action::SetSweep { .. } => "set_sweep",
            Action::WeaningTrial { .. } => "weaning_trial",
            Action::Infusion { .. } => "infusion",
            Action::Fluid { .. } => "fluid",
            Action::SetHeartRate { .. } => "set_heart_rate",
            Action::SetFio2 { .. } => "set_fio2",
            Action::SetVentilation { .. } => "set_ventilation",
            Action::SetLungShunt { .. } => "set_lung_shunt",
            Action::SetLvContractility { .. } => "set_lv_contractility",
            Action::SetRvContractility { .. } => "set_rv_contractility",
            Action::SetSvr { .. } => "set_svr",
            Action::SetDevice { .. } => "set_device",
            Action::Arrest { .. } => "arrest",
            Action::Rosc {} => "rosc",
            Action::SetHemoglobin { .. } => "set_hemoglobin",
            Action::SetTemperature { .. } => "set_temperature",
            Action::SetCannulation { .. } => "set_cannulation",
            Action::SetCircuit { .. } => "set_circuit",
            Action::CircuitFailure { .. } => "circuit_failure",
            Action::CircuitRepair {} => "circuit_repair",
            Action::Defibrillate {} => "defibrillate",
            Action::Cpr { .. } => "cpr",
            Action::SetAlarmLimits { .. } => "set_alarm_limits",
        }
    }

    /// Checks every key against its patient-independent range ([`RANGES`] and the drug's
    /// own maximum). What depends on the patient (a circuit, a device, the pump's maximum, the
    /// blood that can be removed) is checked when the action is applied.
    pub fn check(&self) -> Result<(), ActionError> {
        let name = self.name();
        let num = |field: &str, value: f64| check(name, field, field, value);
        match self {
            Action::StartEcmo {}
            | Action::StopEcmo {}
            | Action::Rosc {}
            | Action::Arrest { .. }
            | Action::SetCannulation { .. }
            | Action::CircuitFailure { .. }
            | Action::CircuitRepair {}
            | Action::Defibrillate {}
            | Action::Cpr { .. } => Ok(()),
            Action::SetAlarmLimits { .. } => self.check_alarm_limits(),
            Action::SetCircuit {
                drainage_cannula_fr,
                return_cannula_fr,
                pump,
                oxygenator,
            } => {
                if let Some(fr) = drainage_cannula_fr {
                    num("drainage_cannula_fr", *fr)?;
                }
                if let Some(fr) = return_cannula_fr {
                    num("return_cannula_fr", *fr)?;
                }
                let choice = |field: &str, value: &Option<String>, allowed: &[&str]| match value {
                    Some(v) if !allowed.contains(&v.as_str()) => Err(ActionError::invalid(
                        field,
                        format!("{v:?} is not known: allowed {}", allowed.join(", ")),
                    )),
                    _ => Ok(()),
                };
                choice("pump", pump, ecmova_engine::devices::PUMP_PRESETS)?;
                choice(
                    "oxygenator",
                    oxygenator,
                    ecmova_engine::devices::OXYGENATOR_PRESETS,
                )?;
                if drainage_cannula_fr.is_none()
                    && return_cannula_fr.is_none()
                    && pump.is_none()
                    && oxygenator.is_none()
                {
                    return Err(ActionError::invalid(
                        "action",
                        "set_circuit changes nothing: give drainage_cannula_fr, return_cannula_fr, pump or oxygenator",
                    ));
                }
                Ok(())
            }
            Action::SetHemoglobin { hemoglobin_g_dl } => num("hemoglobin_g_dl", *hemoglobin_g_dl),
            Action::SetTemperature {
                heater_temperature_c,
            } => num("heater_temperature_c", *heater_temperature_c),
            // The pump's own maximum is checked when applied (Rotaflow 5000, CentriMag 5500
            // rpm); here only what no pump allows.
            Action::SetPumpRpm { rpm } if *rpm >= 0.0 && rpm.is_finite() => Ok(()),
            Action::SetPumpRpm { rpm } => num("rpm", *rpm),
            Action::SetFdo2 { fdo2 } => num("fdo2", *fdo2),
            Action::SetSweep { sweep_l_min } => num("sweep_l_min", *sweep_l_min),
            Action::WeaningTrial {
                flows_l_min,
                step_s,
            } => {
                if flows_l_min.is_empty() || flows_l_min.len() > 20 {
                    return Err(ActionError::invalid(
                        "flows_l_min",
                        format!("lists {} target flows: give 1 to 20", flows_l_min.len()),
                    ));
                }
                for (k, f) in flows_l_min.iter().enumerate() {
                    check(name, "flows_l_min", &format!("flows_l_min[{k}]"), *f)?;
                }
                num("step_s", *step_s)
            }
            Action::Infusion {
                drug,
                dose_ug_kg_min,
                dose_u_min,
            } => {
                let unit = drug.dose_unit();
                let (given, other) = match unit {
                    DoseUnit::UgPerKgPerMin => (dose_ug_kg_min, dose_u_min),
                    DoseUnit::UnitsPerMin => (dose_u_min, dose_ug_kg_min),
                };
                if other.is_some() {
                    let wrong = DoseUnit::ALL
                        .into_iter()
                        .find(|u| *u != unit)
                        .map_or("", |u| u.key());
                    return Err(ActionError::invalid(
                        wrong,
                        format!(
                            "{} is dosed in {}: give {} instead of {wrong}",
                            drug.name(),
                            unit.unit(),
                            unit.key()
                        ),
                    ));
                }
                let Some(dose) = given else {
                    return Err(ActionError::invalid(
                        unit.key(),
                        format!(
                            "give the rate of {} as {} ({})",
                            drug.name(),
                            unit.key(),
                            unit.unit()
                        ),
                    ));
                };
                check_in(unit.key(), *dose, 0.0, drug.profile().max_dose, unit.unit())
            }
            Action::Fluid { volume_ml } => num("volume_ml", *volume_ml),
            Action::SetHeartRate { heart_rate_bpm } => num("heart_rate_bpm", *heart_rate_bpm),
            Action::SetFio2 { fio2 } => num("fio2", *fio2),
            Action::SetVentilation {
                minute_ventilation_l_min,
                dead_space_fraction,
            } => {
                if minute_ventilation_l_min.is_none() && dead_space_fraction.is_none() {
                    return Err(ActionError::invalid(
                        "minute_ventilation_l_min",
                        "give minute_ventilation_l_min, dead_space_fraction or both",
                    ));
                }
                if let Some(v) = minute_ventilation_l_min {
                    num("minute_ventilation_l_min", *v)?;
                }
                if let Some(d) = dead_space_fraction {
                    num("dead_space_fraction", *d)?;
                }
                Ok(())
            }
            Action::SetLungShunt {
                lung_shunt_fraction,
            } => num("lung_shunt_fraction", *lung_shunt_fraction),
            Action::SetLvContractility {
                lv_contractility_scale,
            } => num("lv_contractility_scale", *lv_contractility_scale),
            Action::SetRvContractility {
                rv_contractility_scale,
            } => num("rv_contractility_scale", *rv_contractility_scale),
            Action::SetSvr { svr_scale } => num("svr_scale", *svr_scale),
            Action::SetDevice {
                device,
                performance_level,
                diameter_mm,
                balloon_volume_ml,
                ratio,
                ..
            } => {
                let settings = [
                    (
                        "performance_level",
                        performance_level.map(f64::from),
                        DeviceKind::Impella,
                    ),
                    ("diameter_mm", *diameter_mm, DeviceKind::AtrialSeptostomy),
                    ("balloon_volume_ml", *balloon_volume_ml, DeviceKind::Iabp),
                    ("ratio", ratio.map(f64::from), DeviceKind::Iabp),
                ];
                for (field, value, owner) in settings {
                    let Some(v) = value else { continue };
                    if owner != *device {
                        return Err(ActionError::invalid(
                            field,
                            format!(
                                "only an {} has {field}, not an {}",
                                owner.name(),
                                device.name()
                            ),
                        ));
                    }
                    num(field, v)?;
                }
                Ok(())
            }
        }
    }

    /// The label of the phase the action opens: its [`Self::describe`], except that a weaning
    /// trial's phase is its first step (`weaning step 1: 3 L/min (weaning trial 3 → 2 L/min,
    /// 20 s per step)`), as each later step opens a phase of its own (`weaning step 2: 2 L/min`).
    pub fn phase_label(&self) -> String {
        match self {
            Action::WeaningTrial { flows_l_min, .. } if !flows_l_min.is_empty() => format!(
                "weaning step 1: {} L/min ({})",
                round3(flows_l_min[0]),
                self.describe()
            ),
            _ => self.describe(),
        }
    }

    /// A short description in clinical words (`ECMO 3600 rpm`, `norepinephrine 0.1 µg/kg/min`),
    /// used for phase labels and in the answers to live actions.
    pub fn describe(&self) -> String {
        match self {
            Action::StartEcmo {} => "ECMO started".into(),
            Action::StopEcmo {} => "ECMO clamped".into(),
            Action::SetPumpRpm { rpm } => format!("ECMO {rpm:.0} rpm"),
            Action::SetFdo2 { fdo2 } => format!("FdO2 {:.0} %", 100.0 * fdo2),
            Action::SetSweep { sweep_l_min } => format!("sweep {} L/min", round3(*sweep_l_min)),
            Action::WeaningTrial {
                flows_l_min,
                step_s,
            } => format!(
                "weaning trial {} L/min, {} s per step",
                flows_l_min
                    .iter()
                    .map(|f| round3(*f).to_string())
                    .collect::<Vec<_>>()
                    .join(" → "),
                round3(*step_s)
            ),
            Action::Infusion { drug, .. } if self.dose() == Some(0.0) => {
                format!("{} stopped", drug.name())
            }
            Action::Infusion { drug, .. } => format!(
                "{} {} {}",
                drug.name(),
                round3(self.dose().unwrap_or(0.0)),
                drug.dose_unit().unit()
            ),
            Action::Fluid { volume_ml } if *volume_ml >= 0.0 => {
                format!("fluid {} mL", round3(*volume_ml))
            }
            Action::Fluid { volume_ml } => format!("blood loss {} mL", round3(-volume_ml)),
            Action::SetHeartRate { heart_rate_bpm } => {
                format!("heart rate {} bpm", round3(*heart_rate_bpm))
            }
            Action::SetFio2 { fio2 } => format!("FiO2 {:.0} %", 100.0 * fio2),
            Action::SetVentilation {
                minute_ventilation_l_min,
                dead_space_fraction,
            } => {
                let mut parts = Vec::new();
                if let Some(v) = minute_ventilation_l_min {
                    parts.push(format!("minute ventilation {} L/min", round3(*v)));
                }
                if let Some(d) = dead_space_fraction {
                    parts.push(format!("dead space {:.0} %", 100.0 * d));
                }
                parts.join(", ")
            }
            Action::SetLungShunt {
                lung_shunt_fraction,
            } => format!("lung shunt {:.0} %", 100.0 * lung_shunt_fraction),
            Action::SetLvContractility {
                lv_contractility_scale,
            } => format!("LV contractility × {}", round3(*lv_contractility_scale)),
            Action::SetRvContractility {
                rv_contractility_scale,
            } => format!("RV contractility × {}", round3(*rv_contractility_scale)),
            Action::SetSvr { svr_scale } => format!("SVR × {}", round3(*svr_scale)),
            Action::SetDevice {
                device,
                active,
                performance_level,
                ..
            } => {
                let state = match active {
                    Some(true) => " on",
                    Some(false) => " off",
                    None => " settings",
                };
                let level = performance_level.map_or(String::new(), |p| format!(" P{p}"));
                format!("{}{state}{level}", device.name())
            }
            Action::Arrest { rhythm } => match rhythm {
                ArrestRhythm::Vf => "cardiac arrest (VF)".into(),
                ArrestRhythm::Asystole => "cardiac arrest (asystole)".into(),
            },
            Action::Rosc {} => "ROSC".into(),
            Action::SetHemoglobin { hemoglobin_g_dl } => {
                format!("Hb {} g/dL", round3(*hemoglobin_g_dl))
            }
            Action::SetTemperature {
                heater_temperature_c,
            } => format!("heater {} °C", round3(*heater_temperature_c)),
            Action::SetCannulation { cannulation } => {
                format!("cannulation {}", cannulation.engine().name())
            }
            Action::SetCircuit {
                drainage_cannula_fr,
                return_cannula_fr,
                pump,
                oxygenator,
            } => {
                let parts: Vec<String> = [
                    drainage_cannula_fr.map(|f| format!("drainage {} Fr", round3(f))),
                    return_cannula_fr.map(|f| format!("return {} Fr", round3(f))),
                    pump.as_ref().map(|p| format!("pump {p}")),
                    oxygenator.as_ref().map(|o| format!("oxygenator {o}")),
                ]
                .into_iter()
                .flatten()
                .collect();
                format!("circuit: {}", parts.join(", "))
            }
            Action::CircuitFailure { failure } => {
                format!("circuit failure: {}", failure.name().replace('_', " "))
            }
            Action::CircuitRepair {} => "circuit repaired".into(),
            Action::Defibrillate {} => "defibrillation".into(),
            Action::Cpr { active: true } => "CPR started".into(),
            Action::Cpr { active: false } => "CPR stopped".into(),
            Action::SetAlarmLimits {
                map_low_mmhg,
                map_high_mmhg,
                heart_rate_low_bpm,
                heart_rate_high_bpm,
                spo2_low_percent,
                ecmo_flow_low_l_min,
            } => {
                let parts: Vec<String> = [
                    ("MAP low", map_low_mmhg, "mmHg"),
                    ("MAP high", map_high_mmhg, "mmHg"),
                    ("HR low", heart_rate_low_bpm, "bpm"),
                    ("HR high", heart_rate_high_bpm, "bpm"),
                    ("SpO2 low", spo2_low_percent, "%"),
                    ("flow low", ecmo_flow_low_l_min, "L/min"),
                ]
                .into_iter()
                .filter_map(|(k, v, u)| v.map(|v| format!("{k} {} {u}", round3(v))))
                .collect();
                format!("alarm limits: {}", parts.join(", "))
            }
        }
    }

    /// The infusion rate of an `infusion`, in its drug's unit (whichever key carries it).
    pub fn dose(&self) -> Option<f64> {
        match self {
            Action::Infusion {
                dose_ug_kg_min,
                dose_u_min,
                ..
            } => dose_ug_kg_min.or(*dose_u_min),
            _ => None,
        }
    }

    /// `set_alarm_limits`: every key in its range, at least one key, low below high.
    fn check_alarm_limits(&self) -> Result<(), ActionError> {
        let Action::SetAlarmLimits {
            map_low_mmhg,
            map_high_mmhg,
            heart_rate_low_bpm,
            heart_rate_high_bpm,
            spo2_low_percent,
            ecmo_flow_low_l_min,
        } = self
        else {
            return Ok(());
        };
        let keys = [
            ("map_low_mmhg", map_low_mmhg),
            ("map_high_mmhg", map_high_mmhg),
            ("heart_rate_low_bpm", heart_rate_low_bpm),
            ("heart_rate_high_bpm", heart_rate_high_bpm),
            ("spo2_low_percent", spo2_low_percent),
            ("ecmo_flow_low_l_min", ecmo_flow_low_l_min),
        ];
        if keys.iter().all(|(_, v)| v.is_none()) {
            return Err(ActionError::invalid(
                "map_low_mmhg",
                "give at least one limit (map_low_mmhg, map_high_mmhg, heart_rate_low_bpm, heart_rate_high_bpm, spo2_low_percent, ecmo_flow_low_l_min)",
            ));
        }
        for (k, v) in keys {
            if let Some(v) = v {
                check("set_alarm_limits", k, k, *v)?;
            }
        }
        Ok(())
    }
}

/// Rounds for reading (3 significant decimals at most).
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A scenario file's `[[events]]` entry: an [`Action`] and the simulated time at which it
/// happens (at the first step at or after `at_s`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimedAction {
    /// When, s.
    pub at_s: f64,
    /// What.
    #[serde(flatten)]
    pub action: Action,
}

impl<'de> Deserialize<'de> for TimedAction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let at_s = map
            .remove("at_s")
            .ok_or_else(|| D::Error::missing_field("at_s"))?;
        let at_s = at_s
            .as_f64()
            .ok_or_else(|| D::Error::custom(format!("at_s = {at_s} is not a number")))?;
        let action =
            Action::deserialize(serde_json::Value::Object(map)).map_err(D::Error::custom)?;
        Ok(TimedAction { at_s, action })
    }
}
