//! Bedside emergencies: defibrillation (a chance outcome) and chest compressions.
//!
//! A shock's outcome is drawn, never taken from a clock or a thread-local generator: the
//! uniform number of shock `k` is a counter-based hash of the scenario's `seed` and `k`
//! ([`uniform`], SplitMix64), so a run, a restored snapshot and a replay give the same outcome
//! for the same shock.

/// First-shock probability of converting VF to a pulse-generating rhythm at zero VF duration,
/// and the time constant of its fall, min: `p(t) = P0 · exp(−t / τ)`.
///
/// Fitted to Herlitz J et al., Resuscitation 1997;34:17 (1,216 out-of-hospital VF arrests):
/// 28 % converted directly to a pulse-generating rhythm when the first shock came less than
/// 5 min after collapse (taken at 2.5 min), 3 % when it came 12 min or more after collapse.
/// Two points fix P0 = 0.50 and τ = 4.25 min (a fall of roughly 7-10 % of the initial chance
/// per minute over the first minutes, the order of the decline of survival with each minute
/// of untreated VF reported by Larsen MP et al., Ann Emerg Med 1993;22:1652). Out-of-hospital
/// figures: a monitored in-hospital arrest on ECMO (coronaries perfused by the circuit) may do
/// better; the model does not credit the circuit's perfusion.
pub const SHOCK_SUCCESS_AT_ZERO: f64 = 0.50;
/// Time constant of the fall of shock success with VF duration, min (see
/// [`SHOCK_SUCCESS_AT_ZERO`]).
pub const SHOCK_SUCCESS_TAU_MIN: f64 = 4.25;

/// Chest compression rate, /min: the middle of the 100-120/min of the AHA guidelines
/// (Panchal AR et al., Circulation 2020;142:S366).
pub const CPR_RATE_PER_MIN: f64 = 110.0;
/// Fraction of each compression cycle spent compressing (equal compression and release,
/// AHA 2020).
pub const CPR_DUTY_FRACTION: f64 = 0.5;
/// Ventricular elastance added at the peak of a compression, mmHg/mL
/// (`ecmova_engine::model::ChestCompressions`). An operational value, fitted by a scan (0.05
/// to 0.5 mmHg/mL on `healthy-adult` and `cardiogenic-shock-ami`) so that compressions of a
/// fibrillating adult heart give a cardiac output of roughly a quarter to a third of the
/// patient's output before the arrest: conventional CPR delivers about 25-33 % of the normal
/// cardiac output, with cerebral flow at 30-40 % and myocardial flow at 10-30 % of normal
/// (Kern KB, Coronary perfusion pressure during cardiopulmonary resuscitation, Baillières Clin
/// Anaesthesiol 2000;14:591). The scan gave 21-22 % at 0.05 and 39-45 % at 0.1.
pub const CPR_ELASTANCE_MMHG_PER_ML: f64 = 0.07;

/// The engine's compressions of [`CPR_ELASTANCE_MMHG_PER_ML`] and [`CPR_DUTY_FRACTION`].
pub fn compressions() -> ecmova_engine::model::ChestCompressions {
    ecmova_engine::model::ChestCompressions {
        elastance_mmhg_per_ml: CPR_ELASTANCE_MMHG_PER_ML,
        duty_fraction: CPR_DUTY_FRACTION,
    }
}

/// Probability that a shock after `vf_duration_s` seconds of VF restores a pulse-generating
/// (sinus) rhythm.
pub fn shock_success_probability(vf_duration_s: f64) -> f64 {
    let t_min = (vf_duration_s.max(0.0) / 60.0).min(600.0);
    SHOCK_SUCCESS_AT_ZERO * (-t_min / SHOCK_SUCCESS_TAU_MIN).exp()
}

/// A uniform number in [0, 1) for event number `counter` of a run seeded with `seed`
/// (SplitMix64 finaliser of `seed + (counter + 1) · γ`; Steele GL et al., OOPSLA 2014).
pub fn uniform(seed: u64, counter: u64) -> f64 {
    let mut z = seed.wrapping_add(counter.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// What the chance events of a run remember: the seed, the shocks so far and since when the
/// heart is in VF.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bedside {
    /// The scenario's `[simulation] seed`.
    pub seed: u64,
    /// Shocks delivered so far (the counter of [`uniform`]).
    pub shocks: u64,
    /// Simulated time at which VF began, s (absent outside VF).
    pub vf_since_s: Option<f64>,
    /// The outcome of the last shock, for its description.
    pub last_outcome: Option<String>,
    /// The heart rate set before CPR began (the beat clock runs at the compression rate
    /// during CPR), bpm; absent when no CPR is in progress.
    pub cpr_saved_heart_rate_bpm: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_deterministic_in_range_and_roughly_flat() {
        let n = 20_000;
        let mut below_half = 0;
        for k in 0..n {
            let u = uniform(7, k);
            assert!((0.0..1.0).contains(&u));
            assert_eq!(u, uniform(7, k));
            if u < 0.5 {
                below_half += 1;
            }
        }
        let frac = below_half as f64 / n as f64;
        assert!((0.48..0.52).contains(&frac), "{frac}");
        assert_ne!(uniform(7, 0), uniform(8, 0));
    }

    /// Herlitz 1997: ~28 % under 5 min, ~3 % at 12 min or more.
    #[test]
    fn shock_success_falls_with_vf_duration_as_published() {
        let p = shock_success_probability;
        assert!((0.25..=0.32).contains(&p(150.0)), "{}", p(150.0));
        assert!((0.02..=0.05).contains(&p(720.0)), "{}", p(720.0));
        assert!(p(0.0) > p(60.0) && p(60.0) > p(300.0));
    }
}
