//! `ecmova simulate SCENARIO`: run a scenario file, write its summary and time series.

use anyhow::{Context, Result};
use clap::Args;
use ecmova_report::{write_all_plots, write_parquet, PhaseData, Progress};
use ecmova_scenario::run::run_with_progress;
use ecmova_scenario::series::Series;
use ecmova_scenario::{build, RunOptions, RunOutput, Scenario, Summary};
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
    let summary = &out.summary;
    if let Some(path) = &args.series {
        write_series(path, out.series.as_ref().expect("series requested"))?;
    }
    if let Some(dir) = &args.plot {
        write_plots(dir, &out)?;
    }
    match args.summary_json.as_deref() {
        Some("-") => {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, summary)?;
            writeln!(stdout)?;
        }
        Some(path) => {
            let file = File::create(path).with_context(|| format!("cannot create {path}"))?;
            let mut w = BufWriter::new(file);
            serde_json::to_writer_pretty(&mut w, summary)?;
            writeln!(w)?;
            w.flush()?;
        }
        None => print_human(summary),
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

/// The phases of a run (from the start, then from each action to the next), as the summary
/// labels them, with their rows in the series.
fn phases(out: &RunOutput, series: &Series) -> Vec<(String, std::ops::Range<usize>)> {
    let time = series.column("time_s").unwrap_or_default();
    let row_at = |t: f64| time.partition_point(|&x| x < t - 1e-9);
    let bounds = &out.summary.phases;
    let mut phases = Vec::new();
    for (k, p) in bounds.iter().enumerate() {
        let start = row_at(p.start_s);
        let end = bounds
            .get(k + 1)
            .map_or(time.len(), |next| row_at(next.start_s));
        if end > start + 1 {
            phases.push((format!("{} ({:.0} s)", p.label, p.start_s), start..end));
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

/// The human summary: rounded for reading, the circuit when there is one, the alarms and
/// any weaning verdict.
fn print_human(s: &Summary) {
    let steady = s
        .steady_state_beat
        .map_or("not reached".to_string(), |b| format!("at beat {b}"));
    println!(
        "ecmova {} · preset {} · {:.1} s simulated, {} beats, steady state {steady}",
        s.ecmova_version, s.preset, s.simulated_s, s.beats_simulated
    );
    let Some(m) = &s.metrics else {
        println!("no complete beat yet: simulate longer");
        return;
    };
    let h = &m.haemodynamics;
    println!(
        "(averaged over the last {} beats; rhythm {})",
        s.beats_averaged, s.rhythm
    );
    println!("  HR             {:5.0} bpm", h.heart_rate_bpm);
    println!(
        "  ABP (R radial) {:5.0}/{:.0} ({:.0}) mmHg   femoral MAP {:.0} mmHg",
        h.sbp_mmhg, h.dbp_mmhg, h.map_mmhg, h.map_femoral_mmhg
    );
    println!(
        "  PA             {:5.0}/{:.0} ({:.0}) mmHg",
        h.pa_systolic_mmhg, h.pa_diastolic_mmhg, h.pa_mean_mmhg
    );
    println!(
        "  CVP            {:5.1} mmHg   LAP (PCWP) {:.1} mmHg",
        h.cvp_mmhg, h.lap_mmhg
    );
    println!(
        "  LV             EDV {:.0} mL  ESV {:.0} mL  EF {:.0} %  EDP {:.1} mmHg",
        h.lvedv_ml, h.lvesv_ml, h.lvef_percent, h.lvedp_mmhg
    );
    println!(
        "  CO (native)    {:5.2} L/min  total {:.2} L/min  CPO {:.2} W  aortic valve opening {:.0} % of beats",
        h.cardiac_output_l_min,
        h.total_flow_l_min,
        h.cardiac_power_output_w,
        100.0 * h.aortic_valve_opening_fraction
    );
    if let (Some(c), Some(set)) = (&m.circuit, &s.circuit_settings) {
        println!(
            "  ECMO           {} · {} · {:.0} rpm · flow {:.2} L/min · sweep {:.1} L/min · FdO2 {:.0} %",
            set.cannulation,
            if set.ecmo_running { "running" } else { "clamped" },
            set.pump_rpm_setting,
            c.ecmo_flow_l_min,
            set.sweep_l_min,
            100.0 * set.fdo2
        );
        println!(
            "  circuit        drainage {:.0} mmHg · pre-oxygenator {:.0} mmHg · post {:.0} mmHg · ΔP {:.0} mmHg",
            c.drainage_pressure_mmhg,
            c.pre_oxygenator_pressure_mmhg,
            c.post_oxygenator_pressure_mmhg,
            c.oxygenator_dp_mmhg
        );
    }
    for (name, flow) in [
        ("Impella", m.impella_flow_l_min),
        ("LV vent", m.lv_vent_flow_l_min),
        ("septostomy", m.septostomy_flow_l_min),
    ] {
        if let Some(q) = flow {
            println!("  {name:<14} {q:5.2} L/min");
        }
    }
    if let Some(g) = &m.gases {
        println!(
            "  SaO2           R radial {:.0} % · coronary {:.0} % · femoral {:.0} %   SvO2 {:.0} %",
            g.sao2_right_radial_percent,
            g.sao2_coronary_percent,
            g.sao2_femoral_percent,
            g.svo2_percent
        );
    }
    if let Some(zone) = &s.mixing_zone {
        println!("  mixing zone    {zone}");
    }
    if s.alarms.is_empty() {
        println!("  alarms         none");
    }
    for a in &s.alarms {
        let severity = match a.severity {
            ecmova_scenario::alarms::Severity::Critical => "CRITICAL",
            ecmova_scenario::alarms::Severity::Warning => "warning ",
        };
        println!(
            "  {severity} {} since {:.0} s: {}",
            a.name, a.since_s, a.message
        );
    }
    if let Some(w) = &s.weaning_trial {
        let verdict = w
            .readiness
            .as_ref()
            .and_then(|r| r.as_str())
            .unwrap_or("no step completed");
        println!(
            "  weaning trial  {} step(s){} · verdict: {verdict}",
            w.steps.len(),
            if w.completed {
                ", completed"
            } else {
                ", running"
            }
        );
    }
}
