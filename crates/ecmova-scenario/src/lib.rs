//! # ecmova-scenario: scenario files, runs and their outputs
//!
//! The layer between people's files and the engine:
//! - [`wire`]: the scenario file format (TOML or JSON), as serde types that exist only at
//!   this edge (the engine's own structs are not serializable, by design);
//! - [`build`]: turns a scenario into a validated engine [`ecmova_engine::Model`], applying the
//!   patient overrides to a preset and naming the field of any invalid value;
//! - [`action`]: the one action vocabulary ([`Action`]), shared by scenario files and live
//!   sessions;
//! - [`simulation`]: the one driver ([`Simulation`]) every front end advances;
//! - [`run`]: plays a scenario file over the driver;
//! - [`summary`], [`alarms`], [`signals`] and [`series`]: the typed outputs (summary, alarm
//!   objects, waveforms by role, time series);
//! - [`pv`]: the LV's end-systolic and end-diastolic pressure-volume relations in force;
//! - [`json_keys`]: duplicate keys in JSON input are errors (serde_json would keep the last).
//!
//! Everything here is deterministic: a run is a pure function of the scenario.
#![deny(missing_docs)]

pub mod action;
pub mod alarms;
pub mod bedside;
pub mod build;
pub mod interventions;
pub mod json_keys;
pub mod pv;
pub mod reflex;
pub mod run;
pub mod series;
pub mod signals;
pub mod simulation;
pub mod summary;
pub mod weaning;
pub mod wire;

pub use action::{Action, ActionError, TimedAction};
pub use build::{build, Built, ScenarioError};
pub use run::{run, run_cancellable, RunOptions, RunOutput};
pub use simulation::{Simulation, SimulationOptions, Snapshot};
pub use summary::Summary;
pub use wire::Scenario;
