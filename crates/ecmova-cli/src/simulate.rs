//! `ecmova simulate SCENARIO`: run a scenario file, write its summary and time series.

use crate::note;
use crate::output::{check_paths, write_file, write_file_at, Named};
use anyhow::{Context, Result};
use clap::Args;
use ecmova_report::{write_all_plots, write_parquet, PhaseData, Progress};
use ecmova_scenario::run::run_with_progress;
use ecmova_scenario::series::Series;
use ecmova_scenario::{build, summary::summary_json, RunOptions, RunOutput, Scenario};
use std::io::Write;
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

/// Refuses outputs that are the scenario file or each other (before any computation).
fn check_outputs(args: &SimulateArgs) -> Result<()> {
    let inputs = [Named {
        option: "SCENARIO",
        path: &args.scenario,
    }];
    let mut outputs = Vec::new();
    if let Some(p) = args.summary_json.as_deref().filter(|p| *p != "-") {
        outputs.push(Named {
            option: "--summary-json",
            path: Path::new(p),
        });
    }
    if let Some(p) = &args.series {
        outputs.push(Named {
            option: "--series",
            path: p,
        });
    }
    check_paths(&inputs, &outputs)?;
    if let Some(dir) = &args.plot {
        // The plot files' names are known only once drawn (one per phase); here the
        // directory itself must not be an input or another output.
        let mut all = outputs.clone();
        all.push(Named {
            option: "--plot",
            path: dir,
        });
        check_paths(&inputs, &all)?;
    }
    Ok(())
}

/// Runs `ecmova simulate`.
pub fn run_simulate(args: SimulateArgs) -> Result<()> {
    check_outputs(&args)?;
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
        write_plots(dir, &out, &args.scenario)?;
    }
    match args.summary_json.as_deref() {
        Some("-") => {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &summary)?;
            writeln!(stdout)?;
            stdout.flush()?;
        }
        Some(path) => write_file(Path::new(path), |w| {
            serde_json::to_writer_pretty(&mut *w, &summary)?;
            writeln!(w)?;
            Ok(())
        })
        .with_context(|| format!("cannot write summary file {path}"))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            print_human(&mut stdout, &summary)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

fn write_series(path: &Path, series: &Series) -> Result<()> {
    if path.extension().and_then(|e| e.to_str()) == Some("parquet") {
        return write_file_at(path, |tmp| Ok(write_parquet(tmp, series)?))
            .with_context(|| format!("cannot write series file {}", path.display()));
    }
    write_file(path, |w| Ok(series.write_csv(&mut *w)?))
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

/// Draws the plots into a temporary directory inside `dir`, then moves each file into `dir`
/// (refusing any that would replace the scenario file), so that a failed run leaves no
/// half-drawn plot.
fn write_plots(dir: &Path, out: &RunOutput, scenario: &Path) -> Result<()> {
    let series = out.series.as_ref().expect("series recorded for plots");
    let phases = phases(out, series);
    let phase_refs: Vec<(&str, PhaseData<'_>)> = phases
        .iter()
        .map(|(label, rows)| (label.as_str(), PhaseData::Rows(rows.clone())))
        .collect();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create plot directory {}", dir.display()))?;
    let tmp = TempDir::new_in(dir)?;
    let plotted = write_all_plots(&tmp.0, series, &phase_refs, 5.0)
        .with_context(|| format!("cannot write plots into {}", dir.display()))?;
    let mut moves = Vec::new();
    for file in &plotted.files {
        let name = file
            .strip_prefix(&tmp.0)
            .with_context(|| format!("plot {} outside {}", file.display(), tmp.0.display()))?;
        let dest = dir.join(name);
        check_paths(
            &[Named {
                option: "SCENARIO",
                path: scenario,
            }],
            &[Named {
                option: "--plot",
                path: &dest,
            }],
        )?;
        moves.push((file.clone(), dest));
    }
    for (from, to) in &moves {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::rename(from, to)
            .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
    }
    drop(tmp);
    for n in &plotted.notes {
        note!("note: {n}");
    }
    for (_, to) in &moves {
        note!("wrote {}", to.display());
    }
    Ok(())
}

/// A temporary directory, removed with what is left in it on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new_in(dir: &Path) -> Result<Self> {
        let pid = std::process::id();
        for k in 0..100u32 {
            let p = dir.join(format!(".ecmova-plots.{pid}.{k}.tmp"));
            match std::fs::create_dir(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot create a temporary directory in {}", dir.display())
                    })
                }
            }
        }
        anyhow::bail!("cannot create a temporary directory in {}", dir.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn print_human(w: &mut impl Write, summary: &serde_json::Value) -> std::io::Result<()> {
    let get = |k: &str| summary.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    let steady = match summary["steady_state_beat"].as_u64() {
        Some(b) => format!("steady state at beat {b}"),
        None => "steady state not reached".to_string(),
    };
    writeln!(
        w,
        "ecmova {} · preset {} · {:.1} s simulated, {} beats, {steady}",
        summary["ecmova_version"].as_str().unwrap_or("?"),
        summary["preset"].as_str().unwrap_or("?"),
        get("simulated_s"),
        summary["beats_simulated"],
    )?;
    if summary["beats_averaged"].as_u64().unwrap_or(0) == 0 {
        // No complete beat: there is nothing to average, and printing NaN would look like a
        // result.
        return writeln!(
            w,
            "no complete heart beat in the simulated time: no metrics (simulate longer than \
             one heart period)"
        );
    }
    writeln!(
        w,
        "(averaged over the last {} beats)",
        summary["beats_averaged"]
    )?;
    writeln!(w, "  HR            {:6.0} bpm", get("hr_bpm"))?;
    writeln!(
        w,
        "  ABP (R radial) {:5.0}/{:.0} ({:.0}) mmHg",
        get("sbp_mmhg"),
        get("dbp_mmhg"),
        get("map_mmhg")
    )?;
    writeln!(
        w,
        "  PA            {:5.0}/{:.0} ({:.0}) mmHg",
        get("pa_systolic_mmhg"),
        get("pa_diastolic_mmhg"),
        get("pa_mean_mmhg")
    )?;
    writeln!(
        w,
        "  CVP           {:6.1} mmHg   LAP (PCWP) {:.1} mmHg",
        get("cvp_mmhg"),
        get("lap_mmhg")
    )?;
    writeln!(
        w,
        "  LV            EDV {:.0} mL  ESV {:.0} mL  EF {:.0} %  EDP {:.1} mmHg",
        get("lvedv_ml"),
        get("lvesv_ml"),
        get("lvef_percent"),
        get("lvedp_mmhg")
    )?;
    writeln!(
        w,
        "  CO            {:6.2} L/min  CPO {:.2} W  aortic valve opening {:.0} % of beats",
        get("cardiac_output_l_min"),
        get("cardiac_power_output_w"),
        100.0 * get("aortic_valve_opening_fraction")
    )
}
