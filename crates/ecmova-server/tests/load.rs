//! Bounded, self-stopping load test on loopback: many live sessions streaming at once, each
//! keeping real time, each streamed to two screens (the instructor's and the learner's token).
//! 50 sessions in release builds (the README's `cargo test --release`);
//! 10 in debug builds, whose engine is an order of magnitude slower. The figure for
//! `docs/performance.md` comes from `cargo run --release --example load` (20 s).

#[allow(dead_code)]
#[path = "../examples/load.rs"]
mod load;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sessions_keep_real_time() {
    let sessions = if cfg!(debug_assertions) { 10 } else { 50 };
    let opts = load::LoadOptions {
        sessions,
        seconds: 8.0,
        warmup_s: 2.0,
        preset: "cardiogenic-shock-ami".into(),
    };
    let addr = load::start_server(sessions).await;
    let report = load::run_load(addr, opts.clone()).await;
    load::print_report(&opts, &report);
    assert_eq!(report.sessions.len(), sessions);
    let (lo, _, hi) = report.ratios();
    assert!(
        lo >= 0.95,
        "a session fell behind real time: min ratio {lo}"
    );
    assert!(
        hi <= 1.05,
        "a session ran ahead of real time: max ratio {hi}"
    );
    for s in &report.sessions {
        assert!(s.frames >= 100, "{s:?}");
    }
    // Every session also feeds a learner's screen at the same rate.
    assert_eq!(report.learners.len(), sessions);
    for s in &report.learners {
        assert!(s.frames >= 100, "learner {s:?}");
    }
}
