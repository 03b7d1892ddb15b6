//! Where the CPU went during the load, from /proc (Linux): this process's
//! threads grouped by name (each server instance's runtime and the load
//! generator's are named), the PostgreSQL backends serving the bench's database
//! and the S3 server, plus the whole machine's busy share (other builds included).
//! Sampled every second (and at the end), so threads and backends that end mid-run still count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// What to attribute to the external services.
#[derive(Clone, Default)]
pub struct Watch {
    /// PostgreSQL backends whose command line names this database.
    pub pg_database: Option<String>,
    /// The S3 server: a process named `s3s-fs` listening on this port.
    pub s3_port: Option<String>,
}

/// CPU seconds per group over the sampled interval.
pub struct Usage {
    pub wall: Duration,
    pub seconds: Vec<(String, f64)>,
    /// Share of the machine's CPU time that was busy (all processes).
    pub machine_busy: f64,
}

/// `utime + stime` of a `/proc/.../stat` line, and the command name.
fn stat(path: &str) -> Option<(String, u64)> {
    let s = std::fs::read_to_string(path).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s[open + 1..close].to_string();
    let fields: Vec<&str> = s[close + 2..].split(' ').collect();
    // After the comm: state is field 3 of the man page; utime 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// (busy, total) jiffies of the whole machine.
fn machine() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = s
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Group of one of our threads by its name: `srv0`, `srv1`, `load`; else `other`.
fn group(comm: &str) -> String {
    for g in ["srv0", "srv1", "srv2", "srv3", "load"] {
        if comm.starts_with(g) {
            return g.to_string();
        }
    }
    "bench (other threads)".to_string()
}

/// One sample: ticks per (pid, tid) with its group.
fn sample(watch: &Watch) -> HashMap<(u32, u32), (String, u64)> {
    let mut out = HashMap::new();
    let me = std::process::id();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            let Ok(tid) = t.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if let Some((comm, ticks)) = stat(&format!("/proc/self/task/{tid}/stat")) {
                out.insert((me, tid), (group(&comm), ticks));
            }
        }
    }
    if watch.pg_database.is_none() && watch.s3_port.is_none() {
        return out;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for p in procs.flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Some((comm, ticks)) = stat(&format!("/proc/{pid}/stat")) else {
            continue;
        };
        let cmdline = || {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default()
        };
        if comm == "postgres" {
            if let Some(db) = &watch.pg_database {
                if cmdline().contains(db.as_str()) {
                    out.insert((pid, 0), ("postgres".into(), ticks));
                }
            }
        } else if comm == "s3s-fs" {
            if let Some(port) = &watch.s3_port {
                if cmdline().contains(&format!("--port {port}")) {
                    out.insert((pid, 0), ("s3s-fs".into(), ticks));
                }
            }
        }
    }
    out
}

/// Samples until `stop` is set (by whoever knows the measured part is over).
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Usage>,
}

impl Sampler {
    pub fn start(watch: Watch, stop: Arc<AtomicBool>) -> Self {
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("cpu-sampler".into())
            .spawn(move || {
                let started = Instant::now();
                let first = sample(&watch);
                let machine0 = machine();
                let mut last = first.clone();
                let mut ticks = 0u32;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    ticks += 1;
                    if ticks % 10 == 0 {
                        for (k, v) in sample(&watch) {
                            last.insert(k, v);
                        }
                    }
                }
                for (k, v) in sample(&watch) {
                    last.insert(k, v);
                }
                let machine1 = machine();
                let mut per: HashMap<String, f64> = HashMap::new();
                for (k, (g, ticks)) in &last {
                    let before = first.get(k).map(|(_, t)| *t).unwrap_or(0);
                    *per.entry(g.clone()).or_default() += ticks.saturating_sub(before) as f64;
                }
                let mut seconds: Vec<(String, f64)> =
                    per.into_iter().map(|(g, t)| (g, t / TICKS)).collect();
                seconds.sort_by(|a, b| a.0.cmp(&b.0));
                let busy = machine1.0.saturating_sub(machine0.0) as f64;
                let total = machine1.1.saturating_sub(machine0.1).max(1) as f64;
                Usage {
                    wall: started.elapsed(),
                    seconds,
                    machine_busy: busy / total,
                }
            })
            .expect("a sampler thread");
        Self { stop, thread }
    }

    pub fn stop(self) -> Usage {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the sampler does not panic")
    }
}
