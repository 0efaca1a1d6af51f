//! Unit conventions and conversions.
//!
//! The engine works in clinical units throughout: pressure in mmHg, volume in mL, flow in
//! mL/s, time in s, elastance in mmHg/mL, resistance in mmHg·s/mL and inertance in
//! mmHg·s²/mL. Identifiers carry their unit (`p_mmhg`, `q_ml_s`). The constants below
//! convert at the edges (SI peer models, L/min for clinicians).

/// Pascal per mmHg (conventional value, as used by the svZeroDSolver peer files).
pub const PA_PER_MMHG: f64 = 133.322;
/// mL per m³.
pub const ML_PER_M3: f64 = 1.0e6;

/// Millilitres per second in one litre per minute.
pub const ML_S_PER_L_MIN: f64 = 1000.0 / 60.0;

/// Converts a flow from mL/s to L/min.
#[inline]
pub fn ml_s_to_l_min(q_ml_s: f64) -> f64 {
    q_ml_s * 0.06
}

/// Converts a flow from L/min to mL/s.
#[inline]
pub fn l_min_to_ml_s(q_l_min: f64) -> f64 {
    q_l_min / 0.06
}

/// Converts an SI pressure (Pa) to mmHg.
#[inline]
pub fn pa_to_mmhg(p_pa: f64) -> f64 {
    p_pa / PA_PER_MMHG
}

/// Converts an SI volume (m³) to mL.
#[inline]
pub fn m3_to_ml(v_m3: f64) -> f64 {
    v_m3 * ML_PER_M3
}

/// Converts an SI elastance (Pa/m³) to mmHg/mL.
#[inline]
pub fn elastance_si_to_mmhg_ml(e_pa_m3: f64) -> f64 {
    e_pa_m3 / PA_PER_MMHG / ML_PER_M3
}

/// Converts an SI compliance (m³/Pa) to mL/mmHg.
#[inline]
pub fn compliance_si_to_ml_mmhg(c_m3_pa: f64) -> f64 {
    c_m3_pa * PA_PER_MMHG * ML_PER_M3
}

/// Converts an SI resistance (Pa·s/m³) to mmHg·s/mL.
#[inline]
pub fn resistance_si_to_mmhg_s_ml(r_pa_s_m3: f64) -> f64 {
    r_pa_s_m3 / PA_PER_MMHG / ML_PER_M3
}

/// Converts an SI inertance (Pa·s²/m³) to mmHg·s²/mL.
#[inline]
pub fn inertance_si_to_mmhg_s2_ml(l_pa_s2_m3: f64) -> f64 {
    l_pa_s2_m3 / PA_PER_MMHG / ML_PER_M3
}

/// Converts a flow from m³/s to mL/s.
#[inline]
pub fn m3_s_to_ml_s(q_m3_s: f64) -> f64 {
    q_m3_s * ML_PER_M3
}
