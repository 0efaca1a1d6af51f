//! Batch mode: one patient per CSV row. Columns are the patient keys (diagnoses separated by
//! `;` or `|`, empty cell = absent). The output holds the input columns, the result columns and
//! an `error` column. An invalid row is reported on stderr by its row number and in `error`;
//! the batch goes on, every row is written, and the exit code is non-zero if any row failed.

use crate::output::{check_paths, write_file, Named};
use anyhow::{bail, Context, Result};
use ecmova_clinical::wire::{patient_json_from_cells, unknown_keys};
use ecmova_clinical::{ClinicalError, Patient};
use std::io::{Read, Write};
use std::path::Path;

/// Counts of a finished batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchCounts {
    /// Data rows read.
    pub total: usize,
    /// Rows with invalid data (written with their `error` cell).
    pub failed: usize,
}

/// Runs `compute` on every row of `input`, writing to `out` (or stdout). `out` may not be the
/// input file; it is written to a temporary file renamed over `out` once every row is
/// written, so an interrupted batch leaves no truncated output.
pub fn run(
    input: &Path,
    out: Option<&Path>,
    result_headers: &[&str],
    compute: impl Fn(&Patient) -> Result<Vec<String>, ClinicalError>,
) -> Result<()> {
    if let Some(o) = out {
        check_paths(
            &[Named {
                option: "--csv",
                path: input,
            }],
            &[Named {
                option: "--out",
                path: o,
            }],
        )?;
    }
    let file = std::fs::File::open(input)
        .with_context(|| format!("cannot read CSV {}", input.display()))?;
    let name = input.display().to_string();
    let report_row = |row: usize, msg: &str| crate::note!("row {row}: {msg}");
    let counts = match out {
        Some(p) => {
            let mut counts = None;
            write_file(p, |w| {
                counts = Some(run_io(
                    file,
                    &name,
                    w,
                    result_headers,
                    &compute,
                    report_row,
                )?);
                Ok(())
            })
            .with_context(|| format!("cannot write {}", p.display()))?;
            counts.expect("set by a successful write")
        }
        None => run_io(
            file,
            &name,
            std::io::stdout().lock(),
            result_headers,
            &compute,
            report_row,
        )?,
    };
    let BatchCounts { total, failed } = counts;
    crate::note!(
        "{name}: {total} row(s), {} ok, {failed} with invalid data",
        total - failed
    );
    if failed > 0 {
        bail!("{failed} of {total} row(s) had invalid data (reported above by row number and in the `error` column); all rows were written");
    }
    Ok(())
}

/// Refuses a header row that names a column twice (after trimming), naming the key and both
/// column numbers (1-based): the second would silently replace the first.
pub fn check_duplicate_headers(headers: &[String]) -> Result<(), String> {
    let mut seen = std::collections::HashMap::new();
    for (k, h) in headers.iter().enumerate() {
        if let Some(first) = seen.insert(h.as_str(), k) {
            return Err(format!(
                "duplicate column `{h}` (columns {} and {}): each key may appear once",
                first + 1,
                k + 1
            ));
        }
    }
    Ok(())
}

/// The batch over any reader and writer: `name` labels the input in messages, `report_row`
/// receives each invalid row's number and message.
pub fn run_io<R: Read, W: Write>(
    input: R,
    name: &str,
    sink: W,
    result_headers: &[&str],
    compute: &impl Fn(&Patient) -> Result<Vec<String>, ClinicalError>,
    mut report_row: impl FnMut(usize, &str),
) -> Result<BatchCounts> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("cannot read the header row of {name}"))?
        .iter()
        .map(str::to_string)
        .collect();
    check_duplicate_headers(&headers)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{name}: header row"))?;
    let unknown = unknown_keys(headers.iter().map(String::as_str));
    if !unknown.is_empty() {
        return Err(ClinicalError::UnknownKeys { keys: unknown })
            .with_context(|| format!("{name}: header row"));
    }

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
                report_row(row, &msg);
                cells.extend(result_headers.iter().map(|_| String::new()));
                cells.push(msg);
            }
        }
        writer.write_record(&cells)?;
    }
    writer.flush()?;
    Ok(BatchCounts { total, failed })
}
