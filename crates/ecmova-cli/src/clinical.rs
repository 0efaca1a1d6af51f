//! `ecmova score` and `ecmova assess`: the command-line edge of `ecmova-clinical`.
//!
//! Reads the patient file (JSON) or a registry CSV export, and prints JSON, Markdown or CSV.
//! All clinical logic lives in the library; this module only does I/O and formatting.

mod batch;

use crate::note;
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use ecmova_clinical::assess::{assess, Assessment, Eligibility, Status};
use ecmova_clinical::scores::{cardshock, encourage, save, tips65};
use ecmova_clinical::{report, ClinicalError, Patient, ScoreResult};
use std::path::{Path, PathBuf};

/// Score subcommands.
#[derive(Debug, Subcommand)]
pub enum ScoreCommand {
    /// SAVE score (Schmidt 2015): survival to discharge after VA-ECMO for cardiogenic shock.
    Save(ScoreArgs),
    /// ENCOURAGE score (Muller 2016): 6-month survival, AMI with shock on VA-ECMO.
    Encourage(ScoreArgs),
    /// CardShock risk score (Harjola 2015): in-hospital mortality of cardiogenic shock.
    Cardshock(ScoreArgs),
    /// TiPS65 (Okada 2020): 30-day favourable neurological outcome after ECPR.
    Tips65(ScoreArgs),
}

/// Arguments shared by score subcommands: one patient JSON file, or `--csv` for a batch.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Patient JSON file (see docs/patient-format.md).
    #[arg(required_unless_present = "csv", conflicts_with = "csv")]
    pub file: Option<PathBuf>,
    /// Score every row of a registry CSV export (columns = patient keys).
    #[arg(long, value_name = "IN.csv")]
    pub csv: Option<PathBuf>,
    /// Batch output file (default, or `-`: standard output).
    #[arg(long, value_name = "OUT.csv", requires = "csv")]
    pub out: Option<PathBuf>,
}

/// Output format of `ecmova assess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The whole assessment as JSON.
    Json,
    /// A readable Markdown report.
    Markdown,
}

/// Arguments of `ecmova assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Patient JSON file (see docs/patient-format.md).
    #[arg(required_unless_present_any = ["csv", "fhir"], conflicts_with_all = ["csv", "fhir"])]
    pub file: Option<PathBuf>,
    /// A FHIR R4 Bundle (JSON) instead of a patient file (see docs/fhir-mapping.md); the
    /// output adds `fhir_mapping`, what was used and what was not.
    #[arg(long, value_name = "BUNDLE.json", conflicts_with = "csv")]
    pub fhir: Option<PathBuf>,
    /// Assessment time for --fhir (FHIR dateTime with zone, e.g. 2026-03-01T12:00:00Z): the
    /// latest value at or before it wins. Default: Bundle.timestamp, else now.
    #[arg(long, value_name = "TIMESTAMP", requires = "fhir")]
    pub at: Option<String>,
    /// Output format for a single patient.
    #[arg(long, value_enum, default_value_t = Format::Json, conflicts_with = "csv")]
    pub format: Format,
    /// Assess every row of a registry CSV export; writes one summary row per patient.
    #[arg(long, value_name = "IN.csv")]
    pub csv: Option<PathBuf>,
    /// Batch output file (default, or `-`: standard output).
    #[arg(long, value_name = "OUT.csv", requires = "csv")]
    pub out: Option<PathBuf>,
}

type ScoreFn = fn(&Patient) -> Result<ScoreResult, ClinicalError>;

fn load_patient(path: &Path) -> Result<Patient> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read patient file {}", path.display()))?;
    Patient::from_json(&text).with_context(|| format!("invalid patient file {}", path.display()))
}

/// Runs `ecmova score ...`.
pub fn run_score(cmd: ScoreCommand) -> Result<()> {
    let (f, outcome_column, args): (ScoreFn, &str, ScoreArgs) = match cmd {
        ScoreCommand::Save(a) => (save::save, "survival_percent", a),
        ScoreCommand::Encourage(a) => (encourage::encourage, "survival_6m_percent", a),
        ScoreCommand::Cardshock(a) => (cardshock::cardshock, "in_hospital_mortality_percent", a),
        ScoreCommand::Tips65(a) => (tips65::tips65, "cpc_1_2_30d_percent", a),
    };
    if let Some(csv) = &args.csv {
        let headers = ["score", "class", outcome_column, "derived", "warnings"];
        return batch::run(csv, args.out.as_deref(), &headers, |p| {
            let r = f(p)?;
            Ok(vec![
                r.score.to_string(),
                r.class.clone(),
                r.outcome_percent().map(fmt_num).unwrap_or_default(),
                r.derived
                    .iter()
                    .map(|d| format!("{}={}", d.field, d.value))
                    .collect::<Vec<_>>()
                    .join(";"),
                r.warnings.join(";"),
            ])
        });
    }
    let path = args
        .file
        .context("a patient FILE or --csv IN.csv is required")?;
    let patient = load_patient(&path)?;
    let result = f(&patient).with_context(|| format!("cannot score {}", path.display()))?;
    print_stdout(&serde_json::to_string_pretty(&result)?, true)
}

/// Runs `ecmova assess ...`.
pub fn run_assess(args: AssessArgs) -> Result<()> {
    if let Some(csv) = &args.csv {
        let headers = [
            "verdict",
            "evidence_as_of",
            "timepoint",
            "scai_stage",
            "absolute_contraindications",
            "relative_contraindications",
            "ecpr_arrest",
            "ecpr_prague_ohca",
            "ecpr_inception",
            "ecpr_elso_2021",
            "conflicts",
            "survival_range_percent",
            "save_score",
            "save_class",
            "encourage_score",
            "encourage_class",
            "weaning",
        ];
        return batch::run(csv, args.out.as_deref(), &headers, |p| {
            Ok(summary_row(&assess(p)))
        });
    }
    if args.at.is_some() && args.fhir.is_none() {
        anyhow::bail!(
            "--at sets the assessment time of a FHIR Bundle: it needs --fhir BUNDLE.json"
        );
    }
    if let Some(bundle) = &args.fhir {
        return run_assess_fhir(bundle, args.at.as_deref(), args.format);
    }
    let path = args
        .file
        .context("a patient FILE, --fhir BUNDLE.json or --csv IN.csv is required")?;
    let patient = load_patient(&path)?;
    let a = assess(&patient);
    match args.format {
        Format::Json => print_stdout(&serde_json::to_string_pretty(&a)?, true),
        Format::Markdown => print_stdout(&report::markdown(&a), false),
    }
}

/// `ecmova assess --fhir BUNDLE.json [--at TIMESTAMP]`.
fn run_assess_fhir(path: &Path, at: Option<&str>, format: Format) -> Result<()> {
    use ecmova_fhir::{time, AssessmentTime, FhirError};
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read FHIR Bundle {}", path.display()))?;
    let at = match at {
        Some(s) => AssessmentTime::Given(time::parse(s).map_err(|e| anyhow::anyhow!("--at: {e}"))?),
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            AssessmentTime::BundleOr(now)
        }
    };
    let a = match ecmova_fhir::assess_bundle_json(&text, at) {
        Ok(a) => a,
        Err(e) => {
            if let FhirError::Clinical { report, .. } = &e {
                note!("{}", ecmova_fhir::report_markdown(report));
            }
            return Err(e).with_context(|| format!("cannot assess FHIR Bundle {}", path.display()));
        }
    };
    match format {
        Format::Json => print_stdout(&serde_json::to_string_pretty(&a)?, true),
        Format::Markdown => {
            let md =
                report::markdown(&a.assessment) + &ecmova_fhir::report_markdown(&a.fhir_mapping);
            print_stdout(&md, false)
        }
    }
}

/// Writes `text` (and a newline) to standard output; a closed pipe is an error that `main`
/// recognises and ends quietly (`println!` would panic).
fn print_stdout(text: &str, newline: bool) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if newline {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

fn summary_row(a: &Assessment) -> Vec<String> {
    let trial = |name: &str| {
        a.ecpr
            .trials
            .iter()
            .find(|t| t.trial == name)
            .map(|t| match t.eligibility {
                Eligibility::MeetsCheckedCriteria => t.label.clone(),
                Eligibility::DoesNotMeet => format!("{}: {}", t.label, t.failed.join("; ")),
                Eligibility::Undetermined => format!("{}: {}", t.label, t.unknown.join("; ")),
            })
            .unwrap_or_else(|| "not applicable".into())
    };
    let score = |s: &ecmova_clinical::assess::Section<ScoreResult>| match &s.result {
        Some(r) => (r.score.to_string(), r.class.clone()),
        None => (String::new(), String::new()),
    };
    let (ss, sc) = score(&a.save);
    let (es, ec) = score(&a.encourage);
    let json_word = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
    vec![
        json_word(serde_json::to_value(a.verdict).unwrap_or_default()),
        a.evidence_as_of.to_string(),
        a.timepoint.value.name().to_string(),
        a.scai
            .result
            .as_ref()
            .map_or_else(|| "not computed".into(), |s| s.display.clone()),
        contraindication_cell(a, true),
        contraindication_cell(a, false),
        trial("ARREST"),
        trial("Prague OHCA"),
        trial("INCEPTION"),
        trial("ELSO 2021 ECPR selection"),
        a.conflicts
            .iter()
            .map(|c| format!("{} vs {}: used {}", c.given, c.labs, c.used))
            .collect::<Vec<_>>()
            .join("; "),
        format!(
            "{}-{}",
            fmt_num(a.expected_survival.range_percent[0]),
            fmt_num(a.expected_survival.range_percent[1])
        ),
        ss,
        sc,
        es,
        ec,
        a.weaning.result.as_ref().map_or_else(
            || "not computed".into(),
            |w| json_word(serde_json::to_value(w.readiness).unwrap_or_default()),
        ),
    ]
}

/// The absolute (`absolute`) or the other contraindications of a batch row: those present
/// (`;`-separated), then `unknown: ...` for those whose data was not given, `none` only when
/// every one was checked and none is present. An empty cell would read as "none" for a
/// registry that lacks the fields: missing data is unknown, never no.
fn contraindication_cell(a: &Assessment, absolute: bool) -> String {
    let c = &a.contraindications;
    let present = if absolute {
        &c.absolute_present
    } else {
        &c.relative_present
    };
    let unknown: Vec<&str> = c
        .items
        .iter()
        .filter(|i| (i.kind == "absolute") == absolute && i.status == Status::Unknown)
        .map(|i| i.name)
        .collect();
    let mut parts = Vec::new();
    if !present.is_empty() {
        parts.push(present.join(";"));
    }
    if !unknown.is_empty() {
        parts.push(format!("unknown: {}", unknown.join(";")));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" | ")
    }
}
