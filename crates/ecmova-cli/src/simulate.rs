//! `ecmova simulate SCENARIO`: run a scenario file, write its summary and time series.

use crate::note;
use crate::output::{check_paths, write_file, write_file_at, Named};
use anyhow::{Context, Result};
use clap::Args;
use ecmova_report::{write_all_plots, write_parquet, Columns, PhaseData, Progress};
use ecmova_scenario::run::run_with_progress;
use ecmova_scenario::series::Series;
use ecmova_scenario::{build, RunOptions, RunOutput, Scenario, Summary};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `ecmova simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Scenario file (`.toml`, or `.json`), or `-` to read it from standard input (JSON if it
    /// starts with `{`, TOML otherwise).
    pub scenario: PathBuf,
    /// Write the summary JSON (metrics averaged over the last 5 beats) to PATH, or to
    /// standard output with `-`.
    #[arg(long, value_name = "PATH|-")]
    pub summary_json: Option<String>,
    /// Write the time series of every pressure, volume, flow and saturation to PATH: Parquet
    /// if PATH ends in `.parquet`, CSV otherwise.
    #[arg(long, value_name = "PATH")]
    pub series: Option<PathBuf>,
    /// Keep only these series columns, comma-separated, in this order (`time_s` first
    /// unless listed; an unknown name is an error that lists the valid ones). Default: every
    /// column. Applies to `--series`; plots always use the whole series.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', requires = "series")]
    pub columns: Option<Vec<String>>,
    /// Write the beat-by-beat table (one row per beat: time, phase index and every beat
    /// metric) to PATH: Parquet if PATH ends in `.parquet`, CSV otherwise.
    #[arg(long, value_name = "PATH")]
    pub beats: Option<PathBuf>,
    /// Write plots (SVG and PNG) into DIR: pressure waveforms, flows, LV/RV pressure-volume
    /// loops of each phase (between events) overlaid, the saturation map, and the whole run's
    /// trends beat by beat (MAP, LVEDP, flows, SaO2).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Stop at the periodic steady state instead of simulating the whole duration.
    #[arg(long)]
    pub until_steady: bool,
    /// Interval between time-series rows, s (overrides the scenario's
    /// `simulation.series_interval_s`; default 0.005). A 30-minute run at 1 s is ~1,800 rows.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub series_interval_s: Option<f64>,
}

/// Whether `path`'s extension is `ext`, whatever its case (`RUN.PARQUET`).
fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn read_scenario(path: &Path) -> Result<Scenario> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .context("cannot read the scenario from standard input")?;
        // A byte order mark (a PowerShell pipe) is not whitespace: skip it to see the `{`.
        let parsed = if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            Scenario::from_json(&text)
        } else {
            Scenario::from_toml(&text)
        };
        return parsed.context("in the scenario from standard input");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    let parsed = if has_extension(path, "json") {
        Scenario::from_json(&text)
    } else {
        Scenario::from_toml(&text)
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
    if args.series.as_deref() == Some(Path::new("-")) {
        anyhow::bail!(
            "--series -: the time series cannot go to standard output (it is large and \
             columnar); give a file path (.csv or .parquet)"
        );
    }
    if let Some(p) = &args.series {
        outputs.push(Named {
            option: "--series",
            path: p,
        });
    }
    if args.beats.as_deref() == Some(Path::new("-")) {
        anyhow::bail!(
            "--beats -: the beat table cannot go to standard output; give a file path (.csv \
             or .parquet)"
        );
    }
    if let Some(p) = &args.beats {
        outputs.push(Named {
            option: "--beats",
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
    let mut scenario = read_scenario(&args.scenario)?;
    if let Some(s) = args.series_interval_s {
        // Checked by the scenario's own validation, which names the key; the context says
        // that the value came from the flag, not from the file.
        scenario.simulation.series_interval_s = Some(s);
    }
    let built = build(&scenario).with_context(|| match args.series_interval_s {
        Some(s) => format!(
            "in {} with --series-interval-s {s} (the flag sets simulation.series_interval_s)",
            args.scenario.display()
        ),
        None => format!("in {}", args.scenario.display()),
    })?;
    // Checked before the run, against the columns the run's series will have.
    let selection = match &args.columns {
        Some(names) => Some(select_columns(Series::new(&built.model).columns(), names)?),
        None => None,
    };
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
        let series = out.series.as_ref().expect("series requested");
        match &selection {
            Some(names) => write_table(
                path,
                &Selected {
                    series,
                    names: names.clone(),
                },
                "series file",
            )?,
            None => write_series(path, series)?,
        }
    }
    if let Some(path) = &args.beats {
        let starts: Vec<f64> = summary.phases.iter().map(|p| p.start_s).collect();
        write_table(
            path,
            &Series::beat_table(&out.beats, &starts, Some(out.final_model.params())),
            "beat table",
        )?;
    }
    if let Some(dir) = &args.plot {
        write_plots(dir, &out, &args.scenario)?;
    }
    match args.summary_json.as_deref() {
        Some("-") => {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, summary)?;
            writeln!(stdout)?;
            stdout.flush()?;
        }
        Some(path) => write_file(Path::new(path), |w| {
            serde_json::to_writer_pretty(&mut *w, summary)?;
            writeln!(w)?;
            Ok(())
        })
        .with_context(|| format!("cannot write summary file {path}"))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            print_human(&mut stdout, summary)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

fn write_series(path: &Path, series: &Series) -> Result<()> {
    write_table(path, series, "series file")
}

/// Writes a table as Parquet (extension `.parquet`, any case) or CSV, through a temporary
/// file renamed over `path`.
fn write_table(path: &Path, table: &impl WriteTable, what: &str) -> Result<()> {
    if has_extension(path, "parquet") {
        return write_file_at(path, |tmp| Ok(write_parquet(tmp, table)?))
            .with_context(|| format!("cannot write {what} {}", path.display()));
    }
    write_file(path, |w| Ok(table.csv(&mut *w)?))
        .with_context(|| format!("cannot write {what} {}", path.display()))
}

/// A table the CLI writes: Parquet through [`Columns`], CSV through `csv`.
trait WriteTable: Columns {
    fn csv(&self, out: &mut dyn Write) -> std::io::Result<()>;
}

impl WriteTable for Series {
    fn csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        self.write_csv(out)
    }
}

/// Some columns of a series, in a chosen order (`--columns`).
struct Selected<'a> {
    series: &'a Series,
    names: Vec<String>,
}

impl Columns for Selected<'_> {
    fn column_names(&self) -> Vec<String> {
        self.names.clone()
    }
    fn column_values(&self, name: &str) -> Option<Vec<f64>> {
        self.names
            .iter()
            .any(|n| n == name)
            .then(|| self.series.column(name))
            .flatten()
    }
    fn row_count(&self) -> usize {
        self.series.row_count()
    }
}

impl WriteTable for Selected<'_> {
    /// Same format as [`Series::write_csv`]: a header, then full-precision numbers.
    fn csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let all = self.series.columns();
        let index: Vec<usize> = self
            .names
            .iter()
            .filter_map(|n| all.iter().position(|c| c == n))
            .collect();
        writeln!(out, "{}", self.names.join(","))?;
        for i in 0..self.series.len() {
            let row = self.series.row(i);
            for (k, &j) in index.iter().enumerate() {
                if k > 0 {
                    out.write_all(b",")?;
                }
                // A negative zero is written `0`, as `Series::write_csv` does.
                write!(out, "{}", row[j] + 0.0)?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}

/// The columns `--columns` asks for, `time_s` first unless listed: every name must be one of
/// `available` (the error names the unknown one and lists the valid ones); a name given twice
/// is kept once.
fn select_columns(available: &[String], asked: &[String]) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    if !asked.iter().any(|n| n.trim() == "time_s") {
        names.push("time_s".into());
    }
    for name in asked.iter().map(|n| n.trim()) {
        if name.is_empty() {
            anyhow::bail!("--columns: an empty column name (two commas, or a trailing comma)");
        }
        if !available.iter().any(|c| c == name) {
            anyhow::bail!(
                "--columns: unknown column \"{name}\"; the valid columns for this scenario are: {}",
                available.join(", ")
            );
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Ok(names)
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
    let mut plotted = write_all_plots(&tmp.0, series, &phase_refs, 5.0)
        .with_context(|| format!("cannot write plots into {}", dir.display()))?;
    // The whole run, beat by beat (the figures above show the last 5 s).
    let starts: Vec<f64> = out.summary.phases.iter().map(|p| p.start_s).collect();
    let beats = Series::beat_table(&out.beats, &starts, Some(out.final_model.params()));
    let events: Vec<(f64, &str)> = out
        .summary
        .phases
        .iter()
        .map(|p| (p.start_s, p.label.as_str()))
        .collect();
    plotted.add(
        ecmova_report::trends(&tmp.0, &beats, &events, ecmova_report::DEFAULT_SIZE)
            .with_context(|| format!("cannot write plots into {}", dir.display()))?,
    );
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

/// An enum value of the JSON (`abdominal_aorta`, `prerequisites_incomplete`) in words.
fn words(value: &str) -> String {
    value.replace('_', " ")
}

/// The human summary: rounded for reading, the circuit when there is one, the alarms and
/// any weaning verdict.
fn print_human(w: &mut impl Write, s: &Summary) -> std::io::Result<()> {
    let steady = s
        .steady_state_beat
        .map_or("not reached".to_string(), |b| format!("at beat {b}"));
    writeln!(
        w,
        "ecmova {} · preset {} · {:.1} s simulated, {} beats, steady state {steady}",
        s.ecmova_version, s.preset, s.simulated_s, s.beats_simulated
    )?;
    let Some(m) = &s.metrics else {
        writeln!(w, "no complete heart beat yet: simulate longer")?;
        return Ok(());
    };
    let h = &m.haemodynamics;
    writeln!(
        w,
        "(averaged over the last {} beats; rhythm {})",
        s.beats_averaged, s.rhythm
    )?;
    writeln!(w, "  HR             {:5.0} bpm", h.heart_rate_bpm)?;
    writeln!(
        w,
        "  ABP (R radial) {:5.0}/{:.0} ({:.0}) mmHg   femoral MAP {:.0} mmHg",
        h.sbp_mmhg, h.dbp_mmhg, h.map_mmhg, h.map_femoral_mmhg
    )?;
    writeln!(
        w,
        "  PA             {:5.0}/{:.0} ({:.0}) mmHg",
        h.pa_systolic_mmhg, h.pa_diastolic_mmhg, h.pa_mean_mmhg
    )?;
    writeln!(
        w,
        "  CVP            {:5.1} mmHg   LAP (PCWP) {:.1} mmHg",
        h.cvp_mmhg, h.lap_mmhg
    )?;
    writeln!(
        w,
        "  LV             EDV {:.0} mL  ESV {:.0} mL  EF {:.0} %  EDP {:.1} mmHg",
        h.lvedv_ml, h.lvesv_ml, h.lvef_percent, h.lvedp_mmhg
    )?;
    writeln!(
        w,
        "  CO (native)    {:5.2} L/min  total {:.2} L/min  CPO {:.2} W  aortic valve opening {:.0} % of beats",
        h.cardiac_output_l_min,
        h.total_flow_l_min,
        h.cardiac_power_output_w,
        100.0 * h.aortic_valve_opening_fraction
    )?;
    if let (Some(c), Some(set)) = (&m.circuit, &s.circuit_settings) {
        writeln!(
        w,
            "  ECMO           {} · {} · {:.0} rpm · flow {:.2} L/min · sweep {:.1} L/min · FdO2 {:.0} %",
            set.cannulation,
            if set.ecmo_running { "running" } else { "clamped" },
            set.pump_rpm_setting,
            c.ecmo_flow_l_min,
            set.sweep_l_min,
            100.0 * set.fdo2
        )?;
        writeln!(
        w,
            "  circuit        drainage {:.0} mmHg · pre-oxygenator {:.0} mmHg · post {:.0} mmHg · ΔP {:.0} mmHg",
            c.drainage_pressure_mmhg,
            c.pre_oxygenator_pressure_mmhg,
            c.post_oxygenator_pressure_mmhg,
            c.oxygenator_dp_mmhg
        )?;
    }
    for (name, flow) in [
        ("Impella", m.impella_flow_l_min),
        ("LV vent", m.lv_vent_flow_l_min),
        ("septostomy", m.septostomy_flow_l_min),
    ] {
        if let Some(q) = flow {
            writeln!(w, "  {name:<14} {q:5.2} L/min")?;
        }
    }
    if let Some(g) = &m.gases {
        writeln!(
            w,
            "  SaO2           R radial {:.0} % · coronary {:.0} % · femoral {:.0} %   SvO2 {:.0} %",
            g.sao2_right_radial_percent,
            g.sao2_coronary_percent,
            g.sao2_femoral_percent,
            g.svo2_percent
        )?;
        // The arterial CO2 and pH per site: on femoral VA-ECMO the upper body gets the
        // heart's blood and the legs the circuit's, so the two can differ.
        writeln!(
            w,
            "  blood gas      PaO2 R radial {:.0} mmHg · PaCO2 R radial {:.0} / femoral {:.0} mmHg · pH {:.2} / {:.2}",
            g.pao2_right_radial_mmhg,
            g.paco2_right_radial_mmhg,
            g.paco2_femoral_mmhg,
            g.ph_right_radial,
            g.ph_femoral
        )?;
    }
    if let Some(o) = &m.oxygenator_gases {
        writeln!(
            w,
            "  oxygenator     post-oxygenator PO2 {:.0} mmHg · PCO2 {:.0} mmHg",
            o.post_oxygenator_po2_mmhg, o.post_oxygenator_pco2_mmhg
        )?;
    }
    if let Some(zone) = &s.mixing_zone {
        // In words, as a clinician says it (`abdominal_aorta` is the JSON's enum value).
        writeln!(w, "  mixing zone    {}", words(zone))?;
    }
    if s.alarms.is_empty() {
        writeln!(w, "  alarms         none")?;
    }
    for a in &s.alarms {
        let severity = match a.severity {
            ecmova_scenario::alarms::Severity::Critical => "CRITICAL",
            ecmova_scenario::alarms::Severity::Warning => "warning ",
            ecmova_scenario::alarms::Severity::Advisory => "advisory",
        };
        // `since_s` is a time on the run's clock, not a duration.
        writeln!(
            w,
            "  {severity} {} since t = {:.0} s: {}",
            a.name, a.since_s, a.message
        )?;
    }
    if let Some(trial) = &s.weaning_trial {
        let verdict = trial
            .readiness
            .as_ref()
            .and_then(|r| r.as_str())
            .map_or("no step completed".to_string(), words);
        writeln!(
            w,
            "  weaning trial  {} step(s){} · verdict: {verdict}",
            trial.steps.len(),
            if trial.completed {
                ", completed"
            } else {
                ", running"
            }
        )?;
    }
    Ok(())
}
