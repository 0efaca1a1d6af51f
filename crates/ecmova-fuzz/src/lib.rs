//! # ecmova-fuzz: fuzzing on stable Rust
//!
//! `cargo fuzz` needs a nightly compiler; this crate fuzzes on stable with `proptest` as the
//! input generator and runner. Each target mutates a seed corpus taken from the repository's
//! `examples/` (scenario files, patient files, the registry CSV) with structure-aware edits
//! (a key set to an edge value, a key removed, an event or a device added, a preset swapped)
//! and with raw text edits (bytes deleted, inserted, lines duplicated), then runs the whole
//! pipeline on the result. A target *fails* on a panic or on a non-finite number in an
//! accepted input's output; physically impossible but finite outputs (a negative volume, a
//! saturation above 100 %) are *findings*: counted, written to the findings directory with
//! their reproducer, and fatal only with `ECMOVA_FUZZ_STRICT=1` (the engine's plausibility
//! guard is separate work, issue 13).
//!
//! Budget ([`Budget::from_env`]): by default a bounded, deterministic run of a fixed number of
//! cases (part of `cargo test`); with `ECMOVA_FUZZ_SECS=N` a timed run of N seconds from a
//! random seed (printed; `ECMOVA_FUZZ_SEED` replays it). `scripts/fuzz.sh` runs every target.
#![deny(missing_docs)]

pub mod mutate;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The repository's root (this crate lives in `crates/ecmova-fuzz`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// How long a target runs.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Stop after this long (timed runs), or after `cases` cases (bounded runs).
    pub deadline: Option<Duration>,
    /// Cases of a bounded run.
    pub cases: u64,
    /// RNG seed (32 bytes of ChaCha key, from a u64).
    pub seed: u64,
    /// Impossible outputs fail the target.
    pub strict: bool,
}

impl Budget {
    /// `ECMOVA_FUZZ_SECS` (timed) or `bounded_cases` (default, deterministic seed 0);
    /// `ECMOVA_FUZZ_SEED` fixes the seed, `ECMOVA_FUZZ_STRICT=1` makes findings fatal.
    pub fn from_env(bounded_cases: u64) -> Budget {
        let secs = std::env::var("ECMOVA_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0);
        let seed = std::env::var("ECMOVA_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_else(|| {
                if secs.is_some() {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos() as u64)
                        .unwrap_or(1)
                } else {
                    0
                }
            });
        Budget {
            deadline: secs.map(Duration::from_secs_f64),
            cases: bounded_cases,
            seed,
            strict: std::env::var("ECMOVA_FUZZ_STRICT").is_ok_and(|v| v == "1"),
        }
    }
}

/// What one case did, as counted in the report.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The input was refused (parse or validation error): the label says where.
    Rejected(String),
    /// Accepted and run; the label names a run error (e.g. `diverged`), if any.
    Ran(Option<String>),
}

/// A physically impossible (finite) output of an accepted input.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Short category (`negative_volume`, `saturation_out_of_range`...).
    pub kind: String,
    /// What was seen.
    pub detail: String,
}

/// The verdict of the property on one case.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Where the case ended.
    pub outcome: Outcome,
    /// Impossible outputs (not failures unless strict).
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// A refused input.
    pub fn rejected(stage: &str) -> Verdict {
        Verdict {
            outcome: Outcome::Rejected(stage.into()),
            findings: Vec::new(),
        }
    }
}

/// Counts of a target's run.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Cases generated and run (shrinking steps after a failure included).
    pub cases: u64,
    /// Failures: panics and non-finite outputs, with their minimal reproducer.
    pub failures: Vec<String>,
    /// Counts by outcome label.
    pub outcomes: BTreeMap<String, u64>,
    /// Counts by finding kind.
    pub findings: BTreeMap<String, u64>,
    /// Wall time, s.
    pub seconds: f64,
    /// Longest single case, s.
    pub slowest_s: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} cases in {:.1} s ({:.0}/s, slowest {:.2} s); failures (panic or non-finite): {}",
            self.cases,
            self.seconds,
            self.cases as f64 / self.seconds.max(1e-9),
            self.slowest_s,
            self.failures.len()
        )?;
        for (k, n) in &self.outcomes {
            writeln!(f, "  outcome {k}: {n}")?;
        }
        for (k, n) in &self.findings {
            writeln!(f, "  finding {k}: {n}")?;
        }
        for fail in &self.failures {
            writeln!(f, "  FAILURE: {fail}")?;
        }
        Ok(())
    }
}

/// Where reproducers go: `ECMOVA_FUZZ_FINDINGS`, else a directory under the system temp dir.
pub fn findings_dir(target: &str) -> PathBuf {
    let base = std::env::var_os("ECMOVA_FUZZ_FINDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ecmova-fuzz-findings"));
    base.join(target)
}

/// A case slower than this (s) is kept as a `slow_case` finding.
const SLOW_CASE_S: f64 = 2.0;

/// Stored reproducers per finding kind (the counts cover all of them).
const KEEP_PER_KIND: u64 = 5;

/// Runs `property` on inputs from `strategy` within `budget`. `show` renders an input as its
/// reproducer (the file text). Returns the report; the caller asserts on it.
pub fn drive<S>(
    target: &str,
    budget: &Budget,
    strategy: S,
    show: impl Fn(&S::Value) -> String,
    property: impl Fn(&S::Value) -> Result<Verdict, String>,
) -> Report
where
    S: Strategy,
{
    let started = Instant::now();
    let dir = findings_dir(target);
    let report = RefCell::new(Report::default());
    let chunk = 32u32;
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&budget.seed.to_le_bytes());
    let config = Config {
        cases: chunk,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    // A runner counts its successes across calls to `run`, so each chunk gets a fresh runner
    // whose RNG is drawn from this master (deterministic for a given seed).
    let mut master = TestRunner::new_with_rng(
        config.clone(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    eprintln!(
        "fuzz {target}: seed {} ({}), findings in {}",
        budget.seed,
        match budget.deadline {
            Some(d) => format!("{:.0} s", d.as_secs_f64()),
            None => format!("{} cases", budget.cases),
        },
        dir.display()
    );
    loop {
        let done = match budget.deadline {
            Some(d) => started.elapsed() >= d,
            None => report.borrow().cases >= budget.cases,
        };
        if done {
            break;
        }
        let mut runner = TestRunner::new_with_rng(config.clone(), master.new_rng());
        let result = runner.run(&strategy, |input| {
            report.borrow_mut().cases += 1;
            // The case being run, so that a hang can be found (`current.txt`).
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join("current.txt"), show(&input));
            let t0 = Instant::now();
            let verdict = property(&input).map_err(TestCaseError::fail)?;
            let took = t0.elapsed().as_secs_f64();
            let mut r = report.borrow_mut();
            r.slowest_s = r.slowest_s.max(took);
            if took > SLOW_CASE_S {
                let n = r.findings.entry("slow_case".into()).or_default();
                *n += 1;
                if *n <= KEEP_PER_KIND {
                    let _ = std::fs::write(
                        dir.join(format!("slow_case-{n}.txt")),
                        format!("# {took:.1} s\n{}", show(&input)),
                    );
                }
            }
            let label = match &verdict.outcome {
                Outcome::Rejected(s) => format!("rejected at {s}"),
                Outcome::Ran(None) => "ran".to_string(),
                Outcome::Ran(Some(e)) => format!("ran: {e}"),
            };
            *r.outcomes.entry(label).or_default() += 1;
            let strict_failure = budget.strict && !verdict.findings.is_empty();
            for f in &verdict.findings {
                let n = r.findings.entry(f.kind.clone()).or_default();
                *n += 1;
                if *n <= KEEP_PER_KIND {
                    let _ = std::fs::create_dir_all(&dir);
                    let _ = std::fs::write(
                        dir.join(format!("{}-{n}.txt", f.kind)),
                        format!("# {}\n{}", f.detail.replace('\n', " "), show(&input)),
                    );
                }
            }
            drop(r);
            if strict_failure {
                let f = &verdict.findings[0];
                return Err(TestCaseError::fail(format!(
                    "impossible output ({}): {}",
                    f.kind, f.detail
                )));
            }
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, input)) => {
                let n = report.borrow().failures.len() + 1;
                let _ = std::fs::create_dir_all(&dir);
                let path = dir.join(format!("failure-{n}.txt"));
                let _ = std::fs::write(&path, show(&input));
                report.borrow_mut().failures.push(format!(
                    "{reason} (minimal reproducer in {})",
                    path.display()
                ));
                if budget.deadline.is_none() {
                    break;
                }
            }
            Err(TestError::Abort(reason)) => {
                report
                    .borrow_mut()
                    .failures
                    .push(format!("runner aborted: {reason}"));
                break;
            }
        }
    }
    let mut r = report.into_inner();
    r.seconds = started.elapsed().as_secs_f64();
    eprintln!("fuzz {target}: {r}");
    r
}

/// Seed files of `examples/` (relative to the repository) whose name ends with `ext`,
/// as (file name, text), sorted by name.
pub fn seeds(subdir: &str, ext: &str) -> Vec<(String, String)> {
    let dir = repo_root().join("examples").join(subdir);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed corpus {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(ext))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}
