//! The search coordinator: one task that looks at each open event's backlog in
//! turn, asks the planner what to run there, runs it with bounded concurrency, and
//! records the matches. Each event is searched in its own collection only, with
//! its own participants. Searches change nothing in the collection, so an
//! interrupted run is simply run again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use findme_catalog::{now_ms, EventRow, FoundMatch};
use futures::StreamExt;
use tokio::sync::watch;

use super::Matching;
use crate::planner::{choose, Backlog, Plan, PlannerConfig};
use crate::{FaceMatcher, MatcherError, SimilarFace, SimilarPerson};

/// What the coordinator is doing, for the activity panel and `findme match`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchStatus {
    pub last_plan: Option<String>,
    pub passes: u64,
    /// Why searching is stopped (credentials), if it is.
    pub paused: Option<String>,
    pub last_error: Option<String>,
}

pub struct SearchCoordinator<M> {
    matching: Arc<Matching<M>>,
    status: Mutex<SearchStatus>,
    /// Events where a face search came back full (some guest is in more photo
    /// faces than one search returns): from then on every photo face is searched
    /// against people (participants enrolled as Rekognition users), whose
    /// answers are never cut. Kept in memory: after a restart one full answer
    /// finds it out again.
    by_people: Mutex<HashSet<String>>,
    /// `<event>/<selfie face id>` of the participants enrolled as people by this
    /// process (enrolling again after a restart changes nothing).
    enrolled: Mutex<HashSet<String>>,
}

/// How often the coordinator looks even without being woken (retries, the
/// latency bound).
const TICK: Duration = Duration::from_millis(500);

impl<M: FaceMatcher> SearchCoordinator<M> {
    pub fn new(matching: Arc<Matching<M>>) -> Arc<SearchCoordinator<M>> {
        Arc::new(SearchCoordinator {
            matching,
            status: Mutex::new(SearchStatus::default()),
            by_people: Mutex::new(HashSet::new()),
            enrolled: Mutex::new(HashSet::new()),
        })
    }

    pub fn status(&self) -> SearchStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn resume(&self) {
        if let Ok(mut s) = self.status.lock() {
            s.paused = None;
        }
        self.matching.indexed.notify_waiters();
    }

    /// Wake the coordinator now (new photos, new participants, a new event).
    pub fn wake(&self) {
        self.matching.indexed.notify_waiters();
    }

    /// Run until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        self.matching.resume_pace().await;
        let mut backoff = Duration::from_millis(500);
        loop {
            if *stop.borrow() {
                return;
            }
            let woken = self.matching.indexed.notified();
            let outcome = if self.status().paused.is_some() {
                Ok(false)
            } else {
                self.step().await
            };
            let pause = match outcome {
                Ok(true) => {
                    backoff = Duration::from_millis(500);
                    continue; // did work: look again at once
                }
                Ok(false) => TICK,
                Err(MatcherError::Credentials(reason) | MatcherError::Setup(reason)) => {
                    self.set(|s| s.paused = Some(reason));
                    TICK
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?backoff, "search failed; retrying");
                    self.set(|s| s.last_error = Some(e.to_string()));
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    backoff
                }
            };
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => {}
            }
        }
    }

    fn searches_by_people(&self, event: &str) -> bool {
        self.by_people
            .lock()
            .map(|events| events.contains(event))
            .unwrap_or(false)
    }

    /// Enroll the participants not enrolled yet (2 calls each, once per event
    /// and process), so a search by people finds every one of them.
    async fn enroll(
        &self,
        event: &EventRow,
        active: &[findme_catalog::ParticipantRow],
    ) -> Result<(), MatcherError> {
        let m = &self.matching;
        let key = |face: &str| format!("{}/{face}", event.id);
        let missing: Vec<(String, String)> = {
            let enrolled = self.enrolled.lock().map(|e| e.clone()).unwrap_or_default();
            active
                .iter()
                .filter_map(|p| Some((crate::selfie_tag(&p.id), p.face_id.clone()?)))
                .filter(|(_, face)| !enrolled.contains(&key(face)))
                .collect()
        };
        let results: Vec<Result<String, MatcherError>> = futures::stream::iter(missing)
            .map(|(tag, face)| {
                let (matcher, collection) = (m.matcher.clone(), event.collection_id.clone());
                async move {
                    matcher.enroll_person(&collection, &tag, &face).await?;
                    Ok(face)
                }
            })
            .buffer_unordered(m.config.parallel_searches.max(1))
            .collect()
            .await;
        for result in results {
            let face = result?;
            if let Ok(mut enrolled) = self.enrolled.lock() {
                enrolled.insert(key(&face));
            }
        }
        Ok(())
    }

    fn set(&self, f: impl FnOnce(&mut SearchStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// One planning round over every open event this backend matches (an event
    /// tied to the other backend is left to a process that runs it). Ok(true)
    /// when it ran a plan somewhere.
    pub async fn step(&self) -> Result<bool, MatcherError> {
        let m = &self.matching;
        let catalog_err = |e: findme_catalog::CatalogError| MatcherError::Other(e.to_string());
        let backend = m.matcher.backend();
        let events = m.catalog.read(|r| r.events()).await.map_err(catalog_err)?;
        let mut ran = false;
        for event in events {
            if event.collection_state == "closed"
                || event.backend.as_deref().is_some_and(|b| b != backend)
            {
                continue;
            }
            ran |= self.step_event(event).await?;
        }
        Ok(ran)
    }

    /// One planning round in one event. Ok(true) when it ran a plan.
    async fn step_event(&self, event: EventRow) -> Result<bool, MatcherError> {
        let m = &self.matching;
        let catalog_err = |e: findme_catalog::CatalogError| MatcherError::Other(e.to_string());
        let ev = event.id.clone();
        let now = now_ms();
        let (b, indexing) = m
            .catalog
            .read(move |r| Ok((r.search_backlog(&ev)?, r.unfinished_match_jobs(&ev)?)))
            .await
            .map_err(catalog_err)?;
        let backlog = Backlog {
            photos: b.photos,
            faces: b.faces,
            oldest_wait: b
                .oldest_ms
                .map(|t| Duration::from_millis(now.saturating_sub(t).max(0) as u64)),
            oldest_live_wait: b
                .oldest_live_ms
                .map(|t| Duration::from_millis(now.saturating_sub(t).max(0) as u64)),
            participants: b.participants,
            new_participants: b.new_participants,
            indexing,
            by_people: self.searches_by_people(&event.id),
        };
        let plan = choose(
            &backlog,
            &PlannerConfig {
                latency_bound: m.config.latency_bound,
                backlog_bound: m.config.backlog_bound,
            },
        );
        if plan == Plan::Wait {
            return Ok(false);
        }
        let result = self.execute(&event, plan).await;
        m.save_counters().await;
        result?;
        self.set(|s| {
            s.last_plan = Some(format!("{plan:?}"));
            s.passes += 1;
            s.last_error = None;
        });
        Ok(true)
    }

    async fn execute(&self, event: &EventRow, plan: Plan) -> Result<(), MatcherError> {
        let m = &self.matching;
        let catalog_err = |e: findme_catalog::CatalogError| MatcherError::Other(e.to_string());
        let ev = event.id.clone();
        let (participants, photo_faces, waiting) = m
            .catalog
            .read(move |r| {
                Ok((
                    r.participants(&ev)?,
                    r.photo_face_ids(&ev)?,
                    r.waiting_photos(&ev)?,
                ))
            })
            .await
            .map_err(catalog_err)?;
        let active: Vec<_> = participants
            .into_iter()
            .filter(|p| p.consent && !p.removed && p.face_id.is_some())
            .collect();
        let by_selfie: HashMap<String, String> = active
            .iter()
            .filter_map(|p| p.face_id.clone().map(|f| (f, p.id.clone())))
            .collect();
        let (queries, mut searched_photos, searched_participants): (
            Vec<String>,
            Vec<i64>,
            Vec<String>,
        ) = match plan {
            Plan::Wait => return Ok(()),
            Plan::NewParticipants => {
                let new: Vec<_> = active.iter().filter(|p| p.searched_ms.is_none()).collect();
                // Photos not searched yet will find the newcomer in their own
                // search (a pass covers every selfie, a face search finds it): only
                // photos already searched need the newcomer's search. The
                // coordinator runs one plan at a time, so no search can be under
                // way while this decides.
                let ev = event.id.clone();
                let searched = m
                    .catalog
                    .read(move |r| r.match_totals(&ev))
                    .await
                    .map_err(catalog_err)?
                    .searched;
                let queries = if searched == 0 {
                    Vec::new()
                } else {
                    new.iter().filter_map(|p| p.face_id.clone()).collect()
                };
                (
                    queries,
                    Vec::new(),
                    new.iter().map(|p| p.id.clone()).collect(),
                )
            }
            Plan::ReversePass => (
                active.iter().filter_map(|p| p.face_id.clone()).collect(),
                waiting,
                active.iter().map(|p| p.id.clone()).collect(),
            ),
            Plan::PerFace => {
                let ev = event.id.clone();
                let (faces, photos) = m
                    .catalog
                    .read(move |r| r.waiting_faces(&ev, 500))
                    .await
                    .map_err(catalog_err)?;
                (
                    faces.into_iter().filter_map(|f| f.face_id).collect(),
                    photos,
                    Vec::new(),
                )
            }
        };
        let (collection, threshold, max) = (
            event.collection_id.clone(),
            m.matcher.threshold(event),
            m.config.max_results,
        );
        let by_person = plan == Plan::PerFace && self.searches_by_people(&event.id);
        if by_person {
            self.enroll(event, &active).await?;
        }
        let results: Vec<Result<(String, Answer), MatcherError>> = futures::stream::iter(queries)
            .map(|face| {
                let (matcher, collection) = (m.matcher.clone(), collection.clone());
                async move {
                    let answer = if by_person {
                        Answer::People(matcher.search_people(&collection, &face, threshold).await?)
                    } else {
                        Answer::Faces(
                            matcher
                                .search_face(&collection, &face, threshold, max)
                                .await?,
                        )
                    };
                    Ok((face, answer))
                }
            })
            .buffer_unordered(m.config.parallel_searches.max(1))
            .collect()
            .await;
        let by_tag: HashMap<String, String> = active
            .iter()
            .map(|p| (crate::selfie_tag(&p.id), p.id.clone()))
            .collect();
        let (mut found, mut full) = (Vec::new(), false);
        for result in results {
            let (query, answer) = result?;
            match answer {
                Answer::Faces(similar) => {
                    full |= similar.len() >= max as usize;
                    found.extend(pair_up(&query, &similar, &by_selfie, &photo_faces));
                }
                Answer::People(people) => {
                    found.extend(people_of(&query, &people, &by_tag, &photo_faces))
                }
            }
        }
        if full && plan != Plan::NewParticipants {
            // Some answer may be cut: what it found stands, but the photos are
            // searched again, face by face against people.
            tracing::warn!(event = %event.id, max, "a face search came back full; searching photo faces against people from now on");
            if let Ok(mut events) = self.by_people.lock() {
                events.insert(event.id.clone());
            }
            searched_photos.clear();
        } else if full {
            tracing::warn!(event = %event.id, max, "a late registrant's search came back full: they may be missing from some photos");
        }
        let ev = event.id.clone();
        m.catalog
            .write(move |w| {
                w.record_matches(&ev, &found, &searched_photos)?;
                for p in &searched_participants {
                    w.record_participant_searched(&ev, p)?;
                }
                Ok(())
            })
            .await
            .map_err(catalog_err)?;
        Ok(())
    }
}

/// One search's answer: faces (SearchFaces) or people (per-face plan).
enum Answer {
    Faces(Vec<SimilarFace>),
    People(Vec<SimilarPerson>),
}

/// Matches from a per-face search by person: (participant, the photo face).
fn people_of(
    query: &str,
    people: &[SimilarPerson],
    by_tag: &HashMap<String, String>,
    photo_faces: &HashMap<String, i64>,
) -> Vec<FoundMatch> {
    let Some(row) = photo_faces.get(query) else {
        return Vec::new();
    };
    people
        .iter()
        .filter_map(|p| {
            by_tag.get(&p.tag).map(|participant| FoundMatch {
                participant_id: participant.clone(),
                face_row: *row,
                confidence: p.similarity,
            })
        })
        .collect()
}

/// Matches from one search: the query is a selfie (reverse) or a photo face
/// (per-face); each result on the other side is a (participant, photo face) pair.
fn pair_up(
    query: &str,
    similar: &[SimilarFace],
    by_selfie: &HashMap<String, String>,
    photo_faces: &HashMap<String, i64>,
) -> Vec<FoundMatch> {
    match by_selfie.get(query) {
        Some(participant) => similar
            .iter()
            .filter_map(|s| {
                photo_faces.get(&s.face_id).map(|row| FoundMatch {
                    participant_id: participant.clone(),
                    face_row: *row,
                    confidence: s.similarity,
                })
            })
            .collect(),
        None => {
            let Some(row) = photo_faces.get(query) else {
                return Vec::new();
            };
            similar
                .iter()
                .filter_map(|s| {
                    by_selfie.get(&s.face_id).map(|participant| FoundMatch {
                        participant_id: participant.clone(),
                        face_row: *row,
                        confidence: s.similarity,
                    })
                })
                .collect()
        }
    }
}
