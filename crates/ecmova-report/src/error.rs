//! The error type of every fallible function of this crate.

use std::path::PathBuf;
use thiserror::Error;

/// What went wrong while writing an output. Every variant names the file, the column or the
/// argument at fault.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or directory could not be created, written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The Parquet library refused to write or read a file.
    #[error("{path}: Parquet: {source}")]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The underlying error.
        source: parquet::errors::ParquetError,
    },
    /// A Parquet file holds a column this crate cannot read back (not a required DOUBLE).
    #[error("{path}: column `{column}` is not a required Float64 column")]
    UnsupportedColumn {
        /// The Parquet file.
        path: PathBuf,
        /// The column name.
        column: String,
    },
    /// A plot could not be drawn or encoded.
    #[error("{path}: cannot render the plot: {message}")]
    Render {
        /// The SVG or PNG file being written.
        path: PathBuf,
        /// What the plotting or PNG library said.
        message: String,
    },
    /// A column every output of this kind needs is absent.
    #[error("missing column `{column}` (needed for {needed_for})")]
    MissingColumn {
        /// The column name.
        column: String,
        /// The output that needs it.
        needed_for: &'static str,
    },
    /// A value is NaN or infinite where the output must be finite.
    #[error("column `{column}`, row {row}: non-finite value {value}")]
    NonFinite {
        /// The column name.
        column: String,
        /// The row index (0-based).
        row: usize,
        /// The value.
        value: f64,
    },
    /// Columns of a table have different lengths, a name is repeated or empty.
    #[error("column `{column}`: {reason}")]
    InvalidColumn {
        /// The column name.
        column: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument is out of its allowed range.
    #[error("argument `{name}` = {value}: {reason}")]
    InvalidArgument {
        /// The argument name.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// The allowed range or what is wrong.
        reason: &'static str,
    },
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }
}
