//! `ecmova simulate SCENARIO`: run a scenario file, write its summary and time series.

use anyhow::{Context, Result};
use clap::Args;
use ecmova_report::{write_all_plots, write_parquet, PhaseData, Progress};
use ecmova_scenario::run::run_with_progress;
use ecmova_scenario::series::Series;
use ecmova_scenario::{build, summary::summary_json, RunOptions, RunOutput, Scenario};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Arguments of `ecmova simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Scenario file (`.toml`, or `.json`).
    pub scenario: PathBuf,
    /// Write the summary JSON (metrics averaged over the last 5 beats) to PATH, or to
    /// standard output with `-`.
    #[arg(long, value_name = "PATH|-")]
    pub summary_json: Option<String>,
    /// Write the time series of every pressure, volume, flow and saturation to PATH: Parquet
    /// if PATH ends in `.parquet`, CSV otherwise.
    #[arg(long, value_name = "PATH")]
    pub series: Option<PathBuf>,
    /// Write plots (SVG and PNG) into DIR: pressure waveforms, flows, LV/RV pressure-volume
    /// loops of each phase (between events) overlaid, and the saturation map.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Stop at the periodic steady state instead of simulating the whole duration.
    #[arg(long)]
    pub until_steady: bool,
}

fn read_scenario(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    let parsed = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Scenario::from_json(&text),
        _ => Scenario::from_toml(&text),
    };
    parsed.with_context(|| format!("in {}", path.display()))
}

/// Runs `ecmova simulate`.
pub fn run_simulate(args: SimulateArgs) -> Result<()> {
    let scenario = read_scenario(&args.scenario)?;
    let built = build(&scenario).with_context(|| format!("in {}", args.scenario.display()))?;
    let options = RunOptions {
        until_steady: args.until_steady,
        record_series: args.series.is_some() || args.plot.is_some(),
    };
    // A progress bar on stderr for runs expected to take over a second, silent when stderr is
    // not a terminal. ~2 ms of wall time per simulated second with recording is conservative.
    let progress = Progress::new(built.duration_s, built.duration_s * 2e-3);
    let out = run_with_progress(&built, options, |t| progress.update(t))?;
    progress.finish();
    let summary = summary_json(&built, &out);
    if let Some(path) = &args.series {
        write_series(path, out.series.as_ref().expect("series requested"))?;
    }
    if let Some(dir) = &args.plot {
        write_plots(dir, &out)?;
    }
    match args.summary_json.as_deref() {
        Some("-") => {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &summary)?;
            writeln!(stdout)?;
        }
        Some(path) => {
            let file = File::create(path).with_context(|| format!("cannot create {path}"))?;
            let mut w = BufWriter::new(file);
            serde_json::to_writer_pretty(&mut w, &summary)?;
            writeln!(w)?;
            w.flush()?;
        }
        None => print_human(&summary),
    }
    Ok(())
}

fn write_series(path: &Path, series: &Series) -> Result<()> {
    if path.extension().and_then(|e| e.to_str()) == Some("parquet") {
        write_parquet(path, series)
            .with_context(|| format!("cannot write series file {}", path.display()))?;
        return Ok(());
    }
    let file = File::create(path)
        .with_context(|| format!("cannot create series file {}", path.display()))?;
    series
        .write_csv(BufWriter::new(file))
        .with_context(|| format!("cannot write series file {}", path.display()))
}

/// The phases of a run: from the start to the first event, then between events. Each phase
/// is labelled with the event that opened it.
fn phases(out: &RunOutput, series: &Series) -> Vec<(String, std::ops::Range<usize>)> {
    let time = series.column("time_s").unwrap_or_default();
    let row_at = |t: f64| time.partition_point(|&x| x < t - 1e-9);
    let mut bounds: Vec<(f64, String)> = vec![(0.0, "baseline".into())];
    for (t, event) in &out.applied_events {
        let label = format!("{} at {:.0} s", event.action(), t);
        if bounds.last().is_some_and(|(t0, _)| (t - t0).abs() < 1e-9) {
            bounds.last_mut().expect("non-empty").1 = label;
        } else {
            bounds.push((*t, label));
        }
    }
    let mut phases = Vec::new();
    for (k, (t, label)) in bounds.iter().enumerate() {
        let start = row_at(*t);
        let end = bounds.get(k + 1).map_or(time.len(), |(t1, _)| row_at(*t1));
        if end > start + 1 {
            phases.push((label.clone(), start..end));
        }
    }
    phases
}

fn write_plots(dir: &Path, out: &RunOutput) -> Result<()> {
    let series = out.series.as_ref().expect("series recorded for plots");
    let phases = phases(out, series);
    let phase_refs: Vec<(&str, PhaseData<'_>)> = phases
        .iter()
        .map(|(label, rows)| (label.as_str(), PhaseData::Rows(rows.clone())))
        .collect();
    let plotted = write_all_plots(dir, series, &phase_refs, 5.0)
        .with_context(|| format!("cannot write plots into {}", dir.display()))?;
    for note in &plotted.notes {
        eprintln!("note: {note}");
    }
    for file in &plotted.files {
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}

fn print_human(summary: &serde_json::Value) {
    let get = |k: &str| summary.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    println!(
        "ecmova {} · preset {} · {:.1} s simulated, {} beats, steady state at beat {}",
        summary["ecmova_version"].as_str().unwrap_or("?"),
        summary["preset"].as_str().unwrap_or("?"),
        get("simulated_s"),
        summary["beats_simulated"],
        summary["steady_state_beat"],
    );
    println!(
        "(averaged over the last {} beats)",
        summary["beats_averaged"]
    );
    println!("  HR            {:6.0} bpm", get("hr_bpm"));
    println!(
        "  ABP (R radial) {:5.0}/{:.0} ({:.0}) mmHg",
        get("sbp_mmhg"),
        get("dbp_mmhg"),
        get("map_mmhg")
    );
    println!(
        "  PA            {:5.0}/{:.0} ({:.0}) mmHg",
        get("pa_systolic_mmhg"),
        get("pa_diastolic_mmhg"),
        get("pa_mean_mmhg")
    );
    println!(
        "  CVP           {:6.1} mmHg   LAP (PCWP) {:.1} mmHg",
        get("cvp_mmhg"),
        get("lap_mmhg")
    );
    println!(
        "  LV            EDV {:.0} mL  ESV {:.0} mL  EF {:.0} %  EDP {:.1} mmHg",
        get("lvedv_ml"),
        get("lvesv_ml"),
        get("lvef_percent"),
        get("lvedp_mmhg")
    );
    println!(
        "  CO            {:6.2} L/min  CPO {:.2} W  aortic valve opening {:.0} % of beats",
        get("cardiac_output_l_min"),
        get("cardiac_power_output_w"),
        100.0 * get("aortic_valve_opening_fraction")
    );
}
