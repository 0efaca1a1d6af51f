//! The physical-plausibility guard: a state or a beat that no circulation can have is an error
//! naming the quantity, never a result.
//!
//! Divergence is not always a NaN: an integration instability or an input far outside what the
//! model represents can leave every number finite but physically impossible (a negative
//! chamber volume, an ejection fraction of 6,000 %, an oxygen delivery of 1e22 mL/min). The
//! caller checks every completed beat with [`check_beat`] (allocation-free: a few comparisons
//! per compartment) and stops the run with the [`Implausible`] it returns.
//!
//! The bounds are physical, not clinical: they flag what cannot happen, not what is merely
//! extreme (a drainage suction of −400 mmHg is extreme and possible; below −760 mmHg, a gauge
//! pressure is below an absolute vacuum).

use crate::metrics::BeatMetrics;
use crate::model::Model;
use crate::State;

/// Lowest gauge pressure anywhere, mmHg (an absolute vacuum at sea level).
pub const MIN_PRESSURE_MMHG: f64 = -760.0;
/// Highest pressure anywhere, mmHg (beyond any blood pressure a heart or pump can make).
pub const MAX_PRESSURE_MMHG: f64 = 1000.0;
/// Highest arterial PO2, mmHg: the inspired PO2 at FiO2 1 and sea level is ~713 mmHg.
pub const MAX_PO2_MMHG: f64 = 800.0;
/// Highest flow of any kind, L/min (several times any cardiac output or pump flow).
pub const MAX_FLOW_L_MIN: f64 = 50.0;
/// Highest O2 delivery or consumption, mL/min (several times a maximal exercise DO2).
pub const MAX_O2_ML_MIN: f64 = 10_000.0;
/// Tolerance of the fractional bounds (saturations, ejection fractions), percentage points.
const PERCENT_TOLERANCE: f64 = 0.5;

/// A quantity outside what any circulation can have.
#[derive(Debug, Clone, PartialEq)]
pub struct Implausible {
    /// What (`volume of lv`, `lvef_percent`).
    pub quantity: String,
    /// Its value.
    pub value: f64,
    /// The physical bound it broke, in words.
    pub bound: &'static str,
}

impl std::fmt::Display for Implausible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {} ({})", self.quantity, self.value, self.bound)
    }
}

fn fail(quantity: impl Into<String>, value: f64, bound: &'static str) -> Result<(), Implausible> {
    Err(Implausible {
        quantity: quantity.into(),
        value,
        bound,
    })
}

/// Checks the state at the end of a beat and the beat's metrics.
pub fn check_beat(model: &Model, state: &State, beat: &BeatMetrics) -> Result<(), Implausible> {
    let names = &model.params().compartments;
    for (i, &v) in state.volumes_ml().iter().enumerate() {
        if v < 0.0 {
            let name = names.get(i).map_or("?", |c| c.name.as_str());
            return fail(
                format!("volume of {name}, mL"),
                v,
                "a volume cannot be negative",
            );
        }
    }
    for (i, &p) in state.pressures_mmhg().iter().enumerate() {
        if !(MIN_PRESSURE_MMHG..=MAX_PRESSURE_MMHG).contains(&p) {
            let name = names.get(i).map_or("?", |c| c.name.as_str());
            return fail(
                format!("pressure of {name}, mmHg"),
                p,
                "outside −760 to 1000 mmHg",
            );
        }
    }
    let percent = [
        ("lvef_percent", beat.lvef_percent),
        ("rvef_percent", beat.rvef_percent),
    ];
    for (k, x) in percent {
        if !(-PERCENT_TOLERANCE..=100.0 + PERCENT_TOLERANCE).contains(&x) {
            return fail(k, x, "an ejection fraction lies within 0-100 %");
        }
    }
    for (k, v) in [
        ("lvedv_ml", beat.lvedv_ml),
        ("lvesv_ml", beat.lvesv_ml),
        ("rvedv_ml", beat.rvedv_ml),
        ("rvesv_ml", beat.rvesv_ml),
    ] {
        if v < 0.0 {
            return fail(k, v, "a volume cannot be negative");
        }
    }
    for (k, q) in [
        ("cardiac_output_l_min", beat.cardiac_output_l_min),
        ("rv_output_l_min", beat.rv_output_l_min),
        ("total_flow_l_min", beat.total_flow_l_min),
        ("ecmo_flow_l_min", beat.ecmo_flow_l_min),
    ] {
        if q.abs() > MAX_FLOW_L_MIN {
            return fail(k, q, "beyond 50 L/min");
        }
    }
    if model.params().gas.is_some() {
        for (k, s) in [
            ("sao2_right_radial_percent", beat.sao2_right_radial_percent),
            ("sao2_coronary_percent", beat.sao2_coronary_percent),
            ("sao2_femoral_percent", beat.sao2_femoral_percent),
            ("svo2_percent", beat.svo2_percent),
        ] {
            if !(-PERCENT_TOLERANCE..=100.0 + PERCENT_TOLERANCE).contains(&s) {
                return fail(k, s, "a saturation lies within 0-100 %");
            }
        }
        if beat.pao2_right_radial_mmhg > MAX_PO2_MMHG || beat.pao2_right_radial_mmhg < 0.0 {
            return fail(
                "pao2_right_radial_mmhg",
                beat.pao2_right_radial_mmhg,
                "arterial PO2 lies within 0 and the inspired PO2 (< 800 mmHg)",
            );
        }
        for (k, x) in [
            ("do2_ml_min", beat.do2_ml_min),
            ("vo2_ml_min", beat.vo2_ml_min),
        ] {
            if !(-1.0..=MAX_O2_ML_MIN).contains(&x) {
                return fail(
                    k,
                    x,
                    "O2 delivery and consumption lie within 0-10,000 mL/min",
                );
            }
        }
    }
    Ok(())
}
