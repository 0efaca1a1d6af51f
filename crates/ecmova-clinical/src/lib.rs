//! Clinical library (placeholder).
#![deny(missing_docs)]
