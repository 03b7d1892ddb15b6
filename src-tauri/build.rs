// The app's own commands get permissions (`allow-<command>`) so the capability file
// in capabilities/ grants exactly these and nothing else. The list is
// src/command_list.rs, shared with main.rs.
include!("src/command_list.rs");

const COMMANDS: &[&str] = app_commands!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
