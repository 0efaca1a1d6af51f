//! Named alarms raised from a run's summary metrics (the last 5 beats).
//!
//! Each alarm is an operational definition of ecmova's, stated here with its threshold and,
//! where one exists, the published target it derives from.

use ecmova_engine::BeatMetrics;

/// An alarm: a name (snake_case, stable: scripts match on it) and why it fired.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alarm {
    /// Stable name.
    pub name: &'static str,
    /// Human-readable reason with the values.
    pub message: String,
}

/// Mean circuit flow below this is reported as retrograde, L/min (flow-probe resolution).
pub const RETROGRADE_FLOW_L_MIN: f64 = -0.05;
/// MAP below this is low, mmHg: the usual target MAP ≥ 65 mmHg in shock (ESC 2021 HF
/// guideline and SCAI shock definitions use hypotension thresholds of this order).
pub const LOW_MAP_MMHG: f64 = 65.0;
/// Right-radial SaO2 below this, with the femoral saturation at least
/// [`DIFFERENTIAL_HYPOXAEMIA_GAP_PERCENT`] higher, is differential hypoxaemia, %.
pub const DIFFERENTIAL_HYPOXAEMIA_RADIAL_PERCENT: f64 = 90.0;
/// Femoral minus right-radial saturation gap for differential hypoxaemia, percentage points.
pub const DIFFERENTIAL_HYPOXAEMIA_GAP_PERCENT: f64 = 5.0;
/// The aortic valve is reported closed when it opened in fewer than this fraction of beats.
pub const AORTIC_VALVE_CLOSED_FRACTION: f64 = 0.5;
/// LV end-diastolic pressure above which the LV is reported distended, mmHg (pulmonary
/// oedema develops above ~25 mmHg of left-sided filling pressure).
pub const LV_DISTENSION_LVEDP_MMHG: f64 = 25.0;

/// The alarms raised by averaged metrics `m` (`ecmo` tells whether a circuit is connected
/// and unclamped).
pub fn alarms(m: &BeatMetrics, ecmo_running: bool) -> Vec<Alarm> {
    let mut out = Vec::new();
    if ecmo_running && m.ecmo_flow_l_min < RETROGRADE_FLOW_L_MIN {
        out.push(Alarm {
            name: "retrograde_circuit_flow",
            message: format!(
                "circuit flow {:.2} L/min: the pump head ({:.0} mmHg) is below the arterial pressure; raise the rpm or clamp",
                m.ecmo_flow_l_min, m.pump_head_mmhg
            ),
        });
    }
    if ecmo_running && m.drainage_suction_fraction > 0.0 {
        out.push(Alarm {
            name: "drainage_suction",
            message: format!(
                "drained vein at {:.1} mmHg (collapse) for {:.0} % of the beat, drainage pressure {:.0} mmHg: reduce rpm or give volume",
                m.drained_vein_pressure_min_mmhg,
                100.0 * m.drainage_suction_fraction,
                m.drainage_pressure_mmhg
            ),
        });
    }
    if m.aortic_valve_opening_fraction < AORTIC_VALVE_CLOSED_FRACTION {
        out.push(Alarm {
            name: "aortic_valve_closed",
            message: format!(
                "aortic valve opened in {:.0} % of beats: risk of LV stasis and thrombus; consider LV unloading",
                100.0 * m.aortic_valve_opening_fraction
            ),
        });
    }
    if m.sao2_femoral_percent > 0.0
        && m.sao2_right_radial_percent < DIFFERENTIAL_HYPOXAEMIA_RADIAL_PERCENT
        && m.sao2_femoral_percent - m.sao2_right_radial_percent
            >= DIFFERENTIAL_HYPOXAEMIA_GAP_PERCENT
    {
        out.push(Alarm {
            name: "differential_hypoxaemia",
            message: format!(
                "right radial SaO2 {:.0} % vs femoral {:.0} %: the heart and brain receive native, poorly oxygenated blood",
                m.sao2_right_radial_percent, m.sao2_femoral_percent
            ),
        });
    }
    if m.map_mmhg < LOW_MAP_MMHG {
        out.push(Alarm {
            name: "low_map",
            message: format!("MAP {:.0} mmHg (target ≥ {LOW_MAP_MMHG:.0})", m.map_mmhg),
        });
    }
    if m.lvedp_mmhg > LV_DISTENSION_LVEDP_MMHG {
        out.push(Alarm {
            name: "lv_distension",
            message: format!(
                "LVEDP {:.0} mmHg, LAP {:.0} mmHg: the LV is distended and the lungs congested",
                m.lvedp_mmhg, m.lap_mmhg
            ),
        });
    }
    out
}
