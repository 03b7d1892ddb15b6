//! Which search plan to run for the photos waiting in an event.
//!
//! Every photo is indexed once (one IndexFaces call). Finding who is in it then
//! costs either
//! - **per face**: one SearchFaces per new photo face (quickest for a few
//!   photos), or
//! - **a reverse pass**: one SearchFaces(selfie, MaxFaces 4096) per participant,
//!   which covers every photo indexed so far at once.
//!
//! A reverse pass pays off once the waiting faces outnumber the participants
//! (about P/F photos, P participants, F faces per photo), and the more photos one
//! pass covers, the cheaper each photo gets. So the planner lets photos
//! accumulate while more are being indexed, up to the latency bound for the
//! oldest waiting photo, then runs whichever plan is cheaper for what waits. When
//! nothing else is being indexed there is nothing to wait for: it runs at once.
//!
//! The latency bound (30 s) is for photos shot live (FTP, a watched folder):
//! guests are waiting for them. A card's or an import's backlog waits until it
//! is all indexed, so it is searched in one pass, up to the backlog bound
//! (5 min) for its oldest photo. 200 participants × 3,000 photos in two passes
//! cost 1.2 calls per photo; in one, 1.13 (3,000 IndexFaces + 200 selfies + 200
//! searches), the floor.

use std::time::Duration;

/// Search work waiting in an event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backlog {
    /// Indexed photos not searched yet, and their faces.
    pub photos: u64,
    pub faces: u64,
    /// How long the oldest of them has waited.
    pub oldest_wait: Option<Duration>,
    /// How long the oldest of them shot live (FTP, watched folder) has waited.
    pub oldest_live_wait: Option<Duration>,
    /// Indexed, consenting participants.
    pub participants: u64,
    /// Of those, never searched against the event (late registrants).
    pub new_participants: u64,
    /// Photos still to be indexed (queued or running): more work is coming.
    pub indexing: u64,
    /// A face search in this event came back full (a guest in more photo faces
    /// than one search returns): a reverse pass's answers may be cut, so only
    /// per-face searches against people, whose answers are never cut, are run.
    pub by_people: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to do, or waiting for more photos to make a pass worth it.
    Wait,
    /// Search each late registrant's selfie over everything indexed so far.
    NewParticipants,
    /// One search per participant over everything indexed so far.
    ReversePass,
    /// One search per waiting photo face.
    PerFace,
}

#[derive(Debug, Clone)]
pub struct PlannerConfig {
    /// The longest a live photo waits for its search (default 30 s).
    pub latency_bound: Duration,
    /// The longest a photo of a card or an import waits while the rest of it is
    /// indexed (default 5 min; never less than `latency_bound`).
    pub backlog_bound: Duration,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            latency_bound: Duration::from_secs(30),
            backlog_bound: Duration::from_secs(300),
        }
    }
}

pub fn choose(backlog: &Backlog, config: &PlannerConfig) -> Plan {
    if backlog.new_participants > 0 {
        return Plan::NewParticipants;
    }
    if backlog.photos == 0 {
        return Plan::Wait;
    }
    let cheaper = if backlog.participants <= backlog.faces && !backlog.by_people {
        Plan::ReversePass
    } else {
        Plan::PerFace
    };
    let backlog_bound = config.backlog_bound.max(config.latency_bound);
    let overdue = backlog
        .oldest_live_wait
        .is_some_and(|w| w >= config.latency_bound)
        || backlog.oldest_wait.is_some_and(|w| w >= backlog_bound);
    if overdue || backlog.indexing == 0 {
        cheaper
    } else {
        Plan::Wait
    }
}

/// Calls to enroll every participant as a person (Rekognition: CreateUser +
/// AssociateFaces), on top of [`call_model`]'s, in an event where a face search
/// came back full (a guest in more than 4,096 photo faces): from then on photo
/// faces are searched against people, whose answers are never cut.
pub fn enrollment_calls(participants: u64) -> u64 {
    2 * participants
}

/// Total calls for an event of `participants` and `photos` with
/// `faces_per_photo`, indexed at `photos_per_second`: (per-face search only,
/// planner). The planner searches once per `bound` (the latency bound for live
/// photos, the backlog bound for a card or an import), or once at the end. The
/// benchmark and ARCHITECTURE.md quote these.
pub fn call_model(
    participants: u64,
    photos: u64,
    faces_per_photo: f64,
    photos_per_second: f64,
    bound: Duration,
) -> (u64, u64) {
    let faces = |n: f64| (n * faces_per_photo).round() as u64;
    let per_face_only = participants + photos + faces(photos as f64);
    let per_pass = (photos_per_second * bound.as_secs_f64()).max(1.0);
    let mut left = photos as f64;
    let mut searches = 0;
    while left > 0.0 {
        let batch = per_pass.min(left);
        searches += participants.min(faces(batch));
        left -= batch;
    }
    (per_face_only, participants + photos + searches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backlog(photos: u64, faces: u64, wait_s: u64, participants: u64) -> Backlog {
        Backlog {
            photos,
            faces,
            oldest_wait: Some(Duration::from_secs(wait_s)),
            oldest_live_wait: Some(Duration::from_secs(wait_s)),
            participants,
            new_participants: 0,
            indexing: 50,
            by_people: false,
        }
    }

    #[test]
    fn accumulate_while_indexing_then_run_the_cheaper_plan() {
        let config = PlannerConfig::default();
        assert_eq!(choose(&Backlog::default(), &config), Plan::Wait);
        // More photos are being indexed and the oldest waited 2 s: wait.
        assert_eq!(choose(&backlog(10, 25, 2, 200), &config), Plan::Wait);
        assert_eq!(choose(&backlog(500, 1250, 2, 200), &config), Plan::Wait);
        // At the bound: 25 per-face searches beat a 200-call pass …
        assert_eq!(choose(&backlog(10, 25, 31, 200), &config), Plan::PerFace);
        // … and a 200-call pass beats 1,250 per-face searches.
        assert_eq!(
            choose(&backlog(500, 1250, 31, 200), &config),
            Plan::ReversePass
        );
        // Nothing more is coming: no reason to wait.
        let done = Backlog {
            indexing: 0,
            ..backlog(10, 25, 2, 200)
        };
        assert_eq!(choose(&done, &config), Plan::PerFace);
        // Nobody registered: a pass costs nothing and marks the photos searched.
        let nobody = Backlog {
            indexing: 0,
            ..backlog(3, 6, 0, 0)
        };
        assert_eq!(choose(&nobody, &config), Plan::ReversePass);
        let late = Backlog {
            new_participants: 1,
            ..backlog(0, 0, 0, 5)
        };
        assert_eq!(choose(&late, &config), Plan::NewParticipants);
        // Once a pass was cut, per-face searches even where a pass is cheaper.
        let cut = Backlog {
            by_people: true,
            ..backlog(500, 1250, 31, 200)
        };
        assert_eq!(choose(&cut, &config), Plan::PerFace);
    }

    #[test]
    fn a_card_backlog_waits_for_its_last_photo_a_live_photo_for_the_latency_bound() {
        let config = PlannerConfig::default();
        // 31 s waited, more being indexed, all from a card: keep waiting …
        let card = Backlog {
            oldest_live_wait: None,
            ..backlog(500, 1250, 31, 200)
        };
        assert_eq!(choose(&card, &config), Plan::Wait);
        // … until the card is all indexed, or its oldest photo waited 5 min.
        let indexed = Backlog {
            indexing: 0,
            ..card.clone()
        };
        assert_eq!(choose(&indexed, &config), Plan::ReversePass);
        let long = Backlog {
            oldest_wait: Some(Duration::from_secs(300)),
            ..card.clone()
        };
        assert_eq!(choose(&long, &config), Plan::ReversePass);
        // One live photo among them, 30 s old: the pass runs now.
        let live = Backlog {
            oldest_live_wait: Some(Duration::from_secs(30)),
            ..card
        };
        assert_eq!(choose(&live, &config), Plan::ReversePass);
        // On the device (both bounds zero) nothing is held back.
        let device = PlannerConfig {
            latency_bound: Duration::ZERO,
            backlog_bound: Duration::ZERO,
        };
        let fresh = Backlog {
            oldest_wait: Some(Duration::ZERO),
            oldest_live_wait: None,
            ..backlog(3, 6, 0, 200)
        };
        assert_eq!(choose(&fresh, &device), Plan::PerFace);
    }

    #[test]
    fn the_issue_example_calls() {
        let config = PlannerConfig::default();
        // P = 200, N = 3,000, F = 2.5, all photos in one go: one pass at the end.
        let (per_face, planned) = call_model(200, 3_000, 2.5, 1_000.0, config.latency_bound);
        assert_eq!(per_face, 10_700);
        assert_eq!(planned, 3_400);
        // Shot live and indexed at 50 photos/s (a 50 TPS quota): a pass every
        // 30 s = 1,500 photos.
        let (_, planned) = call_model(200, 3_000, 2.5, 50.0, config.latency_bound);
        assert_eq!(planned, 3_600);
        assert!(planned as f64 / 3_000.0 <= 1.2);
        // The same from a card: one pass once it is indexed (60 s < 5 min).
        let (_, planned) = call_model(200, 3_000, 2.5, 50.0, config.backlog_bound);
        assert_eq!(planned, 3_400);
        assert!(planned as f64 / 3_000.0 < 1.14);
        // A trickle at 1 photo/s: 30 photos a window, per-face is cheaper (75 < 200).
        let (per_face, planned) = call_model(200, 3_000, 2.5, 1.0, config.latency_bound);
        assert_eq!(planned, per_face);
    }
}
