//! Regenerates `docs/images/pv-loops-ecmo.png`: the PV loops of `examples/ami-femoral-ecmo.toml`
//! before ECMO, at 3000 rpm and at 3600 rpm (last beat before each change and at the end).
//!
//! `cargo run --release -p ecmova-report --example pv_loops_ecmo -- OUT_DIR`

use ecmova_report::{pv_loops, Columns, PhaseData, DEFAULT_SIZE};
use ecmova_scenario::{build, run, RunOptions, Scenario};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("examples/ami-femoral-ecmo.toml"))?;
    let built = build(&Scenario::from_toml(&text)?)?;
    let series = run(
        &built,
        RunOptions {
            record_series: true,
            ..RunOptions::default()
        },
    )?
    .series
    .ok_or("no series")?;
    let t = series.column_values("time_s").ok_or("no time_s")?;
    let row_at = |s: f64| t.iter().position(|&x| x >= s).unwrap_or(t.len());
    let phases = [
        ("before ECMO", PhaseData::Rows(0..row_at(20.0))),
        ("ECMO 3000 rpm", PhaseData::Rows(row_at(20.0)..row_at(60.0))),
        ("ECMO 3600 rpm", PhaseData::Rows(row_at(60.0)..t.len())),
    ];
    let plotted = pv_loops(&out, &series, &phases, None, DEFAULT_SIZE)?;
    for f in plotted.files {
        println!("{}", f.display());
    }
    Ok(())
}
