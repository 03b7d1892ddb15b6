//! The Rekognition operations, validated like AWS validates them.
//!
//! Decoding and detection run on the blocking pool; the store lock is held only for
//! map lookups and updates, so concurrent IndexFaces calls never lose or duplicate faces.

use crate::detect::{self, Detection};
use crate::error::{ApiError, ErrorKind};
use crate::knobs::lock;
use crate::model::*;
use crate::store::{Collection, Store};
use crate::validate::*;
use crate::{App, FACE_MODEL_VERSION};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The account id that appears in ARNs.
const ACCOUNT: &str = "123456789012";
/// IndexFaces indexes at most this many faces per image.
const MAX_INDEXED: usize = 100;
/// Cap of MaxFaces for the searches and of ListFaces/ListCollections pages.
pub(crate) const MAX_PAGE: i64 = 4096;
/// ListFaces / ListCollections page size when MaxResults is absent.
const DEFAULT_PAGE: i64 = 1000;

/// Runs one operation on a JSON body.
pub(crate) async fn dispatch(
    app: &App,
    op: &str,
    body: &[u8],
    region: &str,
) -> Result<Value, ApiError> {
    match op {
        "CreateCollection" => create_collection(app, parse(body)?, region),
        "DeleteCollection" => delete_collection(app, parse(body)?),
        "DescribeCollection" => describe_collection(app, parse(body)?, region),
        "ListCollections" => list_collections(app, parse(body)?),
        "IndexFaces" => index_faces(app, parse(body)?).await,
        "ListFaces" => list_faces(app, parse(body)?),
        "DeleteFaces" => delete_faces(app, parse(body)?),
        "SearchFaces" => search_faces(app, parse(body)?),
        "SearchFacesByImage" => search_faces_by_image(app, parse(body)?).await,
        "DetectFaces" => detect_faces(app, parse(body)?).await,
        "CreateUser" => crate::users::create_user(app, parse(body)?),
        "DeleteUser" => crate::users::delete_user(app, parse(body)?),
        "AssociateFaces" => crate::users::associate_faces(app, parse(body)?),
        "SearchUsers" => crate::users::search_users(app, parse(body)?),
        _ => Err(unknown_operation(op)),
    }
}

/// The operations this mock serves.
pub const OPERATIONS: &[&str] = &[
    "CreateCollection",
    "DeleteCollection",
    "DescribeCollection",
    "ListCollections",
    "IndexFaces",
    "ListFaces",
    "DeleteFaces",
    "SearchFaces",
    "SearchFacesByImage",
    "DetectFaces",
    "CreateUser",
    "DeleteUser",
    "AssociateFaces",
    "SearchUsers",
];

pub(crate) fn unknown_operation(op: &str) -> ApiError {
    ApiError::new(
        ErrorKind::UnknownOperation,
        format!("Operation {op} is not supported by this mock"),
    )
}

/// Decode + detect off the async threads.
async fn analyse(bytes: Vec<u8>) -> Result<Vec<Detection>, ApiError> {
    tokio::task::spawn_blocking(move || detect::analyse(&bytes))
        .await
        .map_err(|_| ApiError::new(ErrorKind::InternalServerError, "Internal server error"))?
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("The collection id: {id} does not exist"),
    )
}

fn ensure_collection(app: &App, id: &str) -> Result<(), ApiError> {
    if lock(&app.store.collections).contains_key(id) {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// A stable string hash (FNV-1a): jitter must not depend on the Rust version.
pub(crate) fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn create_collection(app: &App, r: CollectionReq, region: &str) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let mut cols = lock(&app.store.collections);
    if cols.contains_key(&id) {
        return Err(ApiError::new(
            ErrorKind::ResourceAlreadyExists,
            format!("The collection id: {id} already exists"),
        ));
    }
    cols.insert(
        id.clone(),
        Collection {
            created: Store::now_epoch(),
            faces: BTreeMap::new(),
            users: BTreeMap::new(),
        },
    );
    Ok(json!({
        "StatusCode": 200,
        "CollectionArn": format!("aws:rekognition:{region}:{ACCOUNT}:collection/{id}"),
        "FaceModelVersion": FACE_MODEL_VERSION,
    }))
}

fn delete_collection(app: &App, r: CollectionReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    match lock(&app.store.collections).remove(&id) {
        Some(_) => Ok(json!({ "StatusCode": 200 })),
        None => Err(not_found(&id)),
    }
}

fn describe_collection(app: &App, r: CollectionReq, region: &str) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let cols = lock(&app.store.collections);
    let c = cols.get(&id).ok_or_else(|| not_found(&id))?;
    Ok(json!({
        "FaceCount": c.faces.len(),
        "FaceModelVersion": FACE_MODEL_VERSION,
        "CollectionARN": format!("arn:aws:rekognition:{region}:{ACCOUNT}:collection/{id}"),
        "CreationTimestamp": c.created,
        "UserCount": 0,
    }))
}

fn list_collections(app: &App, r: ListCollectionsReq) -> Result<Value, ApiError> {
    let max = int_in(r.max_results, "maxResults", 0, MAX_PAGE, DEFAULT_PAGE)? as usize;
    let start = page_start(r.next_token, "c1.")?.unwrap_or_default();
    let cols = lock(&app.store.collections);
    let mut keys = cols.range(start..).map(|(k, _)| k.clone());
    let page: Vec<String> = keys.by_ref().take(max).collect();
    let mut out = json!({
        "CollectionIds": page,
        "FaceModelVersions": vec![FACE_MODEL_VERSION; page.len()],
    });
    if let Some(next) = keys.next() {
        out["NextToken"] = json!(format!("c1.{next}"));
    }
    Ok(out)
}

async fn index_faces(app: &App, r: IndexFacesReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    if let Some(ext) = &r.external_image_id {
        if ext.len() > 255 || !id_chars_ok(ext, &['_', '.', '-', ':']) {
            return Err(ApiError::validation(
                ext,
                "externalImageId",
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-:]+",
            ));
        }
    }
    let max_faces = int_in(r.max_faces, "maxFaces", 1, i64::MAX, MAX_INDEXED as i64)?;
    let max_faces = (max_faces as usize).min(MAX_INDEXED);
    let min_quality = quality(r.quality_filter, 0.0)?;
    let all = r
        .detection_attributes
        .as_ref()
        .is_some_and(|a| a.iter().any(|s| s == "ALL"));
    let bytes = image_bytes(r.image, app.knobs.config().max_image_bytes)?;
    ensure_collection(app, &id)?;
    let faces = analyse(bytes).await?;

    let (image_id, _) = app.store.new_id();
    let mut records = Vec::new();
    let mut unindexed = Vec::new();
    let mut new_faces = Vec::new();
    for d in &faces {
        let detail = face_detail(&d.bounding_box, d.confidence, all);
        if d.size_ratio < min_quality {
            unindexed.push(json!({"Reasons": ["SMALL_BOUNDING_BOX", "LOW_FACE_QUALITY"], "FaceDetail": detail}));
        } else if new_faces.len() >= max_faces {
            unindexed.push(json!({"Reasons": ["EXCEEDS_MAX_FACES"], "FaceDetail": detail}));
        } else {
            let (face_id, seq) = app.store.new_id();
            let face = StoredFace {
                face_id,
                image_id: image_id.clone(),
                external_image_id: r.external_image_id.clone(),
                bounding_box: d.bounding_box,
                confidence: d.confidence,
                person: d.person,
                seq,
            };
            records.push(json!({"Face": face.to_json(), "FaceDetail": detail}));
            new_faces.push(face);
        }
    }
    {
        let mut cols = lock(&app.store.collections);
        // Deleted while we were looking at the image: AWS would fail the call too.
        let col = cols.get_mut(&id).ok_or_else(|| not_found(&id))?;
        for f in new_faces {
            col.faces.insert(f.face_id.clone(), f);
        }
    }
    Ok(json!({
        "FaceRecords": records,
        "FaceModelVersion": FACE_MODEL_VERSION,
        "UnindexedFaces": unindexed,
    }))
}

fn list_faces(app: &App, r: ListFacesReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let max = int_in(r.max_results, "maxResults", 0, MAX_PAGE, DEFAULT_PAGE)? as usize;
    let start = page_start(r.next_token, "f1.")?.unwrap_or_default();
    let wanted = match r.face_ids {
        Some(ids) => Some(
            ids.iter()
                .map(|f| face_id(f, "faceIds"))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let cols = lock(&app.store.collections);
    let col = cols.get(&id).ok_or_else(|| not_found(&id))?;
    let of_user = r
        .user_id
        .as_ref()
        .map(|u| col.users.get(u).cloned().unwrap_or_default());
    let mut faces = col.faces.range(start..).map(|(_, f)| f).filter(|f| {
        of_user.as_ref().is_none_or(|u| u.contains(&f.face_id))
            && wanted.as_ref().is_none_or(|w| w.contains(&f.face_id))
    });
    let page: Vec<Value> = faces.by_ref().take(max).map(StoredFace::to_json).collect();
    let mut out = json!({ "Faces": page, "FaceModelVersion": FACE_MODEL_VERSION });
    if let Some(next) = faces.next() {
        out["NextToken"] = json!(format!("f1.{}", next.face_id));
    }
    Ok(out)
}

fn delete_faces(app: &App, r: DeleteFacesReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let ids = r.face_ids.ok_or_else(|| ApiError::missing("faceIds"))?;
    if ids.is_empty() || ids.len() > MAX_PAGE as usize {
        return Err(ApiError::validation(
            &format!("{} items", ids.len()),
            "faceIds",
            "Member must have length between 1 and 4096",
        ));
    }
    let ids = ids
        .iter()
        .map(|f| face_id(f, "faceIds"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cols = lock(&app.store.collections);
    let col = cols.get_mut(&id).ok_or_else(|| not_found(&id))?;
    let (mut deleted, mut failed) = (Vec::new(), Vec::new());
    for f in ids {
        if let Some(user) = col.users.iter().find(|(_, faces)| faces.contains(&f)) {
            let user = user.0.clone();
            failed.push(
                json!({"FaceId": f, "UserId": user, "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}),
            );
        } else if col.faces.remove(&f).is_some() {
            deleted.push(json!(f));
        } else {
            failed.push(json!({"FaceId": f, "Reasons": ["FACE_NOT_FOUND"]}));
        }
    }
    Ok(json!({ "DeletedFaces": deleted, "UnsuccessfulFaceDeletions": failed }))
}

/// Matches of `person` among `faces`, best first, at or above `threshold`.
fn matches<'a>(
    faces: impl Iterator<Item = &'a StoredFace>,
    person: usize,
    salt: impl Fn(&StoredFace) -> u64,
    threshold: f32,
    max: usize,
) -> Vec<Value> {
    let mut m: Vec<(f32, &StoredFace)> = faces
        .map(|f| (crate::synth::similarity(person, f.person, salt(f)), f))
        .filter(|(s, _)| *s >= threshold)
        .collect();
    m.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.face_id.cmp(&b.1.face_id)));
    m.into_iter()
        .take(max)
        .map(|(s, f)| json!({"Similarity": s, "Face": f.to_json()}))
        .collect()
}

fn search_faces(app: &App, r: SearchFacesReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let fid = face_id(
        &r.face_id.ok_or_else(|| ApiError::missing("faceId"))?,
        "faceId",
    )?;
    let max = int_in(r.max_faces, "maxFaces", 1, MAX_PAGE, MAX_PAGE)? as usize;
    let threshold = threshold(r.face_match_threshold)?;
    let cols = lock(&app.store.collections);
    let col = cols.get(&id).ok_or_else(|| not_found(&id))?;
    let me = col.faces.get(&fid).ok_or_else(|| {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            format!("Face {fid} does not exist in collection {id}"),
        )
    })?;
    // Symmetric salt: A→B and B→A report the same similarity.
    let pair = |f: &StoredFace| hash_str(&fid) ^ hash_str(&f.face_id);
    let found = matches(
        col.faces.values().filter(|f| f.face_id != fid),
        me.person,
        pair,
        threshold,
        max,
    );
    Ok(json!({
        "SearchedFaceId": fid,
        "FaceMatches": found,
        "FaceModelVersion": FACE_MODEL_VERSION,
    }))
}

async fn search_faces_by_image(app: &App, r: SearchFacesByImageReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let max = int_in(r.max_faces, "maxFaces", 1, MAX_PAGE, MAX_PAGE)? as usize;
    let threshold = threshold(r.face_match_threshold)?;
    let min_quality = quality(r.quality_filter, 0.0)?;
    let bytes = image_bytes(r.image, app.knobs.config().max_image_bytes)?;
    ensure_collection(app, &id)?;
    let faces = analyse(bytes).await?;
    // AWS searches only the largest face.
    let Some(big) = faces.iter().find(|d| d.size_ratio >= min_quality) else {
        return Err(ApiError::new(
            ErrorKind::InvalidParameter,
            "There are no faces in the image. Should be at least 1.",
        ));
    };
    let b = &big.bounding_box;
    let probe = hash_str(&format!("{:.3}{:.3}{:.3}", b.left, b.top, b.width));
    let cols = lock(&app.store.collections);
    let col = cols.get(&id).ok_or_else(|| not_found(&id))?;
    let found = matches(
        col.faces.values(),
        big.person,
        |f| probe ^ hash_str(&f.face_id),
        threshold,
        max,
    );
    Ok(json!({
        "SearchedFaceBoundingBox": big.bounding_box,
        "SearchedFaceConfidence": big.confidence,
        "FaceMatches": found,
        "FaceModelVersion": FACE_MODEL_VERSION,
    }))
}

async fn detect_faces(app: &App, r: DetectFacesReq) -> Result<Value, ApiError> {
    let all = r
        .attributes
        .as_ref()
        .is_some_and(|a| a.iter().any(|s| s == "ALL"));
    let bytes = image_bytes(r.image, app.knobs.config().max_image_bytes)?;
    let faces = analyse(bytes).await?;
    let details: Vec<Value> = faces
        .iter()
        .take(MAX_INDEXED)
        .map(|d| face_detail(&d.bounding_box, d.confidence, all))
        .collect();
    Ok(json!({ "FaceDetails": details }))
}
