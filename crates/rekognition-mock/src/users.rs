//! Users: CreateUser, DeleteUser, AssociateFaces and SearchUsers, as AWS has them
//! since 2023. A user gathers faces of one person; SearchUsers answers with users,
//! so its answer is never cut by how many faces of that person the collection holds.
//! A face associated with a user cannot be deleted (DeleteFaces reports
//! `ASSOCIATED_TO_AN_EXISTING_USER`) until the user is deleted.

use crate::error::{ApiError, ErrorKind};
use crate::knobs::lock;
use crate::model::{AssociateFacesReq, SearchUsersReq, StoredFace, UserReq};
use crate::validate::{collection_id, face_id, id_chars_ok, int_in, threshold};
use crate::{App, FACE_MODEL_VERSION};
use serde_json::{json, Value};

/// AWS: at most 100 faces per user, and MaxUsers 1-500.
const MAX_FACES_PER_USER: usize = 100;
const MAX_USERS: i64 = 500;

fn user_id(v: Option<String>) -> Result<String, ApiError> {
    let id = v.ok_or_else(|| ApiError::missing("userId"))?;
    if id.is_empty() || id.len() > 128 || !id_chars_ok(&id, &['_', '.', '-', ':']) {
        return Err(ApiError::validation(
            &id,
            "userId",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-:]+",
        ));
    }
    Ok(id)
}

fn no_collection(id: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("The collection id: {id} does not exist"),
    )
}

fn no_user(user: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("The user id: {user} does not exist"),
    )
}

pub(crate) fn create_user(app: &App, r: UserReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let user = user_id(r.user_id)?;
    let mut cols = lock(&app.store.collections);
    let col = cols.get_mut(&id).ok_or_else(|| no_collection(&id))?;
    if col.users.contains_key(&user) {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            format!("User with the same Id {user} already exists"),
        ));
    }
    col.users.insert(user, Vec::new());
    Ok(json!({}))
}

pub(crate) fn delete_user(app: &App, r: UserReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let user = user_id(r.user_id)?;
    let mut cols = lock(&app.store.collections);
    let col = cols.get_mut(&id).ok_or_else(|| no_collection(&id))?;
    // Its faces are disassociated, not deleted.
    col.users.remove(&user).ok_or_else(|| no_user(&user))?;
    Ok(json!({}))
}

pub(crate) fn associate_faces(app: &App, r: AssociateFacesReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let user = user_id(r.user_id)?;
    threshold(r.user_match_threshold)?;
    let ids = r.face_ids.ok_or_else(|| ApiError::missing("faceIds"))?;
    if ids.is_empty() || ids.len() > MAX_FACES_PER_USER {
        return Err(ApiError::validation(
            &format!("{} items", ids.len()),
            "faceIds",
            "Member must have length between 1 and 100",
        ));
    }
    let ids = ids
        .iter()
        .map(|f| face_id(f, "faceIds"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cols = lock(&app.store.collections);
    let col = cols.get_mut(&id).ok_or_else(|| no_collection(&id))?;
    if !col.users.contains_key(&user) {
        return Err(no_user(&user));
    }
    let (mut associated, mut failed) = (Vec::new(), Vec::new());
    for face in ids {
        let owner = col
            .users
            .iter()
            .find(|(_, faces)| faces.contains(&face))
            .map(|(u, _)| u.clone());
        let reason = if !col.faces.contains_key(&face) {
            Some("FACE_NOT_FOUND")
        } else if owner.as_ref().is_some_and(|o| *o != user) {
            Some("ASSOCIATED_TO_A_DIFFERENT_USER")
        } else {
            None
        };
        match reason {
            Some(reason) => failed.push(json!({"FaceId": face, "Reasons": [reason]})),
            None => {
                if owner.is_none() {
                    if let Some(faces) = col.users.get_mut(&user) {
                        faces.push(face.clone());
                    }
                }
                associated.push(json!({"FaceId": face}));
            }
        }
    }
    Ok(json!({
        "AssociatedFaces": associated,
        "UnsuccessfulFaceAssociations": failed,
        "UserStatus": "ACTIVE",
    }))
}

/// Users similar to a face (or to another user): each user scores its best face.
pub(crate) fn search_users(app: &App, r: SearchUsersReq) -> Result<Value, ApiError> {
    let id = collection_id(r.collection_id)?;
    let max = int_in(r.max_users, "maxUsers", 1, MAX_USERS, MAX_USERS)? as usize;
    let threshold = threshold(r.user_match_threshold)?;
    let cols = lock(&app.store.collections);
    let col = cols.get(&id).ok_or_else(|| no_collection(&id))?;
    let (probe, searched): (Vec<&StoredFace>, Value) = match (r.face_id, r.user_id) {
        (Some(f), None) => {
            let f = face_id(&f, "faceId")?;
            let face = col.faces.get(&f).ok_or_else(|| {
                ApiError::new(
                    ErrorKind::ResourceNotFound,
                    format!("Face {f} does not exist in collection {id}"),
                )
            })?;
            (vec![face], json!({"SearchedFace": {"FaceId": f}}))
        }
        (None, Some(u)) => {
            let u = user_id(Some(u))?;
            let faces = col.users.get(&u).ok_or_else(|| no_user(&u))?;
            let faces = faces.iter().filter_map(|f| col.faces.get(f)).collect();
            (faces, json!({"SearchedUser": {"UserId": u}}))
        }
        _ => {
            return Err(ApiError::new(
                ErrorKind::InvalidParameter,
                "Exactly one of FaceId or UserId must be given",
            ))
        }
    };
    let mut found: Vec<(f32, &String)> = col
        .users
        .iter()
        .filter(|(_, faces)| !faces.is_empty())
        .filter_map(|(user, faces)| {
            let best = faces
                .iter()
                .filter_map(|f| col.faces.get(f))
                .flat_map(|f| probe.iter().map(move |p| (p, f)))
                .filter(|(p, f)| p.face_id != f.face_id)
                .map(|(p, f)| {
                    let salt = crate::ops::hash_str(&p.face_id) ^ crate::ops::hash_str(&f.face_id);
                    crate::synth::similarity(p.person, f.person, salt)
                })
                .fold(f32::MIN, f32::max);
            (best >= threshold).then_some((best, user))
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let matches: Vec<Value> = found
        .into_iter()
        .take(max)
        .map(|(s, u)| json!({"Similarity": s, "User": {"UserId": u, "UserStatus": "ACTIVE"}}))
        .collect();
    let mut out = json!({ "UserMatches": matches, "FaceModelVersion": FACE_MODEL_VERSION });
    if let (Some(obj), Some(extra)) = (out.as_object_mut(), searched.as_object()) {
        obj.extend(extra.clone());
    }
    Ok(out)
}
