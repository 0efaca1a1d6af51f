//! `ecmova presets`: the built-in patients, one line each.
//!
//! Names come from the engine (`ecmova_engine::presets::NAMES`), descriptions from the one
//! description table the server's preset list also uses
//! (`ecmova_scenario::build::preset_description`).

use anyhow::Result;
use clap::Args;
use std::io::Write;

/// Arguments of `ecmova presets`.
#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// Print JSON (`[{"name": ..., "description": ...}]`) instead of aligned text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ecmova presets`.
pub fn run_presets(args: PresetsArgs) -> Result<()> {
    let rows: Vec<(&str, &str)> = ecmova_engine::presets::NAMES
        .iter()
        .map(|&n| {
            (
                n,
                ecmova_scenario::build::preset_description(n).unwrap_or(""),
            )
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(n, d)| serde_json::json!({ "name": n, "description": d }))
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else {
        let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, description) in &rows {
            writeln!(out, "{name:<width$}  {description}")?;
        }
    }
    out.flush()?;
    Ok(())
}
