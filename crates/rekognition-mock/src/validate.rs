//! Request validation with AWS's rules and wording: field patterns, ranges, required
//! fields, image presence/size, pagination tokens. Kept apart from the operations so the
//! rules can be read (and compared with the API reference) in one place.

use crate::error::{ApiError, ErrorKind};
use crate::model::ImageInput;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Body → request struct. An empty body counts as `{}`; anything but a JSON object, or a
/// field of the wrong type, is a SerializationException as on AWS.
pub(crate) fn parse<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let ser = |m: String| ApiError::new(ErrorKind::Serialization, m);
    let v: Value = serde_json::from_slice(body).map_err(|e| ser(e.to_string()))?;
    if !v.is_object() {
        return Err(ser("Start of structure or map expected".into()));
    }
    serde_json::from_value(v).map_err(|e| ser(e.to_string()))
}

pub(crate) fn id_chars_ok(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

pub(crate) fn collection_id(v: Option<String>) -> Result<String, ApiError> {
    let v = v.ok_or_else(|| ApiError::missing("collectionId"))?;
    if v.len() > 255 || !id_chars_ok(&v, &['_', '.', '-']) {
        return Err(ApiError::validation(
            &v,
            "collectionId",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-]+ and have length between 1 and 255",
        ));
    }
    Ok(v)
}

/// `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
pub(crate) fn is_face_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
}

pub(crate) fn face_id(v: &str, field: &str) -> Result<String, ApiError> {
    if !is_face_id(v) {
        return Err(ApiError::validation(
            v,
            field,
            "Member must satisfy regular expression pattern: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ));
    }
    Ok(v.to_string())
}

pub(crate) fn int_in(
    v: Option<i64>,
    field: &str,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, ApiError> {
    match v {
        None => Ok(default),
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::validation(
            &n.to_string(),
            field,
            &format!("Member must have value between {min} and {max}"),
        )),
    }
}

pub(crate) fn threshold(v: Option<f64>) -> Result<f32, ApiError> {
    match v {
        None => Ok(80.0),
        Some(t) if (0.0..=100.0).contains(&t) => Ok(t as f32),
        Some(t) => Err(ApiError::validation(
            &t.to_string(),
            "faceMatchThreshold",
            "Member must have value between 0 and 100",
        )),
    }
}

/// Parsed `QualityFilter`: the minimum [`crate::detect::Detection::size_ratio`] a face needs.
pub(crate) fn quality(v: Option<String>, default: f32) -> Result<f32, ApiError> {
    match v.as_deref() {
        None => Ok(default),
        Some("NONE" | "AUTO" | "LOW") => Ok(0.0),
        Some("MEDIUM") => Ok(1.5),
        Some("HIGH") => Ok(2.0),
        Some(o) => Err(ApiError::validation(
            o,
            "qualityFilter",
            "Member must satisfy enum value set: [NONE, AUTO, LOW, MEDIUM, HIGH]",
        )),
    }
}

/// `Image` → raw bytes, with AWS's checks on presence, S3 and size.
pub(crate) fn image_bytes(img: Option<ImageInput>, max: usize) -> Result<Vec<u8>, ApiError> {
    let img = img.ok_or_else(|| ApiError::missing("image"))?;
    let Some(b64) = img.bytes else {
        return Err(if img.s3_object.is_some() {
            ApiError::new(
                ErrorKind::InvalidS3Object,
                "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
            )
        } else {
            ApiError::invalid_parameter()
        });
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| ApiError::new(ErrorKind::Serialization, "Invalid base64 in Image.Bytes"))?;
    if bytes.is_empty() {
        return Err(ApiError::validation(
            "",
            "image.bytes",
            "Member must have length greater than or equal to 1",
        ));
    }
    if bytes.len() > max {
        return Err(ApiError::new(
            ErrorKind::ImageTooLarge,
            "Image size is too large.",
        ));
    }
    Ok(bytes)
}

/// Pagination tokens are `<prefix><first key of the next page>`.
pub(crate) fn page_start(token: Option<String>, prefix: &str) -> Result<Option<String>, ApiError> {
    match token {
        None => Ok(None),
        Some(t) => t
            .strip_prefix(prefix)
            .map(|k| Some(k.to_string()))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::InvalidPaginationToken,
                    "Invalid Pagination Token",
                )
            }),
    }
}
