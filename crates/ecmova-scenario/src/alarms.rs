//! Alarms: the one place that decides them. Evaluated by the [`crate::Simulation`] after every
//! beat on the metrics averaged over the last beats, carried in every summary (scenario and
//! live) as objects `{name, severity, message, since_s}`, most severe first. Front ends only
//! render them. The thresholds and their sources are tabulated in
//! `docs/methodology/alarms.md`; [`THRESHOLDS`] is the same table in code.

use ecmova_engine::{BeatMetrics, Rhythm};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How urgent an alarm is, with the three alarm priorities of IEC 60601-1-8 (medical
/// electrical equipment, alarm systems): high (red), medium (yellow), low (cyan).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Act now (red; IEC 60601-1-8 high priority).
    Critical,
    /// Attend soon (yellow; IEC 60601-1-8 medium priority).
    Warning,
    /// Be aware (cyan; IEC 60601-1-8 low priority): a technical or information alarm.
    Advisory,
}

impl Severity {
    /// The IEC 60601-1-8 priority: `high`, `medium` or `low`.
    pub fn priority(self) -> &'static str {
        match self {
            Severity::Critical => "high",
            Severity::Warning => "medium",
            Severity::Advisory => "low",
        }
    }
}

/// A raised alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Alarm {
    /// Stable snake_case name (scripts match on it).
    pub name: String,
    /// How urgent.
    pub severity: Severity,
    /// What is wrong, with the values, for people.
    pub message: String,
    /// Simulated time since which the condition holds without interruption, s.
    pub since_s: f64,
}

/// What the alarm conditions need besides the averaged metrics.
#[derive(Debug, Clone, Copy)]
pub struct AlarmContext {
    /// A circuit is connected and has run at some time (its stop is then an alarm).
    pub ecmo_in_use: bool,
    /// A circuit is connected and unclamped.
    pub ecmo_running: bool,
    /// The model has gas transport (saturations are meaningful).
    pub has_gas: bool,
    /// The cardiac rhythm.
    pub rhythm: Rhythm,
    /// The session's alarm limits (`set_alarm_limits`; the defaults otherwise).
    pub limits: AlarmLimits,
    /// Plasma free haemoglobin, mg/dL (absent without a circuit; [`crate::haemolysis`]).
    pub plasma_free_hb_mg_dl: Option<f64>,
}

/// The adjustable alarm limits of a session (`set_alarm_limits`), as on a bedside monitor.
/// The defaults are the fixed thresholds of [`THRESHOLDS`]; the allowed ranges of each key
/// are in [`crate::action::RANGES`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlarmLimits {
    /// Low MAP limit, mmHg (`low_map` warning; the critical limit stays at 50 mmHg).
    pub map_low_mmhg: f64,
    /// High MAP limit, mmHg (`high_map` warning).
    pub map_high_mmhg: f64,
    /// Low heart-rate limit, bpm (`bradycardia`).
    pub heart_rate_low_bpm: f64,
    /// High heart-rate limit, bpm (`tachycardia`).
    pub heart_rate_high_bpm: f64,
    /// Low right-radial saturation limit, % (`low_sao2_right_radial`, and the low side of
    /// `differential_hypoxaemia`).
    pub spo2_low_percent: f64,
    /// Low circuit-flow limit, L/min (`low_ecmo_flow`).
    pub ecmo_flow_low_l_min: f64,
}

impl Default for AlarmLimits {
    fn default() -> Self {
        AlarmLimits {
            map_low_mmhg: LOW_MAP_MMHG,
            map_high_mmhg: HIGH_MAP_MMHG,
            heart_rate_low_bpm: BRADYCARDIA_BPM,
            heart_rate_high_bpm: TACHYCARDIA_BPM,
            spo2_low_percent: LOW_SAO2_PERCENT,
            ecmo_flow_low_l_min: LOW_ECMO_FLOW_L_MIN,
        }
    }
}

/// One alarm condition: its name, severity and threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct Threshold {
    /// Alarm name.
    pub name: &'static str,
    /// Severity when raised.
    pub severity: Severity,
    /// The quantity compared (a summary key, or `rhythm`).
    pub quantity: &'static str,
    /// The condition in words, with its limit.
    pub condition: &'static str,
    /// The limit, in the quantity's unit (absent for rhythm alarms).
    pub limit: Option<f64>,
}

/// MAP below this is critically low, mmHg.
pub const CRITICAL_MAP_MMHG: f64 = 50.0;
/// MAP below this is low, mmHg: the usual target MAP ≥ 65 mmHg in shock (ESC 2021 HF
/// guideline, SCAI shock definitions).
pub const LOW_MAP_MMHG: f64 = 65.0;
/// MAP above this raises the `high_map` warning by default, mmHg (an operational default of
/// this project: the upper MAP limit of adult monitors is set per patient; above ~110 mmHg the
/// afterload of a failing LV on VA-ECMO is a concern).
pub const HIGH_MAP_MMHG: f64 = 110.0;
/// Mean circuit flow below this is retrograde, L/min (flow-probe resolution).
pub const RETROGRADE_FLOW_L_MIN: f64 = -0.05;
/// Circuit flow of a circuit in use below this (and not retrograde) is no flow, L/min: a
/// clamped circuit, a stopped pump or an occluded line (an operational limit of this project:
/// about the resolution of an ultrasonic flow probe).
pub const NO_ECMO_FLOW_L_MIN: f64 = 0.2;
/// Circuit flow below this (while running) is low, L/min.
pub const LOW_ECMO_FLOW_L_MIN: f64 = 1.0;
/// Drainage (pump inlet) pressure below this, mmHg: about −100 mmHg is the critical suction
/// level for haemolysis (Robak O et al., in vivo suction pressures of venous cannulas during
/// veno-venous ECMO, 15 patients).
pub const LOW_DRAINAGE_PRESSURE_MMHG: f64 = -100.0;
/// Oxygenator pressure drop above this is high, mmHg (a rising ΔP signals clot in the
/// membrane; an operational limit of this project).
pub const HIGH_OXYGENATOR_DP_MMHG: f64 = 50.0;
/// Arterial pulse pressure below this on ECMO is low, mmHg (the LV barely ejects; an
/// operational limit of this project).
pub const LOW_PULSE_PRESSURE_MMHG: f64 = 10.0;
/// Heart rate below this is bradycardia, bpm (Glikson M et al., 2021 ESC Guidelines on
/// cardiac pacing, Eur Heart J 2021: bradycardia is a rate below 50 bpm).
pub const BRADYCARDIA_BPM: f64 = 50.0;
/// Heart rate above this raises the tachycardia alarm, bpm (tachycardia is a rate above
/// 100 bpm by definition; 120 bpm is the common adult monitor limit, an operational limit of
/// this project).
pub const TACHYCARDIA_BPM: f64 = 120.0;
/// Systolic pressure above this is severe hypertension, mmHg (Whelton PK et al., 2017
/// ACC/AHA blood pressure guideline, Hypertension 2018: severe hypertension ≥ 180 mmHg).
pub const HYPERTENSION_SBP_MMHG: f64 = 180.0;
/// Arterial pulse pressure below this gives the pulse oximeter no usable pulse, mmHg: the
/// oximeter reads the pulsatile part of the absorbance and fails in low perfusion and without
/// pulsatile flow (Jubran A, Pulse oximetry, Crit Care 2015); the threshold itself is an
/// operational limit of this project. SpO2 is then not reported.
pub const SPO2_MIN_PULSE_PRESSURE_MMHG: f64 = 10.0;
/// Right-radial SaO2 below this is low, %.
pub const LOW_SAO2_PERCENT: f64 = 90.0;
/// Right-radial SaO2 below [`LOW_SAO2_PERCENT`] with the femoral saturation at least this
/// much higher is differential hypoxaemia, percentage points.
pub const DIFFERENTIAL_HYPOXAEMIA_GAP_PERCENT: f64 = 5.0;
/// The aortic valve is reported closed when it opened in fewer than this fraction of beats.
pub const AORTIC_VALVE_CLOSED_FRACTION: f64 = 0.5;
/// LV end-diastolic pressure above which the LV is reported distended, mmHg (pulmonary
/// oedema develops above ~25 mmHg of left-sided filling pressure).
pub const LV_DISTENSION_LVEDP_MMHG: f64 = 25.0;

const fn t(
    name: &'static str,
    severity: Severity,
    quantity: &'static str,
    condition: &'static str,
    limit: Option<f64>,
) -> Threshold {
    Threshold {
        name,
        severity,
        quantity,
        condition,
        limit,
    }
}

/// Every alarm condition, in priority order (the order of the summary's `alarms` within a
/// severity). `low_map` appears twice: critical below 50, warning below 65 (one line).
pub const THRESHOLDS: &[Threshold] = &[
    t(
        "ventricular_fibrillation",
        Severity::Critical,
        "rhythm",
        "rhythm is VF",
        None,
    ),
    t(
        "asystole",
        Severity::Critical,
        "rhythm",
        "rhythm is asystole",
        None,
    ),
    t(
        "ecmo_no_flow",
        Severity::Critical,
        "ecmo_flow_l_min",
        "circuit in use (it has run) and flow between −0.05 and 0.2 L/min (clamped, pump stopped, line occluded)",
        Some(NO_ECMO_FLOW_L_MIN),
    ),
    t(
        "retrograde_circuit_flow",
        Severity::Critical,
        "ecmo_flow_l_min",
        "circuit running and flow below −0.05 L/min",
        Some(RETROGRADE_FLOW_L_MIN),
    ),
    t(
        "low_map",
        Severity::Critical,
        "map_mmhg",
        "MAP below 50 mmHg",
        Some(CRITICAL_MAP_MMHG),
    ),
    t(
        "drainage_suction",
        Severity::Critical,
        "drainage_suction_fraction",
        "circuit running and the drained vein collapsed for part of the beat",
        Some(0.0),
    ),
    t(
        "low_drainage_pressure",
        Severity::Critical,
        "drainage_pressure_mmhg",
        "circuit running and drainage pressure below −100 mmHg",
        Some(LOW_DRAINAGE_PRESSURE_MMHG),
    ),
    t(
        "differential_hypoxaemia",
        Severity::Critical,
        "sao2_right_radial_percent",
        "right radial SaO2 below 90 % and femoral SaO2 at least 5 points higher",
        Some(LOW_SAO2_PERCENT),
    ),
    t(
        "low_sao2_right_radial",
        Severity::Critical,
        "sao2_right_radial_percent",
        "right radial SaO2 below 90 % (without differential hypoxaemia)",
        Some(LOW_SAO2_PERCENT),
    ),
    t(
        "low_map",
        Severity::Warning,
        "map_mmhg",
        "MAP below 65 mmHg",
        Some(LOW_MAP_MMHG),
    ),
    t(
        "high_map",
        Severity::Warning,
        "map_mmhg",
        "MAP above 110 mmHg (adjustable)",
        Some(HIGH_MAP_MMHG),
    ),
    t(
        "low_ecmo_flow",
        Severity::Warning,
        "ecmo_flow_l_min",
        "circuit running and flow between 0.2 and 1.0 L/min",
        Some(LOW_ECMO_FLOW_L_MIN),
    ),
    t(
        "bradycardia",
        Severity::Warning,
        "heart_rate_bpm",
        "beating rhythm and heart rate below 50 bpm",
        Some(BRADYCARDIA_BPM),
    ),
    t(
        "tachycardia",
        Severity::Warning,
        "heart_rate_bpm",
        "beating rhythm and heart rate above 120 bpm",
        Some(TACHYCARDIA_BPM),
    ),
    t(
        "hypertension",
        Severity::Warning,
        "sbp_mmhg",
        "systolic pressure (right radial) above 180 mmHg",
        Some(HYPERTENSION_SBP_MMHG),
    ),
    t(
        "high_oxygenator_dp",
        Severity::Warning,
        "oxygenator_dp_mmhg",
        "oxygenator pressure drop above 50 mmHg",
        Some(HIGH_OXYGENATOR_DP_MMHG),
    ),
    t(
        "haemolysis",
        Severity::Warning,
        "plasma_free_hb_mg_dl",
        "plasma free haemoglobin above 50 mg/dL (Omar HR et al., PLoS One 2015)",
        Some(crate::haemolysis::PFHB_SIGNIFICANT_MG_DL),
    ),
    t(
        "aortic_valve_closed",
        Severity::Warning,
        "aortic_valve_opening_fraction",
        "sinus rhythm and the aortic valve opened in fewer than half the beats",
        Some(AORTIC_VALVE_CLOSED_FRACTION),
    ),
    t(
        "low_pulse_pressure",
        Severity::Warning,
        "pulse_pressure_mmhg",
        "sinus rhythm, circuit running and arterial pulse pressure below 10 mmHg",
        Some(LOW_PULSE_PRESSURE_MMHG),
    ),
    t(
        "lv_distension",
        Severity::Warning,
        "lvedp_mmhg",
        "LVEDP above 25 mmHg",
        Some(LV_DISTENSION_LVEDP_MMHG),
    ),
    t(
        "spo2_no_pulse",
        Severity::Advisory,
        "pulse_pressure_mmhg",
        "arterial pulse pressure (right radial) below 10 mmHg: SpO2 not reported",
        Some(SPO2_MIN_PULSE_PRESSURE_MMHG),
    ),
];

/// Number of distinct alarm names (the tracker's size).
pub const ALARM_NAMES: usize = 20;

/// The distinct names, in priority order.
pub fn names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::with_capacity(ALARM_NAMES);
    for th in THRESHOLDS {
        if !out.contains(&th.name) {
            out.push(th.name);
        }
    }
    out
}

/// The conditions raised by averaged metrics `m`: for each name of [`names`] (by index), the
/// severity if raised. Allocation-free.
pub fn evaluate(m: &BeatMetrics, ctx: &AlarmContext) -> [Option<Severity>; ALARM_NAMES] {
    use Severity::{Advisory, Critical, Warning};
    let run = ctx.ecmo_running;
    let sinus = ctx.rhythm.is_beating();
    let gas = ctx.has_gas;
    let l = &ctx.limits;
    let differential = gas
        && m.sao2_right_radial_percent < l.spo2_low_percent
        && m.sao2_femoral_percent - m.sao2_right_radial_percent
            >= DIFFERENTIAL_HYPOXAEMIA_GAP_PERCENT;
    let flag = |c: bool, s: Severity| c.then_some(s);
    [
        flag(
            matches!(ctx.rhythm, Rhythm::VentricularFibrillation),
            Critical,
        ),
        flag(matches!(ctx.rhythm, Rhythm::Asystole), Critical),
        flag(
            ctx.ecmo_in_use
                && m.ecmo_flow_l_min >= RETROGRADE_FLOW_L_MIN
                && m.ecmo_flow_l_min < NO_ECMO_FLOW_L_MIN,
            Critical,
        ),
        flag(run && m.ecmo_flow_l_min < RETROGRADE_FLOW_L_MIN, Critical),
        if m.map_mmhg < CRITICAL_MAP_MMHG {
            Some(Critical)
        } else {
            flag(m.map_mmhg < l.map_low_mmhg, Warning)
        },
        flag(run && m.drainage_suction_fraction > 0.0, Critical),
        flag(
            run && m.drainage_pressure_mmhg < LOW_DRAINAGE_PRESSURE_MMHG,
            Critical,
        ),
        flag(differential, Critical),
        flag(
            gas && !differential && m.sao2_right_radial_percent < l.spo2_low_percent,
            Critical,
        ),
        flag(m.map_mmhg > l.map_high_mmhg, Warning),
        flag(
            run && m.ecmo_flow_l_min >= NO_ECMO_FLOW_L_MIN
                && m.ecmo_flow_l_min < l.ecmo_flow_low_l_min,
            Warning,
        ),
        flag(sinus && m.heart_rate_bpm < l.heart_rate_low_bpm, Warning),
        flag(sinus && m.heart_rate_bpm > l.heart_rate_high_bpm, Warning),
        flag(m.sbp_mmhg > HYPERTENSION_SBP_MMHG, Warning),
        flag(
            run && m.oxygenator_dp_mmhg > HIGH_OXYGENATOR_DP_MMHG,
            Warning,
        ),
        flag(
            ctx.plasma_free_hb_mg_dl
                .is_some_and(|p| p > crate::haemolysis::PFHB_SIGNIFICANT_MG_DL),
            Warning,
        ),
        flag(
            sinus && m.aortic_valve_opening_fraction < AORTIC_VALVE_CLOSED_FRACTION,
            Warning,
        ),
        flag(
            sinus && run && m.pulse_pressure_mmhg < LOW_PULSE_PRESSURE_MMHG,
            Warning,
        ),
        flag(m.lvedp_mmhg > LV_DISTENSION_LVEDP_MMHG, Warning),
        flag(
            gas && m.pulse_pressure_mmhg < SPO2_MIN_PULSE_PRESSURE_MMHG,
            Advisory,
        ),
    ]
}

/// The message of alarm `name` for metrics `m`.
fn message(name: &str, m: &BeatMetrics, l: &AlarmLimits, pfhb: Option<f64>) -> String {
    match name {
        "haemolysis" => {
            let p = pfhb.unwrap_or(0.0);
            if p > crate::haemolysis::PFHB_PUMP_THROMBUS_MG_DL {
                format!(
                    "plasma free Hb {p:.0} mg/dL (> {:.0}): pump-head thrombus? inspect the pump, consider exchange",
                    crate::haemolysis::PFHB_PUMP_THROMBUS_MG_DL
                )
            } else {
                format!(
                    "plasma free Hb {p:.0} mg/dL (limit {:.0}): haemolysis; check pump head, suction and flow",
                    crate::haemolysis::PFHB_SIGNIFICANT_MG_DL
                )
            }
        }
        "ventricular_fibrillation" => "VF: no cardiac output; defibrillate".into(),
        "asystole" => "asystole: no cardiac output".into(),
        "ecmo_no_flow" => format!(
            "ECMO flow {:.1} L/min: circuit clamped, pump stopped or line occluded",
            m.ecmo_flow_l_min.max(0.0)
        ),
        "bradycardia" => format!(
            "HR {:.0} bpm (limit {:.0})",
            m.heart_rate_bpm, l.heart_rate_low_bpm
        ),
        "tachycardia" => format!(
            "HR {:.0} bpm (limit {:.0})",
            m.heart_rate_bpm, l.heart_rate_high_bpm
        ),
        "hypertension" => format!(
            "systolic pressure {:.0} mmHg (limit {HYPERTENSION_SBP_MMHG:.0})",
            m.sbp_mmhg
        ),
        "spo2_no_pulse" => format!(
            "SpO2 unavailable: no usable pulse (pulse pressure {:.0} mmHg)",
            m.pulse_pressure_mmhg
        ),
        "retrograde_circuit_flow" => format!(
            "circuit flow {:.2} L/min: the pump head ({:.0} mmHg) is below the arterial pressure; raise the rpm or clamp",
            m.ecmo_flow_l_min, m.pump_head_mmhg
        ),
        "low_map" => format!(
            "MAP {:.0} mmHg (target ≥ {:.0})",
            m.map_mmhg, l.map_low_mmhg
        ),
        "high_map" => format!(
            "MAP {:.0} mmHg (limit {:.0})",
            m.map_mmhg, l.map_high_mmhg
        ),
        "drainage_suction" => format!(
            "drained vein at {:.1} mmHg (collapse) for {:.0} % of the beat, drainage pressure {:.0} mmHg: reduce rpm or give volume",
            m.drained_vein_pressure_min_mmhg,
            100.0 * m.drainage_suction_fraction,
            m.drainage_pressure_mmhg
        ),
        "low_drainage_pressure" => format!(
            "drainage pressure {:.0} mmHg (limit {LOW_DRAINAGE_PRESSURE_MMHG:.0}): haemolysis risk; reduce rpm or give volume",
            m.drainage_pressure_mmhg
        ),
        "differential_hypoxaemia" => format!(
            "right radial SaO2 {:.0} % vs femoral {:.0} %: the heart and brain receive native, poorly oxygenated blood",
            m.sao2_right_radial_percent, m.sao2_femoral_percent
        ),
        "low_sao2_right_radial" => format!(
            "right radial SaO2 {:.0} % (limit {:.0})",
            m.sao2_right_radial_percent, l.spo2_low_percent
        ),
        "low_ecmo_flow" => format!(
            "circuit flow {:.2} L/min (limit {:.1}): check rpm, lines and volume",
            m.ecmo_flow_l_min, l.ecmo_flow_low_l_min
        ),
        "high_oxygenator_dp" => format!(
            "oxygenator pressure drop {:.0} mmHg (limit {HIGH_OXYGENATOR_DP_MMHG:.0}): clot in the membrane?",
            m.oxygenator_dp_mmhg
        ),
        "aortic_valve_closed" => format!(
            "aortic valve opened in {:.0} % of beats: risk of LV stasis and thrombus; consider LV unloading",
            100.0 * m.aortic_valve_opening_fraction
        ),
        "low_pulse_pressure" => format!(
            "arterial pulse pressure {:.0} mmHg: the LV barely ejects against the circuit",
            m.pulse_pressure_mmhg
        ),
        "lv_distension" => format!(
            "LVEDP {:.0} mmHg, LAP {:.0} mmHg: the LV is distended and the lungs congested",
            m.lvedp_mmhg, m.lap_mmhg
        ),
        _ => String::new(),
    }
}

/// Remembers since when each alarm holds (a condition that clears and returns starts anew).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmTracker {
    raised: [Option<(Severity, f64)>; ALARM_NAMES],
    limits: AlarmLimits,
    plasma_free_hb_mg_dl: Option<f64>,
}

impl AlarmTracker {
    /// The limits the messages quote (those of the last evaluation).
    pub fn set_limits(&mut self, limits: AlarmLimits) {
        self.limits = limits;
    }

    /// The plasma free haemoglobin the `haemolysis` message quotes (that of the last
    /// evaluation), mg/dL.
    pub fn set_plasma_free_hb_mg_dl(&mut self, value: Option<f64>) {
        self.plasma_free_hb_mg_dl = value;
    }

    /// The limits in force.
    pub fn limits(&self) -> AlarmLimits {
        self.limits
    }

    /// Takes the conditions evaluated at simulated time `t_s`.
    pub fn update(&mut self, now: [Option<Severity>; ALARM_NAMES], t_s: f64) {
        for (slot, sev) in self.raised.iter_mut().zip(now) {
            *slot = match (*slot, sev) {
                (_, None) => None,
                (Some((_, since)), Some(s)) => Some((s, since)),
                (None, Some(s)) => Some((s, t_s)),
            };
        }
    }

    /// Clears every alarm (a new model, e.g. after a restore that starts afresh).
    pub fn clear(&mut self) {
        self.raised = [None; ALARM_NAMES];
    }

    /// The raised alarms with their messages for metrics `m`, critical first, then in
    /// priority order.
    pub fn alarms(&self, m: &BeatMetrics) -> Vec<Alarm> {
        let names = names();
        let mut out: Vec<Alarm> = self
            .raised
            .iter()
            .zip(names)
            .filter_map(|(r, name)| {
                r.map(|(severity, since_s)| Alarm {
                    name: name.into(),
                    severity,
                    message: message(name, m, &self.limits, self.plasma_free_hb_mg_dl),
                    since_s,
                })
            })
            .collect();
        out.sort_by_key(|a| a.severity);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_count_matches_the_table() {
        assert_eq!(names().len(), ALARM_NAMES);
    }

    #[test]
    fn rhythm_alarms_are_critical_and_first() {
        let m = BeatMetrics {
            map_mmhg: 60.0,
            lvedp_mmhg: 30.0,
            ..Default::default()
        };
        let ctx = AlarmContext {
            ecmo_in_use: false,
            ecmo_running: false,
            has_gas: false,
            rhythm: Rhythm::VentricularFibrillation,
            limits: AlarmLimits::default(),
            plasma_free_hb_mg_dl: None,
        };
        let mut tr = AlarmTracker::default();
        tr.update(evaluate(&m, &ctx), 3.0);
        let a = tr.alarms(&m);
        assert_eq!(a[0].name, "ventricular_fibrillation");
        assert_eq!(a[0].severity, Severity::Critical);
        assert!(a
            .iter()
            .any(|x| x.name == "low_map" && x.severity == Severity::Warning));
        // One line per condition.
        assert_eq!(a.iter().filter(|x| x.name == "low_map").count(), 1);
        // since_s stays while the condition holds and restarts after it clears.
        tr.update(evaluate(&m, &ctx), 4.0);
        assert_eq!(tr.alarms(&m)[0].since_s, 3.0);
        let calm = BeatMetrics {
            map_mmhg: 90.0,
            heart_rate_bpm: 70.0,
            sbp_mmhg: 120.0,
            pulse_pressure_mmhg: 40.0,
            lvedp_mmhg: 10.0,
            aortic_valve_opening_fraction: 1.0,
            ..Default::default()
        };
        let sinus = AlarmContext {
            rhythm: Rhythm::Sinus,
            ..ctx
        };
        tr.update(evaluate(&calm, &sinus), 5.0);
        assert!(tr.alarms(&calm).is_empty());
    }

    #[test]
    fn rate_and_pressure_limits_and_the_low_priority_come_last() {
        let m = BeatMetrics {
            map_mmhg: 120.0,
            heart_rate_bpm: 40.0,
            sbp_mmhg: 200.0,
            pulse_pressure_mmhg: 5.0,
            aortic_valve_opening_fraction: 1.0,
            sao2_right_radial_percent: 98.0,
            sao2_femoral_percent: 98.0,
            ..Default::default()
        };
        let ctx = AlarmContext {
            ecmo_in_use: true,
            ecmo_running: false,
            has_gas: true,
            rhythm: Rhythm::Sinus,
            limits: AlarmLimits::default(),
            plasma_free_hb_mg_dl: None,
        };
        let mut tr = AlarmTracker::default();
        tr.update(evaluate(&m, &ctx), 1.0);
        let names: Vec<String> = tr.alarms(&m).into_iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "ecmo_no_flow",
                "high_map",
                "bradycardia",
                "hypertension",
                "spo2_no_pulse"
            ]
        );
        let fast = BeatMetrics {
            heart_rate_bpm: 150.0,
            ..m
        };
        tr.update(evaluate(&fast, &ctx), 2.0);
        assert!(tr.alarms(&fast).iter().any(|a| a.name == "tachycardia"));
        assert_eq!(Severity::Advisory.priority(), "low");
    }

    /// The learner's limits move the thresholds of the alarms they name, and the messages
    /// quote the limit in force.
    #[test]
    fn alarm_limits_replace_the_default_thresholds() {
        let m = BeatMetrics {
            map_mmhg: 70.0,
            heart_rate_bpm: 95.0,
            sbp_mmhg: 100.0,
            pulse_pressure_mmhg: 30.0,
            aortic_valve_opening_fraction: 1.0,
            sao2_right_radial_percent: 93.0,
            sao2_femoral_percent: 93.0,
            ecmo_flow_l_min: 2.0,
            ..Default::default()
        };
        let base = AlarmContext {
            ecmo_in_use: true,
            ecmo_running: true,
            has_gas: true,
            rhythm: Rhythm::Sinus,
            limits: AlarmLimits::default(),
            plasma_free_hb_mg_dl: None,
        };
        let raised = |ctx: &AlarmContext| -> Vec<String> {
            let mut tr = AlarmTracker::default();
            tr.set_limits(ctx.limits);
            tr.update(evaluate(&m, ctx), 1.0);
            tr.alarms(&m).into_iter().map(|a| a.name).collect()
        };
        assert!(raised(&base).is_empty(), "{:?}", raised(&base));
        let strict = AlarmContext {
            limits: AlarmLimits {
                map_low_mmhg: 75.0,
                map_high_mmhg: 65.0,
                heart_rate_low_bpm: 100.0,
                heart_rate_high_bpm: 90.0,
                spo2_low_percent: 95.0,
                ecmo_flow_low_l_min: 2.5,
            },
            ..base
        };
        let names = raised(&strict);
        for n in [
            "low_map",
            "high_map",
            "bradycardia",
            "tachycardia",
            "low_sao2_right_radial",
            "low_ecmo_flow",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} not in {names:?}");
        }
        let mut tr = AlarmTracker::default();
        tr.set_limits(strict.limits);
        tr.update(evaluate(&m, &strict), 1.0);
        let low_map = tr
            .alarms(&m)
            .into_iter()
            .find(|a| a.name == "low_map")
            .unwrap();
        assert!(low_map.message.contains("75"), "{}", low_map.message);
    }
}
