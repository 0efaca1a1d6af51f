//! The physiological components of the closed loop, each modelled once.
//!
//! A circulation is a graph of [`Compartment`]s (volumes that hold blood: a [`Vessel`] with
//! linear compliance or a [`Chamber`] with time-varying elastance) joined by
//! [`Connection`]s (a [`Resistor`], a [`VesselSegment`] with resistance and inertance, or a
//! [`Valve`]). Units are in the field names.

/// A compliant vessel compartment: `p = (V − V0) / C` at or above its unstressed volume, and
/// the collapse branch of the tube law below it (see [`vessel_pressure_mmhg`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Vessel {
    /// Compliance C, mL/mmHg.
    pub compliance_ml_per_mmhg: f64,
    /// Unstressed volume V0 (volume at zero transmural pressure), mL.
    pub unstressed_volume_ml: f64,
}

impl Vessel {
    /// Transmural pressure (mmHg) at volume `v_ml` ([`vessel_pressure_mmhg`]).
    #[inline]
    pub fn pressure_mmhg(&self, v_ml: f64) -> f64 {
        let e = 1.0 / self.compliance_ml_per_mmhg;
        let c = CollapseLaw::new(e, self.unstressed_volume_ml);
        vessel_pressure_mmhg(v_ml, e, self.unstressed_volume_ml, &c)
    }

    /// The volume (mL) at which the vessel holds transmural pressure `p_mmhg` (the inverse
    /// of [`Vessel::pressure_mmhg`]; always > 0 for a vessel with V0 > 0).
    pub fn volume_at_pressure_ml(&self, p_mmhg: f64) -> f64 {
        let v0 = self.unstressed_volume_ml;
        let c = CollapseLaw::new(1.0 / self.compliance_ml_per_mmhg, v0);
        if p_mmhg >= 0.0 || c.k_mmhg <= 0.0 {
            v0 + self.compliance_ml_per_mmhg * p_mmhg
        } else if p_mmhg > c.p_cap_mmhg {
            // p = K(1 − (V0/V)^{3/2})  ⇔  V = V0 (1 − p/K)^{−2/3}.
            v0 * (1.0 - p_mmhg / c.k_mmhg).powf(-2.0 / 3.0)
        } else {
            c.v_cap_ml - (c.p_cap_mmhg - p_mmhg) / MAX_COLLAPSE_SLOPE_MMHG_PER_ML
        }
    }
}

/// Steepest slope of the collapse law, mmHg/mL. Below the volume at which the tube law
/// reaches it the slope stays constant: the tube law's own slope grows without bound as the
/// volume tends to zero, and a slope this steep already makes a nearly empty compartment
/// resist further emptying by several mmHg per mL, while keeping the step-size bound of the
/// fixed-step integrator (h·slope·Σconductance < 2.78 for RK4 at h = 1 ms with the largest
/// conductances next to the atria, ~400 mL/(s·mmHg)). A numerical bound, not a physiological
/// parameter.
pub const MAX_COLLAPSE_SLOPE_MMHG_PER_ML: f64 = 2.0;

/// The collapse branch of a compartment's pressure-volume law below its unstressed volume
/// (see [`vessel_pressure_mmhg`]), precomputed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CollapseLaw {
    /// Scale `Kp` of the tube law, mmHg (0: no collapse branch).
    pub k_mmhg: f64,
    /// Volume below which the slope is capped, mL.
    pub v_cap_ml: f64,
    /// Pressure at `v_cap_ml`, mmHg.
    pub p_cap_mmhg: f64,
}

/// Scale `Kp` of the tube law's collapse branch, mmHg: the transmural pressure at which a
/// collapsing tube's cross-section has fallen to ~48 % of its unstressed value
/// (`1 − (A/A0)^{−3/2} = −1`). For a thin-walled tube Kp = E_w·(h/R)³ / (12(1 − ν²))
/// (Shapiro 1977), of the order of 0.1-1 mmHg for veins (wall-to-radius ratio ~0.1): veins
/// collapse under a suction of a few mmHg, which is what limits a drainage cannula. 1 mmHg is
/// an estimate at the stiff end of that range, the same for every compartment (no published
/// per-segment values were found).
pub const COLLAPSE_KP_MMHG: f64 = 1.0;

impl CollapseLaw {
    /// The collapse law of a compartment with unstressed volume `v0` (no collapse branch
    /// when V0 ≤ 0: such a compartment is linear down to zero volume, as in the peer model).
    /// `e_mmhg_per_ml` (the linear elastance above V0) is not used by the tube law itself,
    /// whose slope at V0, 1.5·Kp/V0, is that of a collapsing tube (the law is continuous at
    /// V0, with a change of slope: a vein is most compliant as it collapses).
    pub fn new(e_mmhg_per_ml: f64, v0_ml: f64) -> Self {
        if v0_ml <= 0.0 || e_mmhg_per_ml <= 0.0 {
            return CollapseLaw::default();
        }
        let k = COLLAPSE_KP_MMHG;
        // Slope of the tube law at V0/r is 1.5·K·r^{5/2}/V0.
        let r = (MAX_COLLAPSE_SLOPE_MMHG_PER_ML * v0_ml / (1.5 * k))
            .powf(0.4)
            .max(1.0);
        CollapseLaw {
            k_mmhg: k,
            v_cap_ml: v0_ml / r,
            p_cap_mmhg: k * (1.0 - r * r.sqrt()),
        }
    }
}

/// Pressure-volume law of a vessel: linear, `E(V − V0)`, at or above the unstressed volume;
/// below it the vessel collapses along the tube law of a collapsible tube,
/// `p = Kp(1 − (V0/V)^{3/2})` with `Kp` = [`COLLAPSE_KP_MMHG`] (Shapiro AH, J Biomech Eng
/// 1977;99:126-47: for a collapsing tube the transmural pressure follows
/// `Kp(1 − (A/A0)^{−3/2})`; the compartment's length is fixed, so volume stands for area).
/// The law is continuous and strictly increasing; a vessel drained below its unstressed volume resists further
/// emptying ever more steeply, down to [`CollapseLaw::v_cap_ml`], below which the slope stays
/// at [`MAX_COLLAPSE_SLOPE_MMHG_PER_ML`] (so reaching zero volume would take a further
/// suction of slope × cap volume, tens of mmHg for the veins).
#[inline]
pub fn vessel_pressure_mmhg(v_ml: f64, e_mmhg_per_ml: f64, v0_ml: f64, c: &CollapseLaw) -> f64 {
    if v_ml >= v0_ml || c.k_mmhg <= 0.0 {
        e_mmhg_per_ml * (v_ml - v0_ml)
    } else {
        collapsed_pressure_mmhg(v_ml, v0_ml, c)
    }
}

/// The collapse branch of [`vessel_pressure_mmhg`], out of line: the hot loops take the linear
/// branch almost always, and keeping the division and square root of this one out of them
/// stops the compiler from evaluating both branches (it cost ~30 % of a step).
#[cold]
#[inline(never)]
pub fn collapsed_pressure_mmhg(v_ml: f64, v0_ml: f64, c: &CollapseLaw) -> f64 {
    if v_ml > c.v_cap_ml {
        let r = v0_ml / v_ml;
        c.k_mmhg * (1.0 - r * r.sqrt())
    } else {
        c.p_cap_mmhg - MAX_COLLAPSE_SLOPE_MMHG_PER_ML * (c.v_cap_ml - v_ml)
    }
}

/// Passive (diastolic) pressure-volume relation of a chamber.
#[derive(Clone, Debug, PartialEq)]
pub enum Passive {
    /// Linear passive elastance, combined additively with the active one:
    /// `p = (E_pass + e(t)·E_max)(V − V0)` (Regazzoni 2022; svZeroDSolver
    /// `LinearElastanceChamber`).
    Linear {
        /// Passive elastance, mmHg/mL.
        elastance_mmhg_per_ml: f64,
    },
    /// Exponential end-diastolic pressure-volume relation blended with the end-systolic one:
    /// `p = e(t)·Ees(V − V0) + (1 − e(t))·A(exp(B(V − V0)) − 1)` (Suga-Sagawa time-varying
    /// elastance with Burkhoff's EDPVR; Burkhoff, Am J Physiol 2005;289:H501).
    Exponential {
        /// EDPVR scale A, mmHg.
        a_mmhg: f64,
        /// EDPVR stiffness B, 1/mL.
        b_per_ml: f64,
    },
}

/// A cardiac chamber driven by an activation function.
#[derive(Clone, Debug, PartialEq)]
pub struct Chamber {
    /// Maximal (end-systolic) elastance Ees, mmHg/mL. For [`Passive::Linear`] this is the
    /// active elastance added at full activation.
    pub ees_mmhg_per_ml: f64,
    /// Volume intercept V0, mL.
    pub v0_ml: f64,
    /// Passive pressure-volume relation.
    pub passive: Passive,
    /// Index of the activation function (into the circulation's activation list).
    pub activation: usize,
}

impl Chamber {
    /// Chamber pressure (mmHg) at volume `v_ml` and normalised activation `e`.
    #[inline]
    pub fn pressure_mmhg(&self, v_ml: f64, e: f64) -> f64 {
        let dv = v_ml - self.v0_ml;
        // Below V0 the passive part collapses like a vessel (`vessel_pressure_mmhg`).
        match self.passive {
            Passive::Linear {
                elastance_mmhg_per_ml: ep,
            } => {
                let c = CollapseLaw::new(ep, self.v0_ml);
                vessel_pressure_mmhg(v_ml, ep, self.v0_ml, &c) + e * self.ees_mmhg_per_ml * dv
            }
            Passive::Exponential { a_mmhg, b_per_ml } => {
                let passive = if dv >= 0.0 {
                    a_mmhg * ((b_per_ml * dv).exp() - 1.0)
                } else {
                    let slope = a_mmhg * b_per_ml;
                    let c = CollapseLaw::new(slope, self.v0_ml);
                    vessel_pressure_mmhg(v_ml, slope, self.v0_ml, &c)
                };
                e * self.ees_mmhg_per_ml * dv + (1.0 - e) * passive
            }
        }
    }
}

/// What a compartment is.
#[derive(Clone, Debug, PartialEq)]
pub enum CompartmentKind {
    /// A compliant vessel.
    Vessel(Vessel),
    /// A heart chamber.
    Chamber(Chamber),
}

/// A named compartment of the circulation.
#[derive(Clone, Debug, PartialEq)]
pub struct Compartment {
    /// Name, snake_case (used in outputs: `p_<name>_mmhg`, `v_<name>_ml`).
    pub name: String,
    /// What it is.
    pub kind: CompartmentKind,
}

/// A pure resistance: `q = (p_from − p_to) / R`, or a vascular waterfall (Starling
/// resistor) when it has a critical closing pressure `Pcc`: the downstream pressure that
/// drives the flow is `max(p_to, Pcc)`, so `q = (p_from − max(p_to, Pcc)) / R` and no flow
/// when `p_from ≤ Pcc` (the arterioles close; Permutt S, Riley RL, J Appl Physiol
/// 1963;18:924). Backward flow, possible only when `p_to > Pcc`, is `(p_from − p_to) / R`.
#[derive(Clone, Debug, PartialEq)]
pub struct Resistor {
    /// Resistance R, mmHg·s/mL.
    pub resistance_mmhg_s_per_ml: f64,
    /// Critical closing pressure `Pcc`, mmHg, or `None` for a plain resistance.
    pub critical_closing_pressure_mmhg: Option<f64>,
}

/// A vessel segment with resistance and inertance in series: `L dq/dt = p_from − p_to − R q`.
/// Its flow is a state variable.
#[derive(Clone, Debug, PartialEq)]
pub struct VesselSegment {
    /// Resistance R, mmHg·s/mL.
    pub resistance_mmhg_s_per_ml: f64,
    /// Inertance L, mmHg·s²/mL.
    pub inertance_mmhg_s2_per_ml: f64,
}

/// A heart valve: forward flow through an open resistance, and backward flow only through
/// an explicit regurgitant conductance (zero for a competent valve, so a closed valve leaks
/// nothing). The valve is open when the upstream pressure exceeds the downstream one
/// (svZeroDSolver `PiecewiseValve`).
#[derive(Clone, Debug, PartialEq)]
pub struct Valve {
    /// Resistance when open, mmHg·s/mL.
    pub open_resistance_mmhg_s_per_ml: f64,
    /// Backward conductance when closed, mL/(s·mmHg); 0 for a competent valve.
    pub regurgitant_conductance_ml_per_s_mmhg: f64,
}

/// What a connection is.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectionKind {
    /// Pure resistance.
    Resistor(Resistor),
    /// Resistance and inertance (flow is a state).
    Segment(VesselSegment),
    /// Heart valve.
    Valve(Valve),
}

/// A named, directed connection between two compartments (positive flow from `from` to `to`).
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// Name, snake_case (used in outputs: `q_<name>_ml_s`).
    pub name: String,
    /// Upstream compartment index.
    pub from: usize,
    /// Downstream compartment index.
    pub to: usize,
    /// What it is.
    pub kind: ConnectionKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The collapse law is continuous at V0, strictly increasing, negative below V0, and its
    /// inverse gives a positive volume for any suction.
    #[test]
    fn collapse_law_is_continuous_monotone_and_keeps_volume_positive() {
        let v = Vessel {
            compliance_ml_per_mmhg: 40.0,
            unstressed_volume_ml: 220.0,
        };
        assert!(v.pressure_mmhg(220.0).abs() < 1e-12);
        assert!((v.pressure_mmhg(220.0 - 1e-9)).abs() < 1e-6);
        let mut last = f64::NEG_INFINITY;
        for k in 1..=600 {
            let vol = k as f64 * 0.5;
            let p = v.pressure_mmhg(vol);
            assert!(p > last, "not increasing at {vol} mL");
            assert!(vol >= 220.0 || p < 0.0);
            last = p;
        }
        for p in [-0.5, -1.0, -5.0, -50.0] {
            let vol = v.volume_at_pressure_ml(p);
            assert!(vol > 0.0 && vol < 220.0, "{p} mmHg -> {vol} mL");
            assert!((v.pressure_mmhg(vol) - p).abs() < 1e-9);
        }
        // Half collapsed at −(2^{3/2} − 1)·Kp.
        let half = v.volume_at_pressure_ml(-(2f64.powf(1.5) - 1.0) * COLLAPSE_KP_MMHG);
        assert!((half - 110.0).abs() < 1e-6, "{half}");
        // A vessel with no unstressed volume (the peer model) stays linear.
        let lin = Vessel {
            compliance_ml_per_mmhg: 2.0,
            unstressed_volume_ml: 0.0,
        };
        assert_eq!(lin.pressure_mmhg(10.0), 5.0);
    }
}
