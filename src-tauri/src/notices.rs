//! Forwards the engine's notices to the webview, coalesced.
//!
//! The engine can publish hundreds of `PhotosChanged` in a second while a card is
//! ingested. The UI only needs to know *that* something changed (it re-reads what is
//! on screen) and the *latest* import progress, so notices are gathered for a short
//! window and sent as one batch: at most one emit per window, on the trailing edge.

use std::time::Duration;

use findme_engine::EngineNotice;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

/// Name of the Tauri event the UI listens to for notices. Payload: `EngineNotice[]`.
pub const NOTICES_CHANNEL: &str = "notices";

/// Default coalescing window.
pub const COALESCE_WINDOW: Duration = Duration::from_millis(250);

/// The distinct things that happened since the last emit.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    photos_changed: bool,
    folders_changed: bool,
    queue_changed: bool,
    cameras_changed: bool,
    progress: Option<(u64, u64)>,
}

impl Batch {
    pub fn push(&mut self, event: EngineNotice) {
        match event {
            EngineNotice::PhotosChanged => self.photos_changed = true,
            EngineNotice::FoldersChanged => self.folders_changed = true,
            EngineNotice::QueueChanged => self.queue_changed = true,
            EngineNotice::CamerasChanged => self.cameras_changed = true,
            EngineNotice::ImportProgress { done, total } => self.progress = Some((done, total)),
        }
    }

    /// The receiver fell behind and dropped events: make the UI re-read everything.
    pub fn lagged(&mut self) {
        self.photos_changed = true;
        self.folders_changed = true;
        self.queue_changed = true;
        self.cameras_changed = true;
    }

    pub fn is_empty(&self) -> bool {
        *self == Batch::default()
    }

    /// The batch as events, in a stable order (progress first, then changes), and
    /// the batch emptied.
    pub fn take(&mut self) -> Vec<EngineNotice> {
        let batch = std::mem::take(self);
        let mut out = Vec::with_capacity(5);
        if let Some((done, total)) = batch.progress {
            out.push(EngineNotice::ImportProgress { done, total });
        }
        if batch.photos_changed {
            out.push(EngineNotice::PhotosChanged);
        }
        if batch.folders_changed {
            out.push(EngineNotice::FoldersChanged);
        }
        if batch.queue_changed {
            out.push(EngineNotice::QueueChanged);
        }
        if batch.cameras_changed {
            out.push(EngineNotice::CamerasChanged);
        }
        out
    }
}

/// Receives engine events until the engine's sender is dropped, calling `emit` with
/// one coalesced batch at the end of each `window` that saw events.
pub async fn forward<F>(mut rx: broadcast::Receiver<EngineNotice>, window: Duration, mut emit: F)
where
    F: FnMut(Vec<EngineNotice>),
{
    let mut batch = Batch::default();
    loop {
        // Idle: wait for the first event of the next window.
        match rx.recv().await {
            Ok(event) => batch.push(event),
            Err(RecvError::Lagged(_)) => batch.lagged(),
            Err(RecvError::Closed) => return,
        }
        // Gather everything else that arrives in this window.
        let deadline = Instant::now() + window;
        let closed = loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Err(_elapsed) => break false,
                Ok(Ok(event)) => batch.push(event),
                Ok(Err(RecvError::Lagged(_))) => batch.lagged(),
                Ok(Err(RecvError::Closed)) => break true,
            }
        };
        if !batch.is_empty() {
            emit(batch.take());
        }
        if closed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_keeps_one_of_each_and_the_latest_progress() {
        let mut batch = Batch::default();
        for i in 0..500 {
            batch.push(EngineNotice::PhotosChanged);
            batch.push(EngineNotice::ImportProgress {
                done: i,
                total: 500,
            });
        }
        batch.push(EngineNotice::FoldersChanged);
        for _ in 0..100 {
            batch.push(EngineNotice::QueueChanged);
            batch.push(EngineNotice::CamerasChanged);
        }
        assert_eq!(
            batch.take(),
            vec![
                EngineNotice::ImportProgress {
                    done: 499,
                    total: 500
                },
                EngineNotice::PhotosChanged,
                EngineNotice::FoldersChanged,
                EngineNotice::QueueChanged,
                EngineNotice::CamerasChanged,
            ]
        );
        assert!(batch.is_empty());
        assert!(batch.take().is_empty());
    }

    #[test]
    fn lag_means_reread_everything() {
        let mut batch = Batch::default();
        batch.lagged();
        assert_eq!(
            batch.take(),
            vec![
                EngineNotice::PhotosChanged,
                EngineNotice::FoldersChanged,
                EngineNotice::QueueChanged,
                EngineNotice::CamerasChanged,
            ]
        );
    }

    #[tokio::test]
    async fn a_burst_becomes_one_emit() {
        let (tx, rx) = broadcast::channel(1024);
        for _ in 0..500 {
            tx.send(EngineNotice::PhotosChanged)
                .expect("receiver alive");
        }
        drop(tx);
        let mut emits = Vec::new();
        forward(rx, Duration::from_secs(60), |batch| emits.push(batch)).await;
        assert_eq!(emits, vec![vec![EngineNotice::PhotosChanged]]);
    }

    #[tokio::test]
    async fn an_overflowing_burst_still_tells_the_ui() {
        let (tx, rx) = broadcast::channel(16);
        for i in 0..500 {
            tx.send(EngineNotice::ImportProgress {
                done: i,
                total: 500,
            })
            .expect("receiver alive");
        }
        drop(tx);
        let mut emits = Vec::new();
        forward(rx, Duration::from_secs(60), |batch| emits.push(batch)).await;
        assert_eq!(emits.len(), 1);
        assert_eq!(
            emits[0],
            vec![
                EngineNotice::ImportProgress {
                    done: 499,
                    total: 500
                },
                EngineNotice::PhotosChanged,
                EngineNotice::FoldersChanged,
                EngineNotice::QueueChanged,
                EngineNotice::CamerasChanged,
            ]
        );
    }

    // Paused time: the 200 ms gap is longer than the 20 ms window however busy the
    // machine is, so the two events always fall in separate windows.
    #[tokio::test(start_paused = true)]
    async fn separate_windows_emit_separately() {
        let (tx, rx) = broadcast::channel(16);
        let task = tokio::spawn(async move {
            let mut emits = Vec::new();
            forward(rx, Duration::from_millis(20), |batch| emits.push(batch)).await;
            emits
        });
        tx.send(EngineNotice::PhotosChanged)
            .expect("receiver alive");
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.send(EngineNotice::FoldersChanged)
            .expect("receiver alive");
        drop(tx);
        let emits = task.await.expect("forwarder finished");
        assert_eq!(
            emits,
            vec![
                vec![EngineNotice::PhotosChanged],
                vec![EngineNotice::FoldersChanged]
            ]
        );
    }
}
