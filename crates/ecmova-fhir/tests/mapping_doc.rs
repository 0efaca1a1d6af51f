//! The code tables of `src/mapping.rs` and their documented copy in `docs/fhir-mapping.md`
//! cannot drift apart: every code of the mapping has a row in the docs with its verification
//! status (a URL, or why it is not verified), and every row of the docs' code tables is a
//! code of the mapping (a removed code may only appear in the "removed code" table).

use ecmova_fhir::mapping::{ICD10_CONDITIONS, LOINC_FIELDS, SNOMED_CONDITIONS, SNOMED_PROCEDURES};
use std::collections::{BTreeMap, BTreeSet};

const DOC: &str = include_str!("../../../docs/fhir-mapping.md");

/// The rows of the markdown table whose header's first cell is `first_header`:
/// first cell → last cell.
fn table(first_header: &str) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    let mut inside = false;
    for line in DOC.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            inside = false;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if !inside {
            inside = cells[0] == first_header;
            if inside {
                assert_eq!(
                    cells.last().copied(),
                    Some("verified"),
                    "table {first_header}: last column must be \"verified\""
                );
            }
            continue;
        }
        if cells[0].starts_with("---") {
            continue;
        }
        let first = cells[0].to_string();
        let last = cells.last().unwrap().to_string();
        assert!(
            rows.insert(first.clone(), last).is_none(),
            "table {first_header}: {first} listed twice"
        );
    }
    assert!(!rows.is_empty(), "no table headed {first_header}");
    rows
}

fn check(what: &str, codes: &BTreeSet<String>, rows: &BTreeMap<String, String>) {
    for code in codes {
        let status = rows
            .get(code)
            .unwrap_or_else(|| panic!("{what} {code} is mapped but not in docs/fhir-mapping.md"));
        let ok = status
            .strip_prefix("verified: ")
            .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
            || (status.starts_with("unverified") && status.len() > "unverified".len());
        assert!(
            ok,
            "{what} {code}: verification status must be \"verified: <URL>\" or \"unverified (why)\", is {status:?}"
        );
    }
    for code in rows.keys() {
        assert!(
            codes.contains(code),
            "{what} {code} is documented but not in the mapping (a removed code belongs in the removed-code table)"
        );
    }
}

fn set<'a>(codes: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    codes.map(str::to_string).collect()
}

#[test]
fn every_mapped_code_is_documented_with_its_verification_status() {
    check(
        "LOINC",
        &set(LOINC_FIELDS.iter().map(|(c, ..)| *c)),
        &table("LOINC"),
    );
    check(
        "SNOMED CT condition",
        &set(SNOMED_CONDITIONS.iter().map(|(c, ..)| *c)),
        &table("SNOMED CT"),
    );
    check(
        "SNOMED CT procedure",
        &set(SNOMED_PROCEDURES.iter().map(|(c, ..)| *c)),
        &table("code (SNOMED CT)"),
    );
    // The T36-T50 block is a rule (`icd10_drug_poisoning`), not a prefix of the table.
    let mut icd = set(ICD10_CONDITIONS.iter().map(|(c, ..)| *c));
    icd.insert("T36–T50".into());
    check(
        "ICD-10 prefix",
        &icd,
        &table("ICD-10 / ICD-10-CM (prefix, dots removed)"),
    );
}

#[test]
fn snomed_codes_that_set_an_aetiology_or_a_contraindication_are_verified() {
    // Unverified codes may stay only where a mistake cannot set a diagnosis or a
    // contraindication (the brief of the review: remove such SNOMED CT codes instead).
    let rows = table("SNOMED CT");
    for (code, ..) in SNOMED_CONDITIONS {
        assert!(
            rows[*code].starts_with("verified: "),
            "SNOMED CT {code} sets a field but is not verified"
        );
    }
    let rows = table("code (SNOMED CT)");
    for (code, ..) in SNOMED_PROCEDURES {
        assert!(
            rows[*code].starts_with("verified: "),
            "SNOMED CT procedure {code} is not verified"
        );
    }
    let rows = table("ICD-10 / ICD-10-CM (prefix, dots removed)");
    for (code, ..) in ICD10_CONDITIONS {
        assert!(
            rows[*code].starts_with("verified: "),
            "ICD-10 {code} is not verified"
        );
    }
}

#[test]
fn removed_codes_are_not_mapped() {
    let removed = table_first_cells("removed code");
    assert!(!removed.is_empty());
    for cell in removed {
        for code in cell.split(',').map(str::trim) {
            let norm = code.replace('.', "");
            assert!(
                SNOMED_CONDITIONS.iter().all(|(c, ..)| *c != code)
                    && SNOMED_PROCEDURES.iter().all(|(c, ..)| *c != code)
                    && ICD10_CONDITIONS.iter().all(|(c, ..)| *c != norm),
                "{code} is listed as removed but is still in the mapping"
            );
        }
    }
}

/// First cells of the table headed `first_header` (a table without a "verified" column).
fn table_first_cells(first_header: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in DOC.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            inside = false;
            continue;
        }
        let first = line.trim_matches('|').split('|').next().unwrap().trim();
        if !inside {
            inside = first == first_header;
            continue;
        }
        if !first.starts_with("---") {
            out.push(first.to_string());
        }
    }
    out
}
