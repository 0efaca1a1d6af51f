//! placeholder
#![deny(missing_docs)]

pub mod devices;
pub mod gas;
