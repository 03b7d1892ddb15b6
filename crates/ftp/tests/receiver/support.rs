//! A receiver on 127.0.0.1, real JPEGs, a logged-in FTP client, and the events.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_ftp::{AccountCheck, Receiver, ReceiverConfig, ReceiverEvent, RunningReceiver};
use sha2::Digest;
use suppaftp::tokio::AsyncFtpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// Camera accounts for tests: name → password.
#[derive(Debug)]
pub struct Accounts(pub HashMap<String, String>);

#[async_trait::async_trait]
impl AccountCheck for Accounts {
    async fn verify(&self, user: &str, password: &str) -> Result<bool, String> {
        Ok(self.0.get(user).is_some_and(|p| p == password))
    }
}

pub const CAMERAS: [(&str, &str); 2] = [("canon-r5", "pw-canon"), ("nikon-z9", "pw-nikon")];

pub struct Venue {
    /// Scratch space beside the library (source files for curl).
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub receiver: RunningReceiver,
    pub events: UnboundedReceiver<ReceiverEvent>,
}

impl Venue {
    pub async fn start() -> Venue {
        Venue::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut ReceiverConfig)) -> Venue {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("library");
        Venue::start_in(dir, root, adjust).await
    }

    pub async fn start_in(
        dir: tempfile::TempDir,
        root: PathBuf,
        adjust: impl FnOnce(&mut ReceiverConfig),
    ) -> Venue {
        let config_root = root.clone();
        let mut config = ReceiverConfig::new("127.0.0.1:0".parse().unwrap(), root);
        // Wide, so tests running side by side rarely draw the same passive port.
        config.passive_ports = 50000..=50999;
        adjust(&mut config);
        let accounts = CAMERAS
            .iter()
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect();
        let (tx, events) = unbounded_channel();
        let receiver = Receiver::start(config, Arc::new(Accounts(accounts)), tx)
            .await
            .unwrap();
        Venue {
            dir,
            root: config_root,
            receiver,
            events,
        }
    }

    pub fn port(&self) -> u16 {
        self.receiver.local_addr().port()
    }

    /// Today's folder of `account`, where its photos land.
    pub fn landed(&self, account: &str) -> PathBuf {
        self.root.join(today()).join(account)
    }

    pub fn staged(&self, account: &str, name: &str) -> PathBuf {
        self.root
            .join(".findme-incoming")
            .join(account)
            .join(format!("{name}.part"))
    }

    /// A client logged in as `account` (one of [`CAMERAS`]).
    pub async fn login(&self, account: &str) -> AsyncFtpStream {
        let password = CAMERAS
            .iter()
            .find(|(u, _)| *u == account)
            .map(|(_, p)| *p)
            .unwrap();
        let mut ftp = AsyncFtpStream::connect(self.receiver.local_addr())
            .await
            .unwrap();
        ftp.login(account, password).await.unwrap();
        // suppaftp starts in ASCII mode, which would rewrite line ends in a JPEG.
        ftp.transfer_type(suppaftp::types::FileType::Binary)
            .await
            .unwrap();
        ftp
    }

    /// Events until one matches `want` (deadline 20 s), all of them returned.
    pub async fn wait_for(&mut self, want: impl Fn(&ReceiverEvent) -> bool) -> Vec<ReceiverEvent> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(event)) => {
                    let done = want(&event);
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
                Ok(None) => panic!("the event channel closed; seen {seen:?}"),
                Err(_) => panic!("no matching event within 20 s; seen {seen:?}"),
            }
        }
    }

    /// The next photo received (deadline 20 s), whatever came before it.
    pub async fn next_arrival(&mut self) -> findme_ftp::Arrival {
        let mut events = self
            .wait_for(|e| matches!(e, ReceiverEvent::Received(_)))
            .await;
        match events.pop() {
            Some(ReceiverEvent::Received(arrival)) => arrival,
            other => unreachable!("wait_for ends on an arrival, not {other:?}"),
        }
    }

    /// Events already sent (nothing waited for).
    pub fn drain(&mut self) -> Vec<ReceiverEvent> {
        let mut out = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            out.push(event);
        }
        out
    }
}

/// The laptop's local date, as the receiver names day folders.
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .date()
        .to_string()
}

/// A complete JPEG of noise (noise does not compress: `w*h` ≈ bytes).
pub fn jpeg(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

/// Regular files under `dir`, recursively (empty when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The FTP reply code of a refused command.
pub fn code(result: Result<impl std::fmt::Debug, suppaftp::FtpError>) -> u32 {
    match result {
        Err(suppaftp::FtpError::UnexpectedResponse(r)) => r.status.code(),
        other => panic!("expected an FTP refusal, got {other:?}"),
    }
}

/// Upload `bytes` as `name` in the client's current folder.
pub async fn put(
    ftp: &mut AsyncFtpStream,
    name: &str,
    bytes: &[u8],
) -> Result<u64, suppaftp::FtpError> {
    let mut reader = bytes;
    ftp.put_file(name, &mut reader).await
}

/// Poll `cond` until true (deadline 20 s): for conditions no event announces.
pub async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
