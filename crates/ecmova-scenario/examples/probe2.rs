//! Exploration probe (not shipped): finds the first non-finite state.
use ecmova_scenario::{build, Scenario};
fn main() {
    let text = std::env::args().nth(1).unwrap().replace("\\n", "\n");
    let built = build(&Scenario::from_toml(&text).unwrap()).unwrap();
    let model = &built.model;
    let mut st = ecmova_engine::State::new(model);
    let names: Vec<String> = model
        .params()
        .compartments
        .iter()
        .map(|c| c.name.clone())
        .collect();
    println!(
        "init {:?}",
        st.volumes_ml()
            .iter()
            .zip(&names)
            .map(|(v, n)| format!("{n}={v:.0}"))
            .collect::<Vec<_>>()
    );
    if std::env::var("MINV").is_ok() {
        let mut mn = st.volumes_ml().to_vec();
        for _ in 0..60000 {
            ecmova_engine::step(model, &mut st);
            for (m, v) in mn.iter_mut().zip(st.volumes_ml()) {
                *m = m.min(*v);
            }
        }
        println!(
            "min volumes {:?}",
            names
                .iter()
                .zip(&mn)
                .map(|(n, v)| format!("{n}={v:.2}"))
                .collect::<Vec<_>>()
        );
        return;
    }
    for k in 0..2000 {
        let prev = st.clone();
        ecmova_engine::step(model, &mut st);
        if !st.is_finite() || k % 100 == 0 {
            let v = prev.volumes_ml();
            let p = prev.pressures_mmhg();
            println!(
                "t={:.3} {:?}",
                prev.time_s(),
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{n}={:.0}/{:.1}", v[i], p[i]))
                    .collect::<Vec<_>>()
            );
            if !st.is_finite() {
                let y = st.vector();
                println!(
                    "nonfinite idx {:?}",
                    y.iter()
                        .enumerate()
                        .filter(|(_, x)| !x.is_finite())
                        .map(|(i, _)| i)
                        .take(10)
                        .collect::<Vec<_>>()
                );
                break;
            }
        }
    }
}
