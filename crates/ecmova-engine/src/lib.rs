//! # ecmova-engine: the physiology engine
//!
//! A closed-loop, lumped-parameter model of the human circulation (four time-varying
//! elastance chambers, valves, compliant vessels with resistance and inertance), with the
//! VA-ECMO circuit devices and blood-gas transport primitives.
//!
//! ## Design
//! - **Data model apart from the solver** (as in the Pulse engine): [`CirculationParams`] is
//!   plain data; [`Model`] is its validated, compiled form; [`State`] is what changes.
//! - **Caller-owned state** (as in rapier): [`step`]`(&model, &mut state)` advances one fixed
//!   step. A state clone is a snapshot; runs are pure functions of the parameters.
//! - **No I/O, no clock, no global state, no allocation in the step loop.**
//! - **Validated first**: [`Model::new`] and [`Model::update`] reject any out-of-range or
//!   non-finite parameter with a [`ParamError`] naming the field, value and allowed range, so
//!   no NaN or infinity can enter; a run that still diverges is reported, not returned.
//! - **Two integrators**: the fast beat-synchronous RK4 ([`step`]) and the adaptive
//!   Dormand-Prince 5(4) [`reference::ReferenceIntegrator`] used by tests as the oracle.
//!
//! Units are clinical: mmHg, mL, mL/s, s (see [`units`]).
#![deny(missing_docs)]

pub mod activation;
pub mod baroreflex;
pub mod components;
pub mod devices;
pub mod ecmo;
pub mod gas;
pub mod metrics;
pub mod model;
pub mod plausibility;
pub mod presets;
pub mod reference;
mod sim;
pub mod units;
pub mod unloading;

pub use baroreflex::{AutonomicEffects, Baroreflex, BaroreflexParams, BaroreflexTargets};
pub use components::{
    Chamber, Compartment, CompartmentKind, Connection, ConnectionKind, Passive, Resistor, Valve,
    Vessel, VesselSegment,
};
pub use ecmo::{Cannulation, EcmoCircuit};
pub use metrics::{mixing_zone, BeatMetrics, BeatRecorder, SteadyStateDetector};
pub use model::{
    fastest_rate_per_s, Anatomy, CirculationParams, IntegrationParams, Model, ParamError,
    Pericardium, Rhythm, Sites, StateLayout, COARSE_STEP_MULTIPLE, COARSE_STEP_S,
    MAX_STEP_MULTIPLE_RANGE, STABLE_H_LAMBDA,
};
pub use sim::{
    derivative, lung_gas_exchange, step, step_baseline_isa, tissue_exchange_ml_s, LungExchange,
    State, StepKind,
};
pub use unloading::{Unloading, UnloadingDevice};
