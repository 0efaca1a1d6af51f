//! Records the git revision for the cohort manifest: `ECMOVA_GIT_REVISION` if set (container
//! builds without `.git`), else `git rev-parse HEAD`, else `unknown`.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ECMOVA_GIT_REVISION");
    let rev = std::env::var("ECMOVA_GIT_REVISION")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    if let Ok(head) = Command::new("git")
        .args(["rev-parse", "--git-path", "HEAD"])
        .output()
    {
        if let Ok(p) = String::from_utf8(head.stdout) {
            println!("cargo:rerun-if-changed={}", p.trim());
        }
    }
    println!("cargo:rustc-env=ECMOVA_GIT_REVISION={rev}");
}
