//! `ecmova cohort FILE --out DIR` and `ecmova cohort merge DIR... --out DIR`: glue over
//! `ecmova-cohort` (cohort files, sampling, runs, Parquet, manifests, shards, merge).

use crate::note;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ecmova_cohort::{merge, run_cohort, Cohort, Manifest, RunConfig, Shard};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Arguments of `ecmova cohort`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CohortArgs {
    #[command(subcommand)]
    pub command: Option<CohortCommand>,
    /// Cohort file (TOML, see docs/cohort-format.md).
    pub file: Option<PathBuf>,
    /// Output directory (results.parquet, beats.parquet with `[output] beats`, manifest.json,
    /// chunks/); a rerun resumes it.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only shard K of N (patients with index mod N = K). Without it, the shard comes
    /// from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX with
    /// ECMOVA_SHARD_COUNT when set, else the whole cohort.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Worker threads (default, or 0: one per core). Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// `ecmova cohort merge`.
#[derive(Debug, Subcommand)]
pub enum CohortCommand {
    /// Merge shard directories (same cohort, every shard once) into one.
    Merge(MergeArgs),
}

/// Arguments of `ecmova cohort merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard output directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Merged output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn report(m: &Manifest, dir: &std::path::Path) {
    let counts: Vec<String> = m
        .status_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let beats = m
        .beat_rows
        .map(|n| format!(" · {n} beat rows"))
        .unwrap_or_default();
    note!(
        "cohort {} · {} rows ({} patient{} × {} sweep point{}{}){beats} · {} · {:.1} s · {}",
        m.cohort_name,
        m.rows,
        m.patients,
        if m.patients == 1 { "" } else { "s" },
        m.points,
        if m.points == 1 { "" } else { "s" },
        if m.shard_count > 1 && m.shards.len() == 1 {
            format!(", shard {}/{}", m.shards[0], m.shard_count)
        } else {
            String::new()
        },
        counts.join(", "),
        m.wall_time_s,
        dir.display()
    );
}

/// Refuses an `--out` that exists and is not a directory, naming the flag (the operating
/// system's "File exists" or "Not a directory" names neither the flag nor what to do).
fn check_out_dir(out: &std::path::Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!(
            "--out {}: is a file, not a directory; give a directory (created if missing)",
            out.display()
        );
    }
    Ok(())
}

/// Runs `ecmova cohort`.
pub fn run_cohort_command(args: CohortArgs) -> Result<()> {
    if let Some(CohortCommand::Merge(m)) = args.command {
        check_out_dir(&m.out)?;
        let manifest = merge(&m.dirs, &m.out).context("cannot merge")?;
        report(&manifest, &m.out);
        return Ok(());
    }
    let Some(file) = args.file else {
        bail!("give a cohort file (ecmova cohort FILE.toml --out DIR) or `merge`");
    };
    let Some(out) = args.out else {
        bail!("--out DIR is required");
    };
    check_out_dir(&out)?;
    let cohort = Cohort::from_path(&file).with_context(|| format!("in {}", file.display()))?;
    let shard = match args.shard.as_deref() {
        Some(s) => Shard::parse(s)?,
        None => Shard::from_env(|k| std::env::var(k).ok())?.unwrap_or(Shard::WHOLE),
    };
    // `--threads 0`, like no flag, means one worker per core (rayon's default).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "cohort [{bar:40}] {pos}/{len} runs, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    // Without a terminal (a Slurm or Kubernetes log, a pipe), one line per tenth of the runs.
    let started = std::time::Instant::now();
    let tenths_logged = std::sync::atomic::AtomicU64::new(0);
    // The first call reports the runs resumed from chunk files: the ETA counts only the runs
    // computed since, or a resumed shard would promise to end far too soon.
    let resumed = std::sync::atomic::AtomicU64::new(u64::MAX);
    let progress = |done: u64, total: u64| {
        use std::sync::atomic::Ordering::Relaxed;
        let first = resumed
            .compare_exchange(u64::MAX, done, Relaxed, Relaxed)
            .is_ok();
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
            if first {
                b.reset_eta();
            }
        } else if total > 0 && done > 0 {
            let tenths = done * 10 / total;
            let before = tenths_logged.fetch_max(tenths, Relaxed);
            if tenths > before {
                let elapsed = started.elapsed().as_secs_f64();
                let computed = done.saturating_sub(resumed.load(Relaxed));
                let eta = if done < total && computed > 0 {
                    let left = elapsed * (total - done) as f64 / computed as f64;
                    format!(", ETA {left:.0} s")
                } else {
                    String::new()
                };
                note!(
                    "cohort: {done}/{total} runs ({} %), {elapsed:.0} s elapsed{eta}",
                    done * 100 / total,
                );
            }
        }
    };
    let manifest = pool.install(|| run_cohort(&cohort, &out, RunConfig { shard }, &progress))?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    report(&manifest, &out);
    Ok(())
}
