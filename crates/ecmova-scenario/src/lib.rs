//! # ecmova-scenario: scenario files, runs and their outputs
//!
//! The layer between people's files and the engine:
//! - [`wire`]: the scenario file format (TOML or JSON), as serde types that exist only at
//!   this edge (the engine's own structs are not serializable, by design);
//! - [`build`]: turns a scenario into a validated engine [`ecmova_engine::Model`], applying the
//!   patient overrides to a preset and naming the field of any invalid value;
//! - [`run`]: plays a scenario (beats, steady-state detection, time series);
//! - [`summary`] and [`series`]: the outputs (summary JSON, CSV time series);
//! - [`json_keys`]: duplicate keys in JSON input are errors (serde_json would keep the last).
//!
//! Everything here is deterministic: a run is a pure function of the scenario.
#![deny(missing_docs)]

pub mod alarms;
pub mod build;
pub mod interventions;
pub mod json_keys;
pub mod reflex;
pub mod run;
pub mod series;
pub mod summary;
pub mod weaning;
pub mod wire;

pub use build::{build, Built, ScenarioError};
pub use run::{run, RunOptions, RunOutput};
pub use wire::Scenario;
