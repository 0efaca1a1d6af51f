//! `ecmova presets`: every built-in preset, one line each, with its description.

use std::process::Command;

fn presets(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ecmova"))
        .arg("presets")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn lists_every_preset_with_its_description() {
    let out = presets(&[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ecmova_engine::presets::NAMES.len(), "{text}");
    for (line, name) in lines.iter().zip(ecmova_engine::presets::NAMES) {
        let description = ecmova_scenario::build::preset_description(name).unwrap();
        assert!(line.starts_with(name), "{line}");
        assert!(line.ends_with(description), "{line}");
        assert!(!description.is_empty());
    }
}

#[test]
fn json_lists_name_and_description() {
    let out = presets(&["--json"]);
    assert!(out.status.success());
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ecmova_engine::presets::NAMES);
    assert!(list
        .iter()
        .all(|p| !p["description"].as_str().unwrap().is_empty()));
}
