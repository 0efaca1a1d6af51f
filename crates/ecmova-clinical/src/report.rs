//! Markdown rendering of an [`Assessment`] (a pure function: string in memory).

use crate::assess::{Assessment, Section, Status, TrialEligibility};
use crate::scores::{num, ScoreResult};
use std::fmt::Write;

fn score_md(out: &mut String, title: &str, s: &Section<ScoreResult>) {
    let _ = writeln!(out, "### {title}\n");
    match &s.result {
        None => {
            let _ = writeln!(
                out,
                "Not computed: {}\n",
                s.reason.as_deref().unwrap_or("-")
            );
        }
        Some(r) => {
            let outcome = r
                .outcome_percent()
                .map(|x| format!("{}%", num(x)))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "**Score {} (range {} to {}), class {}: {}** ({}).\n",
                r.score, r.range[0], r.range[1], r.class, outcome, r.outcome
            );
            let _ = writeln!(
                out,
                "| Item | Value | Criterion | Points |\n|---|---|---|---:|"
            );
            for i in &r.items {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:+} |",
                    i.item, i.value, i.criterion, i.points
                );
            }
            let _ = writeln!(out);
            for d in &r.derived {
                let _ = writeln!(
                    out,
                    "- Derived `{}` = {} from {} ({})",
                    d.field, d.value, d.derived_from, d.citation
                );
            }
            for w in &r.warnings {
                let _ = writeln!(out, "- Warning: {w}");
            }
            let _ = writeln!(out, "\nSource: {}\n", r.citation);
        }
    }
}

fn trial_lines(o: &mut String, t: &TrialEligibility) {
    for f in &t.failed {
        let _ = writeln!(o, "- fails: {f}");
    }
    for u in &t.unknown {
        let _ = writeln!(o, "- not given: {u}");
    }
    for m in &t.met {
        let _ = writeln!(o, "- meets: {m}");
    }
    if !t.not_checked.is_empty() {
        let _ = writeln!(
            o,
            "- never checked (not in the patient format): {}",
            t.not_checked.join("; ")
        );
    }
    let _ = writeln!(o, "\nSource: {}\n", t.citation);
}

/// Renders the assessment as a readable Markdown report: the verdict, its reasons and the
/// evidence date first.
pub fn markdown(a: &Assessment) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# VA-ECMO assessment{}\n",
        a.patient_id
            .as_deref()
            .map(|i| format!(": {i}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "**Verdict: {}** · evidence as of {} · timepoint {} ({})\n",
        a.verdict.words().to_uppercase(),
        a.evidence_as_of,
        a.timepoint.value.name(),
        a.timepoint.basis
    );
    let _ = writeln!(o, "{}\n", a.indication.summary);
    let _ = writeln!(o, "### Reasons\n");
    for r in &a.indication.reasons {
        let _ = writeln!(o, "- {} ({})", r.text, r.citation);
    }
    if !a.indication.what_would_have_to_change.is_empty() {
        let _ = writeln!(o, "\n### What would have to change\n");
        for c in &a.indication.what_would_have_to_change {
            let _ = writeln!(o, "- {c}");
        }
    }
    if !a.conflicts.is_empty() {
        let _ = writeln!(o, "\n### Conflicts between given values and labs\n");
        for c in &a.conflicts {
            let _ = writeln!(o, "- given {}; labs: {}; used: {}", c.given, c.labs, c.used);
        }
    }
    if !a.unit_conversions.is_empty() {
        let _ = writeln!(o, "\nUnits converted: {}.", a.unit_conversions.join("; "));
    }
    let _ = writeln!(o, "\n> {}\n", a.disclaimer);
    let _ = writeln!(o, "## Summary\n\n{}\n", a.summary);

    let _ = writeln!(o, "## SCAI SHOCK stage\n");
    match &a.scai.result {
        Some(s) => {
            let _ = writeln!(o, "**Stage {} ({})**\n", s.display, s.label);
            for c in &s.criteria_met {
                let _ = writeln!(
                    o,
                    "- {}: {} ({})",
                    c.stage.letter(),
                    c.criterion,
                    c.citation
                );
            }
            if s.criteria_met.is_empty() {
                let _ = writeln!(o, "- no combination of stage B-E findings");
            }
            if !s.findings.is_empty() {
                let _ = writeln!(
                    o,
                    "\nFindings (single values; not a stage by themselves):\n"
                );
                for f in &s.findings {
                    let _ = writeln!(
                        o,
                        "- {} (typical of stage {})",
                        f.finding,
                        f.typical_of.letter()
                    );
                }
            }
            let _ = writeln!(o, "\nPhenotype/aetiology: {}.", s.phenotype.join("; "));
            let _ = writeln!(o, "Risk modifiers: {}.", s.risk_modifiers.join("; "));
            if !s.not_assessed.is_empty() {
                let _ = writeln!(o, "Not assessed: {}.", s.not_assessed.join(", "));
            }
            let _ = writeln!(
                o,
                "\nStage mortality: {}% in-hospital ({}; {}).",
                num(s.stage_mortality.percent),
                s.stage_mortality.caveat,
                s.stage_mortality.citation
            );
            let _ = writeln!(o, "\nSource: {}\n", s.citation);
        }
        None => {
            let _ = writeln!(
                o,
                "Not computed: {}\n",
                a.scai.reason.as_deref().unwrap_or("-")
            );
        }
    }

    let _ = writeln!(o, "## Recommendations and evidence\n");
    for r in &a.indication.recommendations {
        let _ = writeln!(
            o,
            "- *{}*: {} (class {}, level {}; {})",
            r.applies_to, r.statement, r.class, r.level, r.citation
        );
    }
    for n in &a.indication.notes {
        let _ = writeln!(o, "- Evidence: {} ({})", n.text, n.citation);
    }
    if let Some(t) = &a.indication.microaxial_pump_option {
        let _ = writeln!(o, "\n### Microaxial flow pump option: {}\n", t.label);
        trial_lines(&mut o, t);
    }
    // Never an empty section: say why nothing is listed (on ECMO the indication question
    // does not apply; an undetermined stage names the missing field).
    if a.indication.recommendations.is_empty()
        && a.indication.notes.is_empty()
        && a.indication.microaxial_pump_option.is_none()
    {
        let _ = writeln!(
            o,
            "None listed for this verdict: {}.",
            a.indication.summary.trim_end_matches('.')
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Contraindications ({})\n\n| Kind | Contraindication | Status | Evidence |\n|---|---|---|---|", a.contraindications.source_citation);
    for c in &a.contraindications.items {
        let st = match c.status {
            Status::Present => "**PRESENT**",
            Status::Absent => "absent",
            Status::Unknown => "unknown",
            Status::Judgement => "judgement",
        };
        let _ = writeln!(o, "| {} | {} | {} | {} |", c.kind, c.name, st, c.evidence);
    }
    let _ = writeln!(o, "\nSource: {}\n", a.contraindications.source_citation);

    let _ = writeln!(o, "## ECPR criteria\n");
    if !a.ecpr.applicable {
        let _ = writeln!(o, "Not applicable: no cardiac arrest.\n");
    } else {
        let _ = writeln!(
            o,
            "ROSC status: {}.\n",
            a.ecpr.rosc_status.replace('_', " ")
        );
    }
    for t in &a.ecpr.trials {
        let _ = writeln!(o, "### {}: {}\n", t.trial, t.label);
        trial_lines(&mut o, t);
    }
    for n in &a.ecpr.notes {
        let _ = writeln!(o, "- {} ({})", n.text, n.citation);
    }
    let _ = writeln!(o);

    let _ = writeln!(
        o,
        "## Expected survival by aetiology\n\nRange {}-{}%.\n",
        num(a.expected_survival.range_percent[0]),
        num(a.expected_survival.range_percent[1])
    );
    for f in &a.expected_survival.figures {
        let _ = writeln!(
            o,
            "- {}: {}% {}{} ({})",
            f.etiology,
            num(f.percent),
            f.measure,
            f.control_arm
                .as_deref()
                .map(|c| format!("; control arm: {c}"))
                .unwrap_or_default(),
            f.citation
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Complications to anticipate\n");
    for c in &a.complications {
        let _ = writeln!(o, "### {} ({})\n", c.complication, c.concern);
        for f in &c.patient_factors {
            let _ = writeln!(o, "- patient factor: {f}");
        }
        for n in &c.facts {
            let _ = writeln!(o, "- {} ({})", n.text, n.citation);
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Scores\n");
    score_md(&mut o, "SAVE", &a.save);
    score_md(&mut o, "ENCOURAGE", &a.encourage);
    score_md(&mut o, "CardShock", &a.cardshock);
    score_md(&mut o, "TiPS65", &a.tips65);
    for l in &a.left_out {
        let _ = writeln!(o, "- {} left out: {}", l.score, l.reason);
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Weaning readiness\n");
    match &a.weaning.result {
        None => {
            let _ = writeln!(
                o,
                "Not computed: {}\n",
                a.weaning.reason.as_deref().unwrap_or("-")
            );
        }
        Some(w) => {
            let _ = writeln!(
                o,
                "**{}**\n\n| Kind | Criterion | Value | Threshold | Result |\n|---|---|---|---|---|",
                serde_json::to_value(w.readiness)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                    .unwrap_or_default()
            );
            for c in &w.criteria {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {}{} |",
                    c.kind,
                    c.criterion,
                    c.value,
                    c.threshold,
                    c.result,
                    if c.verified { "" } else { " (UNVERIFIED)" }
                );
            }
            let _ = writeln!(o);
            for r in &w.reasons {
                let _ = writeln!(o, "- {r}");
            }
            let _ = writeln!(o, "\nSource: {}\n", w.citation);
        }
    }
    o
}
