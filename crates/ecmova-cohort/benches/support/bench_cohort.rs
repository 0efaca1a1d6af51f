//! The cohort of the throughput benchmark and of the `profile_cohort` example (one file, so
//! that the figure criterion measures and the figure callgrind counts come from one cohort):
//! acute-MI shock patients on femoro-femoral VA-ECMO with gases, log-normal LV contractility
//! and truncated-normal SVR, mode `duration`.

use ecmova_cohort::Cohort;

/// `patients` patients of `duration_s` simulated seconds each; `simulation` is extra text of
/// the `[base.simulation]` table (e.g. `max_step_s = 0.002`).
pub fn bench_cohort(patients: u64, duration_s: u64, simulation: &str) -> Cohort {
    let text = format!(
        r#"
[cohort]
name = "bench"
seed = 1
size = {patients}
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[base.ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3400
sweep_l_min = 3.5
fdo2 = 1.0

[base.simulation]
duration_s = {duration_s}
{simulation}

[[parameter]]
path = "patient.lv_contractility_scale"
distribution = "lognormal"
median = 1.0
sigma_log = 0.2
lower = 0.5
upper = 2.0

[[parameter]]
path = "patient.svr_scale"
distribution = "normal"
mean = 1.0
sd = 0.1
lower = 0.7
upper = 1.3
"#
    );
    Cohort::from_toml(&text, |_| unreachable!()).expect("bench cohort")
}
