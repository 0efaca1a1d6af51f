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

/// Runs `compute` on every row of `input`, writing to `out` (or stdout, also for `-`, as
/// `--summary-json -` means). `out` may not be the input file; it is written to a temporary
/// file renamed over `out` once every row is written, so an interrupted batch leaves no
/// truncated output.
pub fn run(
    input: &Path,
    out: Option<&Path>,
    result_headers: &[&str],
    compute: impl Fn(&Patient) -> Result<Vec<String>, ClinicalError>,
) -> Result<()> {
    let out = out.filter(|p| p.as_os_str() != "-");
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

/// Fuzz target: the CSV batch reader (`score --csv`, `assess --csv`), in process.
///
/// Seed: `examples/patients/registry.csv`. Each case edits the seed as a table (cells set to
/// numbers, words, booleans, quotes or nothing; columns renamed, duplicated or dropped; rows
/// added, cut or lengthened), writes it as CSV, optionally edits the raw text, then runs the
/// batch with SAVE and with the full assessment.
///
/// Property: no panic; an accepted header gives one output row per input record, each with
/// every column, and the counts add up. `ECMOVA_FUZZ_SECS` turns it into a timed run
/// (`scripts/fuzz.sh`).
#[cfg(test)]
mod fuzz {
    use super::*;
    use ecmova_clinical::assess::assess;
    use ecmova_clinical::scores::save;
    use ecmova_clinical::wire::FIELDS;
    use ecmova_fuzz::mutate::{self, apply_text, TextEdit};
    use ecmova_fuzz::{drive, seeds, Budget, Outcome, Verdict};
    use proptest::prelude::*;

    const BOUNDED_CASES: u64 = 1000;
    const CELLS: &[&str] = &[
        "",
        "0",
        "1",
        "-1",
        "45",
        "70.5",
        "1e308",
        "-1e308",
        "nan",
        "inf",
        "NaN",
        "true",
        "false",
        "yes",
        "no",
        "male",
        "female",
        "myocarditis",
        "acute_myocardial_infarction",
        "myocarditis;other",
        "a|b",
        "\"",
        "\"\"",
        "x,y",
        "\n",
        " 42 ",
        "é",
        "\u{0}",
    ];

    #[derive(Debug, Clone)]
    enum Edit {
        Cell { row: u32, col: u32, cell: usize },
        Rename { col: u32, field: usize },
        Duplicate { col: u32 },
        Drop { col: u32 },
        Extra { row: u32, n: u8 },
        Cut { row: u32, keep: u32 },
        Repeat { row: u32, n: u8 },
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            6 => (any::<u32>(), any::<u32>(), 0..CELLS.len())
                .prop_map(|(row, col, cell)| Edit::Cell { row, col, cell }),
            1 => (any::<u32>(), 0..FIELDS.len()).prop_map(|(col, field)| Edit::Rename { col, field }),
            1 => any::<u32>().prop_map(|col| Edit::Duplicate { col }),
            1 => any::<u32>().prop_map(|col| Edit::Drop { col }),
            1 => (any::<u32>(), 1u8..4).prop_map(|(row, n)| Edit::Extra { row, n }),
            1 => (any::<u32>(), any::<u32>()).prop_map(|(row, keep)| Edit::Cut { row, keep }),
            1 => (any::<u32>(), 1u8..20).prop_map(|(row, n)| Edit::Repeat { row, n }),
        ]
    }

    fn cases() -> impl Strategy<Value = String> {
        let (_, text) = seeds("patients", ".csv")
            .into_iter()
            .find(|(n, _)| n == "registry.csv")
            .expect("registry.csv seed");
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let table: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        (
            prop::collection::vec(edit(), 0..8),
            prop_oneof![
                4 => Just(Vec::<TextEdit>::new()),
                1 => prop::collection::vec(mutate::text_edit(), 1..3),
            ],
        )
            .prop_map(move |(edits, text_edits)| {
                let mut t = table.clone();
                for e in &edits {
                    let rows = t.len().max(1);
                    match e {
                        Edit::Cell { row, col, cell } => {
                            let r = &mut t[*row as usize % rows];
                            if !r.is_empty() {
                                let n = r.len();
                                r[*col as usize % n] = CELLS[*cell].to_string();
                            }
                        }
                        Edit::Rename { col, field } => {
                            if let Some(h) = t.first_mut().filter(|h| !h.is_empty()) {
                                let n = h.len();
                                h[*col as usize % n] = FIELDS[*field].0.to_string();
                            }
                        }
                        Edit::Duplicate { col } | Edit::Drop { col } => {
                            let n = t.first().map_or(0, Vec::len);
                            if n == 0 {
                                continue;
                            }
                            let c = *col as usize % n;
                            for r in t.iter_mut().filter(|r| c < r.len()) {
                                if matches!(e, Edit::Duplicate { .. }) {
                                    let v = r[c].clone();
                                    r.push(v);
                                } else {
                                    r.remove(c);
                                }
                            }
                        }
                        Edit::Extra { row, n } => {
                            let r = &mut t[*row as usize % rows];
                            r.extend((0..*n).map(|_| "1".to_string()));
                        }
                        Edit::Cut { row, keep } => {
                            let r = &mut t[*row as usize % rows];
                            let k = *keep as usize % (r.len() + 1);
                            r.truncate(k);
                        }
                        Edit::Repeat { row, n } => {
                            if t.len() > 1 {
                                let i = 1 + *row as usize % (t.len() - 1);
                                let r = t[i].clone();
                                for _ in 0..*n {
                                    t.push(r.clone());
                                }
                            }
                        }
                    }
                }
                let mut w = csv::WriterBuilder::new()
                    .flexible(true)
                    .from_writer(Vec::new());
                for r in &t {
                    w.write_record(r).unwrap();
                }
                let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
                apply_text(&text, &text_edits)
            })
    }

    fn property(text: &String) -> Result<Verdict, String> {
        let save_row = |p: &Patient| save::save(p).map(|r| vec![r.score.to_string(), r.class]);
        let assess_row = |p: &Patient| {
            let a = assess(p);
            Ok(vec![format!("{:?}", a.expected_survival.range_percent)])
        };
        let mut outcome = Outcome::Rejected("header".into());
        for (label, headers) in [
            ("save", &["score", "class"][..]),
            ("assess", &["range"][..]),
        ] {
            let mut out = Vec::new();
            let mut reported = 0usize;
            let r = if label == "save" {
                run_io(
                    text.as_bytes(),
                    "fuzz",
                    &mut out,
                    headers,
                    &save_row,
                    |_, _| reported += 1,
                )
            } else {
                run_io(
                    text.as_bytes(),
                    "fuzz",
                    &mut out,
                    headers,
                    &assess_row,
                    |_, _| reported += 1,
                )
            };
            let Ok(counts) = r else { continue };
            if counts.failed != reported || counts.failed > counts.total {
                return Err(format!(
                    "{label}: counts {counts:?}, {reported} rows reported"
                ));
            }
            // Every input record gives exactly one output row with every column.
            let mut rd = csv::ReaderBuilder::new().from_reader(&out[..]);
            let width = rd
                .headers()
                .map_err(|e| format!("{label}: output header: {e}"))?
                .len();
            let mut rows = 0;
            for rec in rd.records() {
                let rec = rec.map_err(|e| format!("{label}: output row unreadable: {e}"))?;
                if rec.len() != width {
                    return Err(format!(
                        "{label}: output row {rows} has {} of {width} cells",
                        rec.len()
                    ));
                }
                rows += 1;
            }
            if rows != counts.total {
                return Err(format!(
                    "{label}: {} records in, {rows} rows out",
                    counts.total
                ));
            }
            outcome = Outcome::Ran(Some(if counts.failed == 0 {
                "all rows valid".into()
            } else {
                "some rows invalid".into()
            }));
        }
        Ok(Verdict {
            outcome,
            findings: Vec::new(),
        })
    }

    #[test]
    fn fuzz_csv_batch() {
        let budget = Budget::from_env(BOUNDED_CASES);
        let report = drive("csv", &budget, cases(), |t| t.clone(), property);
        assert!(report.failures.is_empty(), "{report}");
        let ran: u64 = report
            .outcomes
            .iter()
            .filter(|(k, _)| k.starts_with("ran"))
            .map(|(_, n)| n)
            .sum();
        assert!(ran * 4 >= report.cases, "{report}");
    }
}
