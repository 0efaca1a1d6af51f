//! Exploration probe (not shipped): prints summary keys for scenarios given as TOML files.
use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
fn main() {
    let keys = [
        "augmented_diastolic_pressure_mmhg",
        "sbp_aortic_root_mmhg",
        "dbp_aortic_root_mmhg",
        "hr_bpm",
        "map_mmhg",
        "sbp_mmhg",
        "dbp_mmhg",
        "cvp_mmhg",
        "lap_mmhg",
        "lvedp_mmhg",
        "lvedv_ml",
        "lvesv_ml",
        "lvef_percent",
        "lv_stroke_volume_ml",
        "cardiac_output_l_min",
        "ecmo_flow_l_min",
        "pa_systolic_mmhg",
        "pa_diastolic_mmhg",
        "pa_mean_mmhg",
        "rvedv_ml",
        "rvef_percent",
        "rvedp_mmhg",
        "drainage_pressure_mmhg",
        "aortic_valve_opening_fraction",
        "total_flow_l_min",
    ];
    for f in std::env::args().skip(1) {
        let text = if f.ends_with(".toml") {
            std::fs::read_to_string(&f).unwrap()
        } else {
            f.replace("\\n", "\n")
        };
        let sc = Scenario::from_toml(&text).expect("scenario");
        let built = build(&sc).expect("build");
        match run(&built, RunOptions::default()) {
            Ok(out) => {
                let v = summary_json(&built, &out);
                let v = if v["metrics"].is_object() {
                    v["metrics"].clone()
                } else {
                    v
                };
                let mut s = String::new();
                for k in keys {
                    if let Some(x) = v[k].as_f64() {
                        s += &format!("{k}={x:.1} ");
                    }
                }
                println!("{s} alarms={}", v["alarms"]);
                if std::env::var("DUMP").is_ok() {
                    let m = &out.final_model;
                    let st = &out.final_state;
                    let pr = st.pressures_mmhg();
                    let q = st.flows_ml_s();
                    for (i, c) in m.params().compartments.iter().enumerate() {
                        print!("{}={:.1}/{:.0} ", c.name, pr[i], st.volumes_ml()[i]);
                    }
                    println!();
                    for (j, c) in m.params().connections.iter().enumerate() {
                        print!("{}={:.0} ", c.name, q[j]);
                    }
                    println!();
                }
            }
            Err(e) => println!("ERR {e}"),
        }
    }
}
