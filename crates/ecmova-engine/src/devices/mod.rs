//! ECMO circuit devices (cannulae, centrifugal pumps, oxygenators).
//!
//! Pure, allocation-free device laws for the network right-hand side. Engine
//! units: pressure mmHg, flow mL/s (`q_ml_s`), speed rpm. Every law is odd or
//! otherwise defined for retrograde flow and is total for finite inputs.
//! Methodology, parameter sources and the validation table:
//! `docs/methodology/ecmo-circuit.md`.

pub mod cannula;
pub mod drainage;
pub mod oxygenator;
pub mod pump;

pub use cannula::{Cannula, CannulaKind};
pub use drainage::VenousDrainageLimit;
pub use oxygenator::{Oxygenator, OxygenatorOutlet, OXYGENATOR_PRESETS};
pub use pump::{CentrifugalPump, PUMP_PRESETS};

// The one unit-conversion module is `crate::units`; re-exported here for the device code.
pub use crate::units::{l_min_to_ml_s, ml_s_to_l_min, ML_S_PER_L_MIN};

/// Error for an invalid device parameter or an unknown preset name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviceError {
    /// A numeric parameter is non-finite or outside its allowed range.
    #[error("{device}: parameter `{field}` = {value} is outside the allowed range {allowed}")]
    InvalidParameter {
        /// Device type, e.g. `"CentrifugalPump"`.
        device: &'static str,
        /// Field name.
        field: &'static str,
        /// Offending value.
        value: f64,
        /// Human-readable allowed range.
        allowed: &'static str,
    },
    /// `by_name` was given a name that is not a preset.
    #[error("unknown {device} preset `{name}`; allowed: {allowed:?}")]
    UnknownPreset {
        /// Device type.
        device: &'static str,
        /// Name that was asked for.
        name: String,
        /// The preset names that exist.
        allowed: &'static [&'static str],
    },
}

/// Checks `lo <= value <= hi` and finiteness.
pub(crate) fn check_range(
    device: &'static str,
    field: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    allowed: &'static str,
) -> Result<(), DeviceError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(DeviceError::InvalidParameter {
            device,
            field,
            value,
            allowed,
        })
    }
}
