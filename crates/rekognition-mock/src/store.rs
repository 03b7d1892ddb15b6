//! Collections and their faces, in memory, behind one lock.
//!
//! Image work happens outside the lock; the lock is only held to look up or mutate
//! the maps, so many concurrent app workers serialise only on cheap sections.

use crate::knobs::lock;
use crate::model::StoredFace;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) struct Collection {
    /// Epoch seconds, as AWS returns `CreationTimestamp`.
    pub created: f64,
    /// Keyed by FaceId: ListFaces pages in this order.
    pub faces: BTreeMap<String, StoredFace>,
    /// Users (CreateUser) and the faces associated with each (AssociateFaces).
    pub users: BTreeMap<String, Vec<String>>,
}

pub(crate) struct Store {
    pub collections: Mutex<BTreeMap<String, Collection>>,
    ids: Mutex<(StdRng, u64)>,
}

impl Store {
    pub fn new(seed: u64) -> Self {
        Self {
            collections: Mutex::new(BTreeMap::new()),
            ids: Mutex::new((StdRng::seed_from_u64(seed ^ 0x1D5_1D5), 0)),
        }
    }

    /// A fresh lowercase UUIDv4 (the FaceId/ImageId format) and a sequence number.
    pub fn new_id(&self) -> (String, u64) {
        let mut g = lock(&self.ids);
        let (rng, seq) = &mut *g;
        *seq += 1;
        let a: u128 = rng.random();
        let a = (a & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
        let hex = format!("{a:032x}");
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        (id, *seq)
    }

    pub fn now_epoch() -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| (d.as_millis() as f64) / 1000.0)
            .unwrap_or(0.0)
    }

    /// Faces of a collection in insertion order (empty if it does not exist).
    pub fn faces(&self, collection: &str) -> Vec<StoredFace> {
        let cols = lock(&self.collections);
        let mut v: Vec<StoredFace> = cols
            .get(collection)
            .map(|c| c.faces.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by_key(|f| f.seq);
        v
    }

    pub fn face_counts(&self) -> BTreeMap<String, usize> {
        lock(&self.collections)
            .iter()
            .map(|(k, c)| (k.clone(), c.faces.len()))
            .collect()
    }

    pub fn clear(&self) {
        lock(&self.collections).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_aws_face_ids() {
        let s = Store::new(1);
        let (id, seq) = s.new_id();
        assert_eq!(seq, 1);
        assert!(crate::validate::is_face_id(&id), "{id}");
        assert_ne!(id, s.new_id().0);
        assert_eq!(id, Store::new(1).new_id().0, "seeded");
    }
}
