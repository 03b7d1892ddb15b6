//! The IPC surface agrees with itself: the commands listed once in
//! `command_list.rs` are the ones the capability file grants, the ones the UI
//! calls, and a superset of the ones the browser tests' fake shell answers.

use std::collections::BTreeSet;

const COMMANDS: &[&str] = app_commands!(command_names);
const CAPABILITY: &str = include_str!("../capabilities/default.json");
const UI_API: &str = include_str!("../../ui/src/lib/api.ts");
const FAKE_SHELL: &str = include_str!("../../ui/browser/mock-tauri.js");

fn commands() -> BTreeSet<String> {
    COMMANDS.iter().map(|c| c.to_string()).collect()
}

/// Every `'name'` right after `marker` in `text` (e.g. `invoke<T>(` → `'tiles'`).
fn quoted_after(text: &str, marker: &str) -> BTreeSet<String> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let rest = rest.strip_prefix('\'')?;
            Some(rest[..rest.find('\'')?].to_string())
        })
        .collect()
}

#[test]
fn the_capability_file_grants_exactly_the_listed_commands() {
    let capability: serde_json::Value = serde_json::from_str(CAPABILITY).expect("valid JSON");
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .expect("a permissions array")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(
        granted,
        commands(),
        "capabilities/default.json vs command_list.rs"
    );
}

#[test]
fn the_ui_calls_exactly_the_listed_commands() {
    // api.ts calls `call<T>('name', …)`; anything else would bypass the check.
    assert!(
        !UI_API.contains("invoke<") && !UI_API.contains("invoke("),
        "api.ts must call commands through `call`, not `invoke` directly"
    );
    let called: BTreeSet<String> = ["call(", "call<"]
        .iter()
        .flat_map(|marker| {
            UI_API.match_indices(marker).filter_map(|(at, _)| {
                let rest = &UI_API[at..];
                let open = rest.find('(')?;
                let rest = rest[open + 1..].strip_prefix('\'')?;
                Some(rest[..rest.find('\'')?].to_string())
            })
        })
        .collect();
    assert_eq!(called, commands(), "ui/src/lib/api.ts vs command_list.rs");
}

#[test]
fn the_fake_shell_answers_only_listed_commands() {
    let answered = quoted_after(FAKE_SHELL, "case ");
    let ours: BTreeSet<String> = answered
        .into_iter()
        .filter(|c| !c.starts_with("plugin:"))
        .collect();
    let listed = commands();
    let unknown: Vec<_> = ours.difference(&listed).collect();
    assert!(
        unknown.is_empty(),
        "mock-tauri.js answers {unknown:?}, which the app has no command for"
    );
    assert!(!ours.is_empty(), "found no `case '…'` in mock-tauri.js");
}
