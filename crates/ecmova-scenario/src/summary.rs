//! The typed summary every front end reports: metrics averaged over the last beats, flat,
//! snake_case, units in the names. A quantity that does not exist for this patient (no
//! circuit, no device, no gas model, no beat yet) is absent, never 0.

use crate::alarms::{Alarm, AlarmLimits, AlarmTracker};
use crate::simulation::{Simulation, SUMMARY_BEATS};
use ecmova_engine::{BeatMetrics, CirculationParams, UnloadingDevice};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! metric_group {
    ($(#[$meta:meta])* $name:ident { $($(#[$doc:meta])* $field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            $($(#[$doc])* pub $field: f64,)*
        }

        impl $name {
            /// The keys of this group, as in the summary.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The group's values of averaged metrics `m`. `+ 0.0` turns a negative zero
            /// (a clamped circuit's CO2 removal, the lungs' CO2 output in VF) into 0 and
            /// leaves every other value bit for bit: JSON readers print `-0.0` as written.
            pub fn of(m: &BeatMetrics) -> Self {
                $name { $($field: m.$field + 0.0,)* }
            }
        }
    };
}

metric_group! {
    /// The circulation, present once a beat has completed. Arterial pressures without a site
    /// in their name are at the right radial artery.
    Haemodynamics {
        /// Beat length, s.
        period_s,
        /// Heart rate, bpm (0 in arrest).
        heart_rate_bpm,
        /// Systolic arterial pressure (right radial), mmHg.
        sbp_mmhg,
        /// Diastolic arterial pressure (right radial), mmHg.
        dbp_mmhg,
        /// Mean arterial pressure (right radial), mmHg.
        map_mmhg,
        /// Femoral systolic pressure, mmHg.
        sbp_femoral_mmhg,
        /// Femoral diastolic pressure, mmHg.
        dbp_femoral_mmhg,
        /// Femoral mean pressure, mmHg.
        map_femoral_mmhg,
        /// Aortic root systolic pressure, mmHg.
        sbp_aortic_root_mmhg,
        /// Aortic root diastolic pressure, mmHg.
        dbp_aortic_root_mmhg,
        /// Aortic root mean pressure, mmHg.
        map_aortic_root_mmhg,
        /// Aortic root pulse pressure, mmHg.
        pulse_pressure_aortic_root_mmhg,
        /// Arterial pulse pressure (right radial), mmHg.
        pulse_pressure_mmhg,
        /// Pulmonary artery systolic pressure, mmHg.
        pa_systolic_mmhg,
        /// Pulmonary artery diastolic pressure, mmHg.
        pa_diastolic_mmhg,
        /// Pulmonary artery mean pressure, mmHg.
        pa_mean_mmhg,
        /// Central venous (mean right atrial) pressure, mmHg.
        cvp_mmhg,
        /// Mean left atrial pressure (PCWP proxy), mmHg.
        lap_mmhg,
        /// LV peak systolic pressure, mmHg.
        lv_systolic_mmhg,
        /// LV end-diastolic pressure, mmHg.
        lvedp_mmhg,
        /// LV end-diastolic volume, mL.
        lvedv_ml,
        /// LV end-systolic volume, mL.
        lvesv_ml,
        /// LV stroke volume, mL.
        lv_stroke_volume_ml,
        /// LV ejection fraction, %.
        lvef_percent,
        /// RV peak systolic pressure, mmHg.
        rv_systolic_mmhg,
        /// RV end-diastolic pressure, mmHg.
        rvedp_mmhg,
        /// RV end-diastolic volume, mL.
        rvedv_ml,
        /// RV end-systolic volume, mL.
        rvesv_ml,
        /// RV ejection fraction, %.
        rvef_percent,
        /// Native cardiac output (net aortic-valve flow), L/min.
        cardiac_output_l_min,
        /// RV output (net pulmonary-valve flow), L/min.
        rv_output_l_min,
        /// LV stroke work (PV-loop area), mmHg·mL.
        lv_stroke_work_mmhg_ml,
        /// Cardiac power output = MAP × CO / 451, W.
        cardiac_power_output_w,
        /// Fraction of beats in which the aortic valve opened.
        aortic_valve_opening_fraction,
        /// Total blood volume, mL.
        blood_volume_ml,
        /// Systemic flow: native output + Impella + ECMO, L/min.
        total_flow_l_min,
        /// Mean ascending-aortic flow (negative: retrograde), mL/s.
        q_ascending_aorta_ml_s,
        /// Mean aortic-arch flow, mL/s.
        q_aortic_arch_segment_ml_s,
        /// Mean descending-thoracic-aortic flow, mL/s.
        q_descending_thoracic_aorta_ml_s,
        /// Mean iliac flow, mL/s.
        q_iliac_arteries_ml_s,
        /// Mean brachiocephalic flow, mL/s.
        q_brachiocephalic_arteries_ml_s,
    }
}

metric_group! {
    /// The VA-ECMO circuit, present only with a circuit.
    Circuit {
        /// Mean circuit flow, L/min (negative when retrograde; 0 when clamped).
        ecmo_flow_l_min,
        /// Pump speed, rpm.
        pump_rpm,
        /// Pump head (outlet − inlet), mmHg.
        pump_head_mmhg,
        /// Pump inlet (drainage) pressure, mmHg.
        drainage_pressure_mmhg,
        /// Pre-oxygenator pressure, mmHg.
        pre_oxygenator_pressure_mmhg,
        /// Post-oxygenator pressure, mmHg.
        post_oxygenator_pressure_mmhg,
        /// Oxygenator pressure drop, mmHg.
        oxygenator_dp_mmhg,
        /// Lowest pressure of the drained vein in the beat, mmHg.
        drained_vein_pressure_min_mmhg,
        /// Fraction of the beat with the drained vein collapsed.
        drainage_suction_fraction,
    }
}

metric_group! {
    /// Oxygen transport, present only with a gas-transport model.
    Gases {
        /// SaO2 at the right radial artery, %.
        sao2_right_radial_percent,
        /// SaO2 at the coronary ostia (aortic root), %.
        sao2_coronary_percent,
        /// SaO2 at the femoral artery, %.
        sao2_femoral_percent,
        /// Mixed venous SO2 (pulmonary artery), %.
        svo2_percent,
        /// PaO2 at the right radial artery, mmHg.
        pao2_right_radial_mmhg,
        /// O2 delivery to the tissue beds, mL/min.
        do2_ml_min,
        /// O2 consumption, mL/min.
        vo2_ml_min,
        /// O2 uptake in the lungs, mL/min.
        lung_o2_uptake_ml_min,
        /// PaCO2 at the right radial artery, mmHg.
        paco2_right_radial_mmhg,
        /// PaCO2 at the femoral artery, mmHg.
        paco2_femoral_mmhg,
        /// Mixed venous PCO2, mmHg.
        pvco2_mmhg,
        /// Arterial pH at the right radial artery.
        ph_right_radial,
        /// Arterial pH at the femoral artery.
        ph_femoral,
        /// Alveolar PCO2 (alveolar ventilation equation), mmHg.
        alveolar_pco2_mmhg,
        /// CO2 output of the native lungs (never negative), mL/min.
        lung_co2_output_ml_min,
        /// CO2 production of the tissues, mL/min.
        vco2_ml_min,
    }
}

metric_group! {
    /// The oxygenator's gas exchange, present only with a circuit and a gas-transport model.
    OxygenatorGases {
        /// Post-oxygenator PO2, mmHg.
        post_oxygenator_po2_mmhg,
        /// Post-oxygenator PCO2, mmHg.
        post_oxygenator_pco2_mmhg,
        /// O2 transfer in the oxygenator, mL/min.
        oxygenator_o2_transfer_ml_min,
        /// CO2 removal in the oxygenator, mL/min.
        oxygenator_co2_removal_ml_min,
        /// Post-oxygenator pH.
        post_oxygenator_ph,
    }
}

/// The averaged metrics, each group present only where it exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Metrics {
    /// The circulation.
    #[serde(flatten)]
    pub haemodynamics: Haemodynamics,
    /// The circuit (absent without one).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub circuit: Option<Circuit>,
    /// Oxygen transport (absent without a gas model).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub gases: Option<Gases>,
    /// The oxygenator's gas exchange (absent without a circuit or a gas model).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub oxygenator_gases: Option<OxygenatorGases>,
    /// Mean Impella flow, L/min (absent without an Impella).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impella_flow_l_min: Option<f64>,
    /// Mean LV vent flow, L/min (absent without a vent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lv_vent_flow_l_min: Option<f64>,
    /// Mean septostomy flow, left to right positive, L/min (absent without a septostomy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub septostomy_flow_l_min: Option<f64>,
    /// The IABP's diastolic augmentation peak at the right radial artery, mmHg (absent without
    /// an IABP; the systolic and pulse pressures are the patient's own, balloon deflated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmented_diastolic_pressure_mmhg: Option<f64>,
    /// Mean coronary blood flow, mL/min (absent without an anatomy that names the coronary
    /// bed, e.g. the peer model `regazzoni-2022`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coronary_flow_ml_min: Option<f64>,
    /// O2 delivery to the myocardium (coronary flow × the aortic root's O2 content), mL/min
    /// (absent without the coronary bed or a gas model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coronary_do2_ml_min: Option<f64>,
}

impl Metrics {
    /// The groups of averaged metrics `m` that exist for `params`.
    pub fn of(m: &BeatMetrics, params: &CirculationParams) -> Self {
        let has = |kind: &str| {
            params
                .unloading
                .iter()
                .any(|u| u.device.kind_name() == kind)
        };
        Metrics {
            haemodynamics: Haemodynamics::of(m),
            circuit: params.ecmo.is_some().then(|| Circuit::of(m)),
            gases: params.gas.is_some().then(|| Gases::of(m)),
            oxygenator_gases: (params.gas.is_some() && params.ecmo.is_some())
                .then(|| OxygenatorGases::of(m)),
            impella_flow_l_min: has("impella").then_some(m.impella_flow_l_min),
            lv_vent_flow_l_min: has("lv_vent").then_some(m.lv_vent_flow_l_min),
            septostomy_flow_l_min: has("atrial_septostomy").then_some(m.septostomy_flow_l_min),
            // Only while the balloon pumps: a parked IABP augments nothing.
            augmented_diastolic_pressure_mmhg: params
                .unloading
                .iter()
                .any(|u| u.active && u.device.kind_name() == "iabp")
                .then_some(m.augmented_diastolic_pressure_mmhg),
            coronary_flow_ml_min: params
                .anatomy
                .is_some()
                .then_some(m.coronary_flow_ml_min + 0.0),
            coronary_do2_ml_min: (params.anatomy.is_some() && params.gas.is_some())
                .then_some(m.coronary_do2_ml_min + 0.0),
        }
    }

    /// Every key any metrics object can have.
    pub fn all_keys() -> impl Iterator<Item = &'static str> {
        Haemodynamics::KEYS
            .iter()
            .chain(Circuit::KEYS)
            .chain(Gases::KEYS)
            .chain(OxygenatorGases::KEYS)
            .chain(DEVICE_FLOW_KEYS)
            .chain(CORONARY_KEYS)
            .copied()
    }

    /// The keys `params` has no values for (a circuit's without a circuit, the gases' without
    /// a gas model, a device's without it): absent, never a 0 standing for "no device".
    pub fn absent_keys(params: &CirculationParams) -> Vec<&'static str> {
        let present = serde_json::to_value(Metrics::of(&BeatMetrics::default(), params))
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        Metrics::all_keys()
            .filter(|k| !present.contains_key(*k))
            .collect()
    }
}

/// The device keys, each present only with its device.
pub const DEVICE_FLOW_KEYS: &[&str] = &[
    "impella_flow_l_min",
    "lv_vent_flow_l_min",
    "septostomy_flow_l_min",
    "augmented_diastolic_pressure_mmhg",
];

/// The coronary keys, present only with an anatomy that names the coronary bed (the O2
/// delivery only with a gas model too).
pub const CORONARY_KEYS: &[&str] = &["coronary_flow_ml_min", "coronary_do2_ml_min"];

/// The circuit's settings (what the console shows), present only with a circuit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CircuitSettings {
    /// `femoro-femoral`, `central` or `femoro-axillary`.
    pub cannulation: String,
    /// Whether the lines are unclamped and the pump runs.
    pub ecmo_running: bool,
    /// Pump speed set now, rpm (the averaged `pump_rpm` lags a beat behind a change).
    pub pump_rpm_setting: f64,
    /// Sweep gas flow, L/min.
    pub sweep_l_min: f64,
    /// Sweep gas O2 fraction.
    pub fdo2: f64,
    /// Circuit failures in force (`pump_failure`, `oxygenator_failure`, ...; empty: none).
    pub circuit_failures: Vec<String>,
    /// Heater-cooler set point, °C (`set_temperature`; 37 until set).
    pub heater_temperature_c: f64,
}

/// An unloading device and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceState {
    /// `iabp`, `impella`, `atrial_septostomy` or `lv_vent`.
    pub kind: String,
    /// Whether it works now.
    pub active: bool,
    /// Impella performance level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_level: Option<u8>,
    /// Septostomy diameter, mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diameter_mm: Option<f64>,
    /// LV vent cannula, Fr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannula_fr: Option<f64>,
    /// IABP balloon volume, mL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balloon_volume_ml: Option<f64>,
    /// IABP assist ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<u32>,
}

/// The devices of `params`.
pub fn devices(params: &CirculationParams) -> Vec<DeviceState> {
    params
        .unloading
        .iter()
        .map(|u| {
            let mut d = DeviceState {
                kind: u.device.kind_name().into(),
                active: u.active,
                performance_level: None,
                diameter_mm: None,
                cannula_fr: None,
                balloon_volume_ml: None,
                ratio: None,
            };
            match u.device {
                UnloadingDevice::Iabp {
                    balloon_volume_ml,
                    ratio,
                    ..
                } => {
                    d.balloon_volume_ml = Some(balloon_volume_ml);
                    d.ratio = Some(ratio);
                }
                UnloadingDevice::Impella {
                    performance_level, ..
                } => d.performance_level = Some(performance_level),
                UnloadingDevice::AtrialSeptostomy { diameter_mm, .. } => {
                    d.diameter_mm = Some(diameter_mm)
                }
                UnloadingDevice::LvVent { cannula_fr, .. } => d.cannula_fr = Some(cannula_fr),
            }
            d
        })
        .collect()
}

/// One phase's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseSummary {
    /// Clinical label (`baseline`, `ECMO 3600 rpm`).
    pub label: String,
    /// Start, s.
    pub start_s: f64,
    /// End (the next phase's start, or now), s.
    pub end_s: f64,
    /// Beats wholly inside the phase.
    pub beats: u64,
    /// Its last beats averaged (absent if no beat completed inside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
}

/// The weaning trial's outcome so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WeaningSummary {
    /// Whether every step has been completed.
    pub completed: bool,
    /// The last step's verdict (`ready`, `not_ready`, `not_assessable`), absent before the
    /// first step ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<serde_json::Value>,
    /// The completed steps with their measurements and verdicts.
    pub steps: Vec<serde_json::Value>,
}

/// The summary of a simulation (a scenario run's result, or a live session now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// ecmova version.
    pub ecmova_version: String,
    /// Preset.
    pub preset: String,
    /// Simulated time, s.
    pub simulated_s: f64,
    /// Beats completed.
    pub beats_simulated: u64,
    /// Beats averaged (at most 5).
    pub beats_averaged: u64,
    /// Beat at which the current phase reached its periodic steady state (absent if not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_state_beat: Option<u64>,
    /// End of that beat, s (absent if not reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_state_time_s: Option<f64>,
    /// Whether the run stopped early at the steady state (`--until-steady`, `stabilize`).
    pub stopped_at_steady: bool,
    /// Cardiac rhythm: `sinus`, `vf` or `asystole`.
    pub rhythm: String,
    /// Whether chest compressions are in progress (`cpr`).
    pub cpr_in_progress: bool,
    /// Bleeding from a dislodged cannula's site, mL/min (absent when nothing bleeds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bleeding_ml_min: Option<f64>,
    /// Blood lost from dislodged cannulae' sites so far, mL.
    pub blood_lost_ml: f64,
    /// Plasma free haemoglobin, mg/dL: generated by the circuit's pump (× 4 under suction,
    /// × 10 with `pump_thrombosis`) and cleared with a 12 h half-life (absent without a
    /// circuit; see [`crate::haemolysis`] for the sources, the NIH being bench data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plasma_free_hb_mg_dl: Option<f64>,
    /// Blood temperature, °C: relaxes toward the circuit's heater-cooler set point
    /// (`set_temperature`; see [`crate::thermal`]); 37 without one.
    pub blood_temperature_c: f64,
    /// Whether the baroreflex is coupled.
    pub baroreflex: bool,
    /// The circuit's settings (absent without a circuit).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub circuit_settings: Option<CircuitSettings>,
    /// Unloading devices in place (empty: none).
    pub devices: Vec<DeviceState>,
    /// The averaged metrics (absent before the first beat).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Where ECMO and native blood meet in the aorta (absent without a circuit or a beat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixing_zone: Option<String>,
    /// Pulse oximetry on the right hand, %: the right radial SaO2 when the oximeter has a
    /// usable pulse (pulse pressure at least
    /// [`crate::alarms::SPO2_MIN_PULSE_PRESSURE_MMHG`]), `null` otherwise (and without a gas
    /// model or a beat).
    pub spo2_right_hand_percent: Option<f64>,
    /// Pulse oximetry on a leg, %: the femoral SaO2 when the femoral pulse is usable, `null`
    /// otherwise.
    pub spo2_leg_percent: Option<f64>,
    /// Haemoglobin, g/dL (absent without a gas model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hemoglobin_g_dl: Option<f64>,
    /// Raised alarms, critical first.
    pub alarms: Vec<Alarm>,
    /// The alarm limits in force (the defaults, or the session's `set_alarm_limits`).
    pub alarm_limits: AlarmLimits,
    /// One summary per phase.
    pub phases: Vec<PhaseSummary>,
    /// The weaning trial (absent if none ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weaning_trial: Option<WeaningSummary>,
    /// The integration step bound the engine used instead of `[simulation] max_step_s`, s:
    /// the smallest over the run, present only when the parameters made the model too stiff
    /// for the configured step (RK4 stability, `ecmova_engine::fastest_rate_per_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_step_tightened_to_s: Option<f64>,
}

impl Summary {
    /// The summary of `sim` now, with the alarms `tracker` holds.
    pub(crate) fn of(sim: &Simulation, tracker: &AlarmTracker) -> Self {
        let params = sim.model().params();
        let avg = sim.averaged();
        let now = sim.time_s();
        let phases = sim.phases();
        let phase_summaries = phases
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let recent: Vec<BeatMetrics> = p.recent.iter().cloned().collect();
                PhaseSummary {
                    label: p.label.clone(),
                    start_s: p.start_s,
                    end_s: phases.get(k + 1).map_or(now, |n| n.start_s),
                    beats: p.beats,
                    metrics: BeatMetrics::average(&recent).map(|m| Metrics::of(&m, params)),
                }
            })
            .collect();
        Summary {
            ecmova_version: env!("CARGO_PKG_VERSION").into(),
            preset: sim.preset().into(),
            simulated_s: now,
            beats_simulated: sim.beats_total(),
            beats_averaged: sim.beats_total().min(SUMMARY_BEATS as u64),
            steady_state_beat: sim.steady_beat(),
            steady_state_time_s: sim.steady_time_s(),
            stopped_at_steady: sim.stopped_at_steady(),
            rhythm: params.rhythm.name().into(),
            cpr_in_progress: sim.cpr_in_progress(),
            bleeding_ml_min: sim.bleeding_ml_min(),
            blood_lost_ml: sim.blood_lost_ml(),
            plasma_free_hb_mg_dl: sim.plasma_free_hb_mg_dl(),
            blood_temperature_c: sim.blood_temperature_c(),
            baroreflex: sim.has_baroreflex(),
            circuit_settings: params.ecmo.as_ref().map(|e| CircuitSettings {
                cannulation: e.cannulation.name().into(),
                ecmo_running: !e.clamped,
                pump_rpm_setting: e.pump_rpm,
                sweep_l_min: e.sweep_l_min,
                fdo2: e.fdo2,
                circuit_failures: sim
                    .circuit_failures()
                    .into_iter()
                    .map(String::from)
                    .collect(),
                heater_temperature_c: sim
                    .heater_temperature_c()
                    .unwrap_or(crate::thermal::NORMOTHERMIA_C),
            }),
            devices: devices(params),
            metrics: avg.as_ref().map(|m| Metrics::of(m, params)),
            mixing_zone: avg
                .as_ref()
                .filter(|_| params.ecmo.is_some())
                .map(|m| ecmova_engine::mixing_zone(params, m).to_string()),
            spo2_right_hand_percent: avg
                .as_ref()
                .filter(|m| {
                    params.gas.is_some()
                        && m.pulse_pressure_mmhg >= crate::alarms::SPO2_MIN_PULSE_PRESSURE_MMHG
                })
                .map(|m| m.sao2_right_radial_percent),
            spo2_leg_percent: avg
                .as_ref()
                .filter(|m| {
                    params.gas.is_some()
                        && m.sbp_femoral_mmhg - m.dbp_femoral_mmhg
                            >= crate::alarms::SPO2_MIN_PULSE_PRESSURE_MMHG
                })
                .map(|m| m.sao2_femoral_percent),
            hemoglobin_g_dl: params.gas.as_ref().map(|g| g.hemoglobin_g_dl),
            alarms: avg.as_ref().map_or_else(Vec::new, |m| tracker.alarms(m)),
            alarm_limits: sim.alarm_limits(),
            phases: phase_summaries,
            weaning_trial: sim.weaning().map(|trial| WeaningSummary {
                completed: trial.finished(),
                readiness: trial
                    .steps
                    .last()
                    .and_then(|s| serde_json::to_value(s.verdict.readiness).ok()),
                steps: trial
                    .steps
                    .iter()
                    .filter_map(|s| serde_json::to_value(s).ok())
                    .collect(),
            }),
            max_step_tightened_to_s: sim.max_step_tightened_to_s(),
        }
    }

    /// The summary as JSON (never fails: every number is finite, the simulation would have
    /// stopped first).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The summary of a finished run as JSON (kept for callers of the earlier API).
pub fn summary_json(_built: &crate::Built, out: &crate::RunOutput) -> serde_json::Value {
    out.summary.to_json()
}
