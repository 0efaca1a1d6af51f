//! Records the git revision for the cohort manifest: `ECMOVA_GIT_REVISION` if set (container
//! builds without `.git`), else `git rev-parse HEAD` with `-dirty` appended when tracked files
//! differ from that commit (the build is not of the commit it names), else `unknown`. Rebuilt
//! when HEAD, the branch it points to or the index moves (a commit, a checkout, a `git add`).
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=ECMOVA_GIT_REVISION");
    let rev = std::env::var("ECMOVA_GIT_REVISION")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            git(&["rev-parse", "HEAD"]).map(|rev| {
                // `git status` succeeds with empty output on a clean tree.
                let dirty = Command::new("git")
                    .args(["status", "--porcelain", "--untracked-files=no"])
                    .output()
                    .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
                if dirty {
                    format!("{rev}-dirty")
                } else {
                    rev
                }
            })
        })
        .unwrap_or_else(|| "unknown".into());
    for file in ["HEAD", "index"] {
        if let Some(path) = git(&["rev-parse", "--git-path", file]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rustc-env=ECMOVA_GIT_REVISION={rev}");
}
