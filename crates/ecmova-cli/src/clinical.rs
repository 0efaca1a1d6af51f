//! `ecmova score` and `ecmova assess` (placeholder until the clinical library lands).

use clap::{Args, Subcommand};

/// Score subcommands.
#[derive(Debug, Subcommand)]
pub enum ScoreCommand {
    /// SAVE score (Schmidt 2015).
    Save(ScoreArgs),
}

/// Arguments shared by score subcommands.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Patient JSON file.
    pub file: std::path::PathBuf,
}

/// Arguments of `ecmova assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Patient JSON file.
    pub file: std::path::PathBuf,
}

pub fn run_score(_cmd: ScoreCommand) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}

pub fn run_assess(_args: AssessArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
