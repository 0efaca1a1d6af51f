//! ECMO circuit devices (cannulae, centrifugal pumps, oxygenators).
