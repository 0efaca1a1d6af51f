//! # ecmova-cohort: virtual cohorts at scale
//!
//! A cohort file ([`spec`], `docs/cohort-format.md`) names a base scenario, parameter
//! distributions over its patient and device keys (with Gaussian-copula correlations), a
//! sweep grid over interventions, a seed and a size. Each virtual patient `i` draws its
//! parameters from `(seed, i)` alone ([`sample`]: ChaCha8 stream `i`), runs at every sweep
//! point over the one driver, [`ecmova_scenario::Simulation`] ([`run`]), and gives one row per
//! patient × sweep point with a `status` (ok, invalid, diverged, not_steady: never dropped).
//! [`store`] writes rows in chunk files (resume), a Parquet file and a manifest, runs one
//! shard (`i mod N = K`, from `--shard` or the Slurm/Kubernetes environment) and merges
//! shards into output byte-identical to a one-process run, whatever the thread count.
#![deny(missing_docs)]

pub mod run;
pub mod sample;
pub mod spec;
pub mod store;

pub use run::{run_patients, run_point, Row, Status};
pub use spec::Cohort;
pub use store::{merge, read_manifest, run_cohort, Manifest, RunConfig, Shard};

use std::path::{Path, PathBuf};

/// Why a cohort cannot be read, run or merged.
#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// Not a valid cohort file (TOML syntax, unknown key, wrong type); the parser names the key.
    #[error("invalid cohort file: {0}")]
    Parse(String),
    /// A value that cannot be used, with the key that holds it.
    #[error("{field}: {reason}")]
    Invalid {
        /// Key (`parameter[2].sd`) or file.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// Reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Writing Parquet.
    #[error("{}: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The error.
        message: String,
    },
}

impl CohortError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CohortError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
