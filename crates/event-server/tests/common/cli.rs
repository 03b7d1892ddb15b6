//! The real binary: run an admin command, or start `serve` and read its base URL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use super::Stores;

pub const BIN: &str = env!("CARGO_BIN_EXE_findme-event-server");

/// The binary with the stores' options (`--data-dir`, and `--database` and
/// `--storage` on PostgreSQL + S3), the S3 client's settings in its environment.
pub fn command(stores: &Stores) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(stores.cli_args());
    cmd.envs(stores.config.s3.vars.iter().map(|(k, v)| (k, v)));
    cmd
}

/// Runs an admin command on `data`; its output whatever the exit status.
pub fn run_status(data: &Stores, args: &[&str]) -> Output {
    command(data)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

/// Runs an admin command that must succeed; its stdout.
pub fn run(data: &Stores, args: &[&str]) -> String {
    let out = run_status(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs an admin command printing one JSON value.
pub fn run_json(data: &Stores, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&run(data, &all)).unwrap()
}

/// A server child process, killed (and reaped) when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` on a free port; returns it and the base URL from its
/// "listening on" line (printed once the socket is bound).
pub fn start(data: &Stores, extra: &[&str]) -> (Server, String) {
    let child = command(data)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Server(child);
    let lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        if let Some(base) = line.strip_prefix("listening on ") {
            return (child, base.to_string());
        }
    }
    panic!("server exited before listening");
}
