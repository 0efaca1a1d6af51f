//! `ecmova simulate` (placeholder).
use clap::Args;

/// Arguments of `ecmova simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Scenario TOML file.
    pub scenario: std::path::PathBuf,
}

pub fn run(_args: SimulateArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
