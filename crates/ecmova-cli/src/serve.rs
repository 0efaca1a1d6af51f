//! `ecmova serve` (placeholder until the server lands).
use clap::Args;

/// Arguments of `ecmova serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}

/// Runs `ecmova serve`.
pub fn run_serve(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
