//! Batch mode: one patient per CSV row. Columns are the patient keys (diagnoses separated by
//! `;` or `|`, empty cell = absent). The output holds the input columns, the result columns and
//! an `error` column. An invalid row is reported on stderr by its row number and in `error`;
//! the batch goes on, every row is written, and the exit code is non-zero if any row failed.

use anyhow::{bail, Context, Result};
use ecmova_clinical::wire::{patient_json_from_cells, unknown_keys};
use ecmova_clinical::{ClinicalError, Patient};
use std::io::Write;
use std::path::Path;

/// Runs `compute` on every row of `input`, writing to `out` (or stdout).
pub fn run(
    input: &Path,
    out: Option<&Path>,
    result_headers: &[&str],
    compute: impl Fn(&Patient) -> Result<Vec<String>, ClinicalError>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(input)
        .with_context(|| format!("cannot read CSV {}", input.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("cannot read the header row of {}", input.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let unknown = unknown_keys(headers.iter().map(String::as_str));
    if !unknown.is_empty() {
        return Err(ClinicalError::UnknownKeys { keys: unknown })
            .with_context(|| format!("{}: header row", input.display()));
    }

    let sink: Box<dyn Write> = match out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = csv::Writer::from_writer(sink);
    let mut out_headers = headers.clone();
    out_headers.extend(result_headers.iter().map(|h| h.to_string()));
    out_headers.push("error".into());
    writer.write_record(&out_headers)?;

    let (mut total, mut failed) = (0usize, 0usize);
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        total += 1;
        let (mut cells, result): (Vec<String>, Result<Vec<String>, String>) = match record {
            Err(e) => (Vec::new(), Err(format!("unreadable CSV row: {e}"))),
            Ok(rec) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let cells: Vec<String> = rec.iter().map(str::to_string).collect();
                let r = if cells.len() > headers.len() {
                    Err(format!(
                        "{} cells but the header has {} columns",
                        cells.len(),
                        headers.len()
                    ))
                } else {
                    patient_json_from_cells(&headers, &cells)
                        .and_then(Patient::from_wire)
                        .and_then(|p| compute(&p))
                        .map_err(|e| e.to_string())
                };
                let r = r.map_err(|e| format!("line {line}: {e}"));
                (cells, r)
            }
        };
        cells.resize(headers.len(), String::new());
        match result {
            Ok(values) => {
                cells.extend(values);
                cells.push(String::new());
            }
            Err(msg) => {
                failed += 1;
                eprintln!("row {row}: {msg}");
                cells.extend(result_headers.iter().map(|_| String::new()));
                cells.push(msg);
            }
        }
        writer.write_record(&cells)?;
    }
    writer.flush()?;
    eprintln!(
        "{}: {total} row(s), {} ok, {failed} with invalid data",
        input.display(),
        total - failed
    );
    if failed > 0 {
        bail!("{failed} of {total} row(s) had invalid data (reported above by row number and in the `error` column); all rows were written");
    }
    Ok(())
}
