//! The cohort file shown in docs/cohort-format.md is a valid cohort as written (over the
//! example base scenario it names), so a researcher can start from it.

use ecmova_cohort::Cohort;
use std::path::Path;

#[test]
fn the_cohort_format_example_is_a_valid_cohort() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/cohort-format.md")).unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let text = &doc[start..end];
    let c = Cohort::from_toml(text, |name| {
        std::fs::read(root.join("examples").join(name)).map_err(|e| {
            ecmova_cohort::CohortError::Invalid {
                field: "cohort.base_file".into(),
                reason: format!("{name}: {e}"),
            }
        })
    })
    .unwrap_or_else(|e| panic!("docs/cohort-format.md example: {e}"));
    assert!(c.size > 0 && c.points() > 1, "a cohort with a sweep");
    assert!(!c.parameters.is_empty() && !c.metrics.is_empty());
}
