//! Wire shapes: the request bodies we read (PascalCase, unknown fields ignored like AWS)
//! and the small response pieces shared by several operations.
//!
//! Requests are typed so that a field of the wrong JSON type is a `SerializationException`
//! (AWS's answer) rather than a silently ignored value.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A box as ratios of the image's width and height, like AWS's `BoundingBox`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BoundingBox {
    pub width: f32,
    pub height: f32,
    pub left: f32,
    pub top: f32,
}

impl BoundingBox {
    pub fn area(&self) -> f32 {
        self.width * self.height
    }

    /// Largest coordinate difference with `other` (all four values, as ratios).
    pub fn max_diff(&self, other: &BoundingBox) -> f32 {
        [
            (self.width - other.width).abs(),
            (self.height - other.height).abs(),
            (self.left - other.left).abs(),
            (self.top - other.top).abs(),
        ]
        .into_iter()
        .fold(0.0, f32::max)
    }
}

/// A face held in a collection. `person` is the palette index the mock detected: the
/// ground truth the app never sees on the wire, exposed for test assertions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFace {
    pub face_id: String,
    pub image_id: String,
    pub external_image_id: Option<String>,
    pub bounding_box: BoundingBox,
    pub confidence: f32,
    pub person: usize,
    /// Insertion order within the server (for stable listings in tests).
    pub seq: u64,
}

impl StoredFace {
    /// The `Face` object of ListFaces / IndexFaces / SearchFaces answers.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "FaceId": self.face_id,
            "BoundingBox": self.bounding_box,
            "ImageId": self.image_id,
            "Confidence": self.confidence,
            "IndexFacesModelVersion": crate::FACE_MODEL_VERSION,
        });
        if let (Some(ext), Some(obj)) = (&self.external_image_id, v.as_object_mut()) {
            obj.insert("ExternalImageId".into(), json!(ext));
        }
        v
    }
}

/// `Image`: bytes (base64 on the wire) or an S3 reference (which the mock cannot fetch).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageInput {
    pub bytes: Option<String>,
    pub s3_object: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CollectionReq {
    pub collection_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListCollectionsReq {
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IndexFacesReq {
    pub collection_id: Option<String>,
    pub image: Option<ImageInput>,
    pub external_image_id: Option<String>,
    pub detection_attributes: Option<Vec<String>>,
    pub max_faces: Option<i64>,
    pub quality_filter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListFacesReq {
    pub collection_id: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub user_id: Option<String>,
    pub face_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchFacesReq {
    pub collection_id: Option<String>,
    pub face_id: Option<String>,
    pub max_faces: Option<i64>,
    pub face_match_threshold: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchFacesByImageReq {
    pub collection_id: Option<String>,
    pub image: Option<ImageInput>,
    pub max_faces: Option<i64>,
    pub face_match_threshold: Option<f64>,
    pub quality_filter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DetectFacesReq {
    pub image: Option<ImageInput>,
    pub attributes: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteFacesReq {
    pub collection_id: Option<String>,
    pub face_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserReq {
    pub collection_id: Option<String>,
    pub user_id: Option<String>,
    pub client_request_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AssociateFacesReq {
    pub collection_id: Option<String>,
    pub user_id: Option<String>,
    pub face_ids: Option<Vec<String>>,
    pub user_match_threshold: Option<f64>,
    pub client_request_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchUsersReq {
    pub collection_id: Option<String>,
    pub user_id: Option<String>,
    pub face_id: Option<String>,
    pub user_match_threshold: Option<f64>,
    pub max_users: Option<i64>,
}

/// `FaceDetail` for a detected box. `all` adds the attribute block that
/// `DetectionAttributes: ["ALL"]` asks for (fixed, plausible values).
pub(crate) fn face_detail(bbox: &BoundingBox, confidence: f32, all: bool) -> Value {
    let lm = |kind: &str, fx: f32, fy: f32| json!({"Type": kind, "X": bbox.left + fx * bbox.width, "Y": bbox.top + fy * bbox.height});
    let mut v = json!({
        "BoundingBox": bbox,
        "Confidence": confidence,
        "Landmarks": [
            lm("eyeLeft", 0.3, 0.35), lm("eyeRight", 0.7, 0.35), lm("nose", 0.5, 0.55),
            lm("mouthLeft", 0.35, 0.75), lm("mouthRight", 0.65, 0.75),
        ],
        "Pose": {"Roll": 0.0, "Yaw": 0.0, "Pitch": 0.0},
        "Quality": {"Brightness": 80.0, "Sharpness": 90.0},
    });
    if let (true, Some(obj)) = (all, v.as_object_mut()) {
        let attrs = json!({
            "AgeRange": {"Low": 25, "High": 35},
            "Smile": {"Value": true, "Confidence": 95.0},
            "Eyeglasses": {"Value": false, "Confidence": 98.0},
            "Sunglasses": {"Value": false, "Confidence": 99.0},
            "Gender": {"Value": "Female", "Confidence": 90.0},
            "Beard": {"Value": false, "Confidence": 97.0},
            "Mustache": {"Value": false, "Confidence": 97.0},
            "EyesOpen": {"Value": true, "Confidence": 96.0},
            "MouthOpen": {"Value": false, "Confidence": 94.0},
            "Emotions": [{"Type": "HAPPY", "Confidence": 90.0}, {"Type": "CALM", "Confidence": 8.0}],
            "FaceOccluded": {"Value": false, "Confidence": 99.0},
            "EyeDirection": {"Yaw": 0.0, "Pitch": 0.0, "Confidence": 99.0},
        });
        if let Value::Object(extra) = attrs {
            obj.extend(extra);
        }
    }
    v
}
