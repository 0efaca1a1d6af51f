//! ecmova clinical decision support for veno-arterial ECMO.
//!
//! Pure functions over typed inputs, no I/O:
//!
//! - [`wire`]: the patient JSON/CSV wire format (`docs/patient-format.md`), separate from
//! - [`patient`]: the validated domain [`patient::Patient`] and the flags derived from labs;
//! - [`scores`]: SAVE, ENCOURAGE, CardShock and TiPS65, every item with its points;
//! - [`scai`]: SCAI SHOCK stage (2022) with the criteria that placed it;
//! - [`assess`]: the VA-ECMO assessment (indication, contraindications, ECPR trials,
//!   survival by aetiology, complications), rendered as Markdown by [`report`];
//! - [`weaning`]: weaning readiness (Aissaoui 2011).
//!
//! Every rule and number carries its source ([`citation`]), printed in the outputs.
//! `docs/clinical-rules.md` lists every rule. Research and teaching tool; not a certified
//! medical device.
#![deny(missing_docs)]

pub mod assess;
pub mod citation;
pub mod error;
pub mod patient;
pub mod report;
pub mod scai;
pub mod scores;
pub mod units;
pub mod weaning;
pub mod wire;

pub use error::ClinicalError;
pub use patient::Patient;
pub use scores::ScoreResult;
