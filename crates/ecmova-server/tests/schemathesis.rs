//! API fuzzing against the generated OpenAPI document (issue 13): schemathesis (PyPI) runs
//! against a live server on loopback, reading `/api/v1/openapi.json`, and checks that no
//! answer is a 5xx (`not_a_server_error`) and every answer conforms to the document
//! (`response_schema_conformance`). Bounded: at most 10 examples per operation per phase,
//! 90 s in all, a fixed seed. `.ci/run` installs schemathesis, so CI runs it; locally the
//! test is skipped, saying so, when the `schemathesis` command is not installed
//! (`python3 -m pip install schemathesis`).

mod common;

use common::*;
use ecmova_server::Config;
use std::process::Command;

/// Whether the `schemathesis` command runs here.
fn schemathesis_installed() -> bool {
    Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_holds_its_openapi_document_under_fuzzing() {
    if !schemathesis_installed() {
        eprintln!(
            "SKIPPED: schemathesis is not installed (python3 -m pip install schemathesis); \
             .ci/run installs it so CI runs this test"
        );
        return;
    }
    let addr = start(Config::default()).await;
    let url = format!("http://{addr}/api/v1/openapi.json");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(["run", &url])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args(["--max-examples", "10", "--seed", "1", "--workers", "1"])
            .args(["--max-time", "90", "--wait-for-schema", "10"])
            .args(["--request-timeout", "30"])
            .env("NO_COLOR", "1")
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("schemathesis thread");
    let text = String::from_utf8_lossy(&out.stdout);
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    eprintln!("{}", tail.join("\n"));
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_alive(addr).await;
}
