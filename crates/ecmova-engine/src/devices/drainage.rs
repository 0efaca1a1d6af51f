//! Venous drainage limit: collapse of the drained vein (Starling-resistor /
//! tube-law behaviour).
//!
//! A collapsible vessel conducts freely while its transmural pressure is
//! positive; as transmural pressure falls through zero its cross-section
//! collapses and resistance rises steeply (tube law: Shapiro AH, "Steady flow
//! in collapsible tubes", J Biomech Eng 1977;99:126-47). In ECMO this is
//! the drainage "suction" event with line chatter when the vena cava / right
//! atrium empties (reference/physiology.md, venous collapse).
//!
//! We model it as a smooth, monotone multiplier on the drainage cannula
//! resistance, a logistic step in the drained compartment pressure `p`:
//!
//! `m(p) = 1 + (m_max - 1) / (1 + exp((p - p_c) / w))`.
//!
//! `m` falls monotonically from `m_max` (collapsed) to 1 (open), with
//! half-rise at `p = p_c`. It never divides by zero: `exp` saturates to
//! `+inf` for very large arguments, which makes the fraction 0, not NaN.
//! Multiply the cannula pressure drop by `m(p)` (or divide its conductance).
//!
//! The law is a smoothed Starling resistor (vascular waterfall: Permutt S, Riley RL,
//! J Appl Physiol 1963;18:924-32; flow limitation in collapsible tubes, Shapiro 1977): once
//! the vein at the cannula tip collapses, the flow no longer depends on the suction
//! downstream of it but only on what the vein is supplied with at its collapse pressure, so
//! more pump speed lowers the drainage pressure and buys (almost) no flow. The ideal
//! waterfall is the limit `w → 0`; `w` is the width over which the drained pressure moves
//! while the multiplier rises from 2 to its maximum, `w·ln((m_max − 1)/1) ≈ 6w`, and every
//! mmHg it moves buys the venous return's slope in flow (~1-2 L/min per mmHg in the adult
//! presets, whose resistance to venous return is low: `validation.md`).
//!
//! Parameter values are **estimates** (no published ECMO parameter set was
//! found in the sources available to this work): `p_c = 0 mmHg` (tube-law
//! collapse at zero transmural pressure, Shapiro 1977; the drained
//! compartment pressure is taken as transmural, i.e. relative to the
//! surrounding tissue/thoracic pressure), `w = 0.1 mmHg` (the floppy end of the tube-law
//! scale `Kp` of veins, 0.1-1 mmHg, `components::COLLAPSE_KP_MMHG`; the vein conducts
//! normally down to ~0.6 mmHg, `m(0.6) = 2`, and is collapsed at 0, `m(0) = 200`). With the
//! earlier `w = 0.5 mmHg` the resistance already rose at 3 mmHg (`m(3) = 1.12`, `m(2) = 8`),
//! so the drained pressure slid from 3 to 1.3 mmHg across 2000-5000 rpm and the flow of a
//! hypovolaemic patient (blood volume ×0.6) rose 2.2-fold with a drainage pressure of
//! −660 mmHg instead of levelling off (issue 11). `m_max = 400` (a collapsed vein all but
//! occludes the cannula tip: with 50 the extra pump speed still bought flow at any suction),
//! alarm threshold 2 mmHg.

use super::{check_range, DeviceError};

/// Drainage-limit law and suction alarm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VenousDrainageLimit {
    /// Transmural pressure at half collapse, mmHg.
    pub p_collapse_mmhg: f64,
    /// Transition width, mmHg (> 0).
    pub width_mmhg: f64,
    /// Resistance multiplier when fully collapsed (>= 1).
    pub max_multiplier: f64,
    /// Suction alarm when the compartment pressure is below this, mmHg.
    pub alarm_threshold_mmhg: f64,
}

impl Default for VenousDrainageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl VenousDrainageLimit {
    /// Estimated default (see module docs).
    pub const DEFAULT: Self = Self {
        p_collapse_mmhg: 0.0,
        width_mmhg: 0.1,
        max_multiplier: 400.0,
        alarm_threshold_mmhg: 2.0,
    };

    /// Builds and validates a drainage limit.
    pub fn new(
        p_collapse_mmhg: f64,
        width_mmhg: f64,
        max_multiplier: f64,
        alarm_threshold_mmhg: f64,
    ) -> Result<Self, DeviceError> {
        let d = Self {
            p_collapse_mmhg,
            width_mmhg,
            max_multiplier,
            alarm_threshold_mmhg,
        };
        d.validate()?;
        Ok(d)
    }

    /// Checks: `p_collapse` in `[-20, 20]`, `width` in `[0.05, 20]`,
    /// `max_multiplier` in `[1, 1e4]`, alarm threshold in `[-20, 30]` mmHg.
    pub fn validate(&self) -> Result<(), DeviceError> {
        check_range(
            "VenousDrainageLimit",
            "p_collapse_mmhg",
            self.p_collapse_mmhg,
            -20.0,
            20.0,
            "[-20, 20] mmHg",
        )?;
        check_range(
            "VenousDrainageLimit",
            "width_mmhg",
            self.width_mmhg,
            0.05,
            20.0,
            "[0.05, 20] mmHg",
        )?;
        check_range(
            "VenousDrainageLimit",
            "max_multiplier",
            self.max_multiplier,
            1.0,
            1e4,
            "[1, 1e4]",
        )?;
        check_range(
            "VenousDrainageLimit",
            "alarm_threshold_mmhg",
            self.alarm_threshold_mmhg,
            -20.0,
            30.0,
            "[-20, 30] mmHg",
        )
    }

    /// Resistance multiplier `m(p) >= 1`, non-increasing in `p_mmhg`. NaN
    /// input is treated as fully collapsed (`m_max`).
    #[inline]
    pub fn resistance_multiplier(&self, p_mmhg: f64) -> f64 {
        if p_mmhg.is_nan() {
            return self.max_multiplier;
        }
        let x = (p_mmhg - self.p_collapse_mmhg) / self.width_mmhg;
        // Far above the collapse pressure the correction `(m_max − 1)/(1 + eˣ)` is below half
        // an ulp of 1 (m_max ≤ 1e4: 1e4·e⁻⁵⁰ ≈ 2e-18), so the result is exactly 1.0 and the
        // exponential (a third of the right-hand side's) can be skipped.
        if x > 50.0 {
            return 1.0;
        }
        1.0 + (self.max_multiplier - 1.0) / (1.0 + x.exp())
    }

    /// Conductance factor `1 / m(p)` in `[1/m_max, 1]`, non-decreasing in p.
    #[inline]
    pub fn conductance_factor(&self, p_mmhg: f64) -> f64 {
        1.0 / self.resistance_multiplier(p_mmhg)
    }

    /// True when the drained compartment pressure is below the alarm
    /// threshold (suction / chatter risk).
    #[inline]
    pub fn suction_alarm(&self, p_mmhg: f64) -> bool {
        p_mmhg.is_nan() || p_mmhg < self.alarm_threshold_mmhg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let d = VenousDrainageLimit::default();
        assert!((d.resistance_multiplier(20.0) - 1.0).abs() < 1e-6);
        assert!((d.resistance_multiplier(-20.0) - d.max_multiplier).abs() < 1e-6);
        assert!((d.resistance_multiplier(0.0) - (1.0 + d.max_multiplier) / 2.0).abs() < 1e-12);
        for p in [f64::MAX, f64::MIN, 1e308, -1e308, f64::NAN] {
            assert!(d.resistance_multiplier(p).is_finite());
        }
        assert!(d.suction_alarm(1.0) && !d.suction_alarm(5.0) && d.suction_alarm(f64::NAN));
    }
}
