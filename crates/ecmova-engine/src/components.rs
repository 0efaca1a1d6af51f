//! The physiological components of the closed loop, each modelled once.
//!
//! A circulation is a graph of [`Compartment`]s (volumes that hold blood: a [`Vessel`] with
//! linear compliance or a [`Chamber`] with time-varying elastance) joined by
//! [`Connection`]s (a [`Resistor`], a [`VesselSegment`] with resistance and inertance, or a
//! [`Valve`]). Units are in the field names.

/// A compliant vessel compartment: `p = (V − V0) / C`.
#[derive(Clone, Debug, PartialEq)]
pub struct Vessel {
    /// Compliance C, mL/mmHg.
    pub compliance_ml_per_mmhg: f64,
    /// Unstressed volume V0 (volume at zero transmural pressure), mL.
    pub unstressed_volume_ml: f64,
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
        match self.passive {
            Passive::Linear {
                elastance_mmhg_per_ml,
            } => (elastance_mmhg_per_ml + e * self.ees_mmhg_per_ml) * dv,
            Passive::Exponential { a_mmhg, b_per_ml } => {
                e * self.ees_mmhg_per_ml * dv + (1.0 - e) * a_mmhg * ((b_per_ml * dv).exp() - 1.0)
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

/// A pure resistance: `q = (p_from − p_to) / R`.
#[derive(Clone, Debug, PartialEq)]
pub struct Resistor {
    /// Resistance R, mmHg·s/mL.
    pub resistance_mmhg_s_per_ml: f64,
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
