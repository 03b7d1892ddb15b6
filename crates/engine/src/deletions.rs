//! Carries out the catalog's durable deletion work (faces and collections in
//! Rekognition, selfie files), each through the holder of the data, whatever
//! matcher this process runs. A deletion the process cannot do (no AWS sign-in)
//! waits and says so; a failed one is tried again later; none is ever dropped
//! before the holder confirmed it.

use std::sync::Arc;
use std::time::Duration;

use findme_catalog::{Catalog, DeletionRow, DeletionTarget};
use findme_faces::rekognition::{RekognitionConfig, RekognitionMatcher};
use findme_faces::{selfie_tag, FaceMatcher, MatcherError};
use tokio::sync::{watch, Notify, OnceCell};

use crate::{now_ms, DeletionReport, EngineError};

/// How often the background runner looks again without being woken.
const LOOK_EVERY: Duration = Duration::from_secs(60);
/// Rekognition's DeleteFaces takes at most this many face ids per call.
const FACES_PER_CALL: usize = 4096;

/// What one try at a deletion came to.
#[derive(Clone)]
enum Outcome {
    Done,
    /// This process cannot do it (e.g. no AWS sign-in): it waits, saying why.
    Waiting(String),
    /// The holder refused or could not be reached: tried again later.
    Failed(String),
}

/// Runs deletions now (`findme deletions run`, closing an event) and in the
/// background (the app, `findme watch`).
pub(crate) struct DeletionRunner {
    catalog: Catalog,
    /// None: this process has no AWS configuration (Rekognition deletions wait).
    rekognition: Option<RekognitionConfig>,
    client: OnceCell<RekognitionMatcher>,
    wake: Notify,
    stop: watch::Sender<bool>,
    /// One run at a time (background and on demand would otherwise race).
    running: tokio::sync::Mutex<()>,
}

impl DeletionRunner {
    pub(crate) fn new(catalog: Catalog, rekognition: Option<RekognitionConfig>) -> DeletionRunner {
        DeletionRunner {
            catalog,
            rekognition,
            client: OnceCell::new(),
            wake: Notify::new(),
            stop: watch::channel(false).0,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Run due deletions in the background until [`stop`](Self::stop). Must run
    /// inside Tokio.
    pub(crate) fn start(self: &Arc<Self>) {
        let runner = self.clone();
        let mut stopped = self.stop.subscribe();
        tokio::spawn(async move {
            loop {
                if let Err(e) = runner.run(false).await {
                    tracing::warn!(error = %e, "deletion work could not be read");
                }
                tokio::select! {
                    _ = runner.wake.notified() => {}
                    _ = tokio::time::sleep(LOOK_EVERY) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
    }

    /// New deletion work may be waiting.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Try every deletion (`all`) or the due ones once; returns what is done and
    /// what is left.
    pub(crate) async fn run(&self, all: bool) -> Result<DeletionReport, EngineError> {
        let _one = self.running.lock().await;
        let now = now_ms();
        let rows = self.catalog.read(move |r| r.deletions(now, all)).await?;
        let mut done = 0;
        for unit in batches(rows) {
            let outcome = match unit.as_slice() {
                [one] => self.carry_out(one).await,
                many => self.delete_faces_together(many).await,
            };
            for row in &unit {
                done += self.record(row, &outcome).await?;
            }
        }
        let left = self.catalog.read(|r| r.deletion_totals()).await?;
        Ok(DeletionReport {
            done,
            pending: left.pending,
            failed: left.failed,
        })
    }

    /// Write what a try came to; 1 when the row is done.
    async fn record(&self, row: &DeletionRow, outcome: &Outcome) -> Result<u64, EngineError> {
        let id = row.id;
        match outcome.clone() {
            Outcome::Done => {
                self.catalog.write(move |w| w.deletion_done(id)).await?;
                tracing::info!(event = %row.event_id, reason = %row.reason, "deleted {}", what(&row.target));
                return Ok(1);
            }
            // Said already: no write (a process without AWS looks every minute).
            Outcome::Waiting(why) if !row.failed && row.last_error.as_ref() == Some(&why) => {}
            Outcome::Waiting(why) => {
                self.catalog
                    .write(move |w| w.deletion_waiting(id, &why))
                    .await?;
            }
            Outcome::Failed(error) => {
                tracing::warn!(event = %row.event_id, %error, "could not delete {}; trying again later", what(&row.target));
                let after = retry_after(row.attempts);
                self.catalog
                    .write(move |w| w.deletion_failed(id, &error, after))
                    .await?;
            }
        }
        Ok(0)
    }

    /// Several rows of plain faces (no person) of one collection: one call.
    async fn delete_faces_together(&self, rows: &[DeletionRow]) -> Outcome {
        let Some(client) = self.rekognition().await else {
            return Outcome::Waiting(SIGN_IN_NEEDED.into());
        };
        let Some((collection, _)) = rows.first().and_then(plain_faces) else {
            return Outcome::Failed("internal: a batch of deletions without faces".into());
        };
        let ids: Vec<String> = rows
            .iter()
            .flat_map(|r| match &r.target {
                DeletionTarget::Faces { face_ids, .. } => face_ids.clone(),
                _ => Vec::new(),
            })
            .collect();
        match client.delete_faces(&collection, &ids).await {
            Ok(()) => Outcome::Done,
            Err(e) => failure(e).unwrap_or(Outcome::Done),
        }
    }

    async fn carry_out(&self, row: &DeletionRow) -> Outcome {
        match &row.target {
            DeletionTarget::Selfie { path, sha256 } => {
                let sha = sha256.clone();
                match self.catalog.read(move |r| r.selfie_in_use(&sha)).await {
                    Ok(true) => return Outcome::Done, // another living participant's selfie
                    Ok(false) => {}
                    Err(e) => return Outcome::Failed(e.to_string()),
                }
                match tokio::fs::remove_file(path).await {
                    Ok(()) => Outcome::Done,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Done,
                    Err(e) => Outcome::Failed(format!("cannot delete {}: {e}", path.display())),
                }
            }
            DeletionTarget::Faces {
                collection,
                face_ids,
                person,
            } => {
                let Some(client) = self.rekognition().await else {
                    return Outcome::Waiting(SIGN_IN_NEEDED.into());
                };
                if let Some(person) = person {
                    // A face that belongs to a Rekognition user cannot be deleted.
                    if let Err(e) = client.forget_person(collection, &selfie_tag(person)).await {
                        if let Some(outcome) = failure(e) {
                            return outcome;
                        }
                    }
                }
                for chunk in face_ids.chunks(FACES_PER_CALL) {
                    if let Err(e) = client.delete_faces(collection, chunk).await {
                        if let Some(outcome) = failure(e) {
                            return outcome;
                        }
                    }
                }
                Outcome::Done
            }
            DeletionTarget::Collection { collection } => {
                let Some(client) = self.rekognition().await else {
                    return Outcome::Waiting(SIGN_IN_NEEDED.into());
                };
                match client.close_event(collection).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => failure(e).unwrap_or(Outcome::Done),
                }
            }
        }
    }

    async fn rekognition(&self) -> Option<&RekognitionMatcher> {
        let config = self.rekognition.clone()?;
        Some(
            self.client
                .get_or_init(|| RekognitionMatcher::new(config))
                .await,
        )
    }
}

const SIGN_IN_NEEDED: &str =
    "AWS sign-in needed: set up the AWS account the event was matched with \
     (AWS_PROFILE or AWS credentials), then FindMe deletes them";

/// None: the data is gone already (missing collection); else how the try ends.
fn failure(e: MatcherError) -> Option<Outcome> {
    match e {
        MatcherError::MissingIndex(_) => None,
        MatcherError::Credentials(reason) => Some(Outcome::Waiting(format!(
            "AWS Rekognition refused the credentials ({reason}): sign in again, then FindMe deletes them"
        ))),
        other => Some(Outcome::Failed(other.to_string())),
    }
}

/// The collection and face count of a row that deletes faces without a person
/// (a removed photo's faces): such rows of one collection share one call.
fn plain_faces(row: &DeletionRow) -> Option<(String, usize)> {
    match &row.target {
        DeletionTarget::Faces {
            collection,
            face_ids,
            person: None,
        } => Some((collection.clone(), face_ids.len())),
        _ => None,
    }
}

/// The rows in order, consecutive plain-face rows of one collection grouped up
/// to Rekognition's 4,096 ids per DeleteFaces call.
fn batches(rows: Vec<DeletionRow>) -> Vec<Vec<DeletionRow>> {
    let mut out: Vec<Vec<DeletionRow>> = Vec::new();
    let mut ids_in_last = 0;
    for row in rows {
        let plain = plain_faces(&row);
        if let (Some((collection, n)), Some(last)) = (&plain, out.last_mut()) {
            let joins = last
                .first()
                .and_then(plain_faces)
                .is_some_and(|(c, _)| &c == collection && ids_in_last + n <= FACES_PER_CALL);
            if joins {
                ids_in_last += n;
                last.push(row);
                continue;
            }
        }
        ids_in_last = plain.map_or(0, |(_, n)| n);
        out.push(vec![row]);
    }
    out
}

/// 30 s, doubling per failed try, at most an hour.
fn retry_after(attempts: u32) -> i64 {
    let secs = 30u64.saturating_mul(1u64 << attempts.min(7)).min(3600);
    (secs * 1000) as i64
}

fn what(target: &DeletionTarget) -> String {
    match target {
        DeletionTarget::Faces { face_ids, .. } => {
            format!("{} face(s) from AWS Rekognition", face_ids.len())
        }
        DeletionTarget::Collection { collection } => {
            format!("the face collection {collection} from AWS Rekognition")
        }
        DeletionTarget::Selfie { path, .. } => format!("the selfie {}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after;

    use super::{batches, DeletionRow, DeletionTarget};
    use findme_catalog::DeletionHolder;

    fn faces(id: i64, collection: &str, n: usize, person: Option<&str>) -> DeletionRow {
        DeletionRow {
            id,
            event_id: "ev".into(),
            holder: DeletionHolder::Rekognition,
            target: DeletionTarget::Faces {
                collection: collection.into(),
                face_ids: (0..n).map(|i| format!("f{id}-{i}")).collect(),
                person: person.map(str::to_string),
            },
            reason: "photo removed from the event".into(),
            attempts: 0,
            last_error: None,
            failed: false,
        }
    }

    #[test]
    fn plain_faces_of_one_collection_share_a_call_up_to_rekognitions_limit() {
        let rows = vec![
            faces(1, "a", 3, None),
            faces(2, "a", 4, None),
            faces(3, "a", 1, Some("p1")), // a person first: alone
            faces(4, "a", 4000, None),
            faces(5, "a", 96, None), // 4,096 with row 4
            faces(6, "a", 1, None),  // over the limit: a new call
            faces(7, "b", 2, None),  // another collection
        ];
        let ids: Vec<Vec<i64>> = batches(rows)
            .iter()
            .map(|b| b.iter().map(|r| r.id).collect())
            .collect();
        assert_eq!(ids, [vec![1, 2], vec![3], vec![4, 5], vec![6], vec![7]]);
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after(0), 30_000);
        assert_eq!(retry_after(1), 60_000);
        assert_eq!(retry_after(6), 1_920_000);
        assert_eq!(retry_after(7), 3_600_000);
        assert_eq!(retry_after(40), 3_600_000);
    }
}
