//! Prints a preset's parameters as Markdown tables (used to write the methodology doc).
use ecmova_engine::*;
fn main() {
    let name = std::env::args().nth(1).unwrap_or("healthy-adult".into());
    let p = presets::by_name(&name).expect("preset");
    println!("| compartment | kind | parameters | initial volume (mL) |\n|---|---|---|---|");
    for (c, v) in p.compartments.iter().zip(&p.initial_volumes_ml) {
        let d = match &c.kind {
            CompartmentKind::Vessel(x) => format!(
                "C {:.4} mL/mmHg, V0 {:.1} mL",
                x.compliance_ml_per_mmhg, x.unstressed_volume_ml
            ),
            CompartmentKind::Chamber(ch) => match ch.passive {
                Passive::Linear {
                    elastance_mmhg_per_ml,
                } => format!(
                    "E_max {:.4}, E_pass {:.4} mmHg/mL, V0 {:.2} mL, activation {}",
                    ch.ees_mmhg_per_ml, elastance_mmhg_per_ml, ch.v0_ml, ch.activation
                ),
                Passive::Exponential { a_mmhg, b_per_ml } => format!(
                    "Ees {:.3} mmHg/mL, V0 {:.1} mL, A {:.3} mmHg, B {:.4} /mL, activation {}",
                    ch.ees_mmhg_per_ml, ch.v0_ml, a_mmhg, b_per_ml, ch.activation
                ),
            },
        };
        let kind = match c.kind {
            CompartmentKind::Vessel(_) => "vessel",
            CompartmentKind::Chamber(_) => "chamber",
        };
        println!("| {} | {} | {} | {:.1} |", c.name, kind, d, v);
    }
    println!("\n| connection | from → to | kind | parameters |\n|---|---|---|---|");
    for c in &p.connections {
        let d = match &c.kind {
            ConnectionKind::Resistor(r) => (
                "resistor",
                format!("R {:.4} mmHg·s/mL", r.resistance_mmhg_s_per_ml),
            ),
            ConnectionKind::Segment(s) => (
                "segment",
                format!(
                    "R {:.5} mmHg·s/mL, L {:.5} mmHg·s²/mL",
                    s.resistance_mmhg_s_per_ml, s.inertance_mmhg_s2_per_ml
                ),
            ),
            ConnectionKind::Valve(v) => (
                "valve",
                format!(
                    "R_open {:.5} mmHg·s/mL, regurgitant G {:.2e} mL/(s·mmHg)",
                    v.open_resistance_mmhg_s_per_ml, v.regurgitant_conductance_ml_per_s_mmhg
                ),
            ),
        };
        println!(
            "| {} | {} → {} | {} | {} |",
            c.name, p.compartments[c.from].name, p.compartments[c.to].name, d.0, d.1
        );
    }
    println!(
        "\nHR {:.4} bpm; total blood volume {:.1} mL; activations {:?}",
        p.heart_rate_bpm,
        p.initial_blood_volume_ml(),
        p.activations
    );
}
