//! The root integration tests of the CLI and engine, as ONE test binary: each
//! module here was its own `tests/<name>.rs` binary, and each of those statically
//! linked the whole engine, the AWS SDK and the face model runtime (~130 MB and a
//! long link apiece; ARCHITECTURE.md, under the codemap). One module:
//!   cargo nextest run --workspace --locked --features findme-engine/ts -E 'binary(studio) & test(/^sync_faults::/)'

mod support;

mod card_import;
mod config_env;
mod crash;
mod deletions;
mod engine_load;
mod eval_faces_cli;
mod events;
mod ftp_cli;
mod ftp_live;
mod import_cli;
mod lease_recovery;
mod local_matching;
mod matching;
mod matching_crash;
mod matching_cut;
mod matching_rules;
mod migration;
mod publishing;
mod reconcile;
mod registration;
mod roster;
mod selfie_faces;
mod sync;
mod sync_faults;
mod sync_settings;
mod thumbnails;
mod watch;
mod watch_cli;
