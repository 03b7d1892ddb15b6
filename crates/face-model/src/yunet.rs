//! YuNet face detection (OpenCV Zoo, 2023mar) with tract.
//!
//! The ONNX file declares a fixed 640×640 input, but its graph is fully
//! convolutional: any size that is a multiple of 32 works. So the picture is
//! resized to the caller's detection size (never upscaled), padded with black on the
//! right and bottom to multiples of 32 (as OpenCV's `FaceDetectorYN` does), and run
//! through a plan optimised for that exact input size. Building a plan costs
//! 0.1-0.2 s, so plans are cached per size; photos of one shoot share a handful.
//!
//! Outputs come per stride (8, 16, 32): `cls`, `obj` (one score per grid cell),
//! `bbox` (dx, dy, log w, log h) and `kps` (5 landmark offsets). Decoding follows
//! OpenCV's `FaceDetectorYN` exactly, then non-maximum suppression at IoU 0.3.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use tract_onnx::prelude::*;

use crate::{ModelError, UprightRgb};

/// The detector's strides, coarsest last.
const STRIDES: [u32; 3] = [8, 16, 32];
/// OpenCV's NMS IoU for YuNet.
const NMS_IOU: f32 = 0.3;
/// At most this many candidates enter NMS (OpenCV's top_k): bounds its O(n²) cost
/// even with a threshold of 0.
const TOP_K: usize = 5000;
/// Plans kept; beyond this the cache is emptied (a shoot uses a few sizes).
const MAX_PLANS: usize = 24;

type Plan = Arc<TypedSimplePlan>;

/// One detection, in pixels of the detection input (before padding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawFace {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub landmarks: [(f32, f32); 5],
    pub score: f32,
}

pub(crate) struct Detector {
    /// The parsed graph without shape hints; cloned and specialised per input size.
    template: InferenceModel,
    /// For each stride: output indices of cls, obj, bbox, kps.
    outputs: [[usize; 4]; 3],
    plans: Mutex<HashMap<(u32, u32), Plan>>,
}

impl Detector {
    pub fn new(bytes: &[u8]) -> Result<Detector, ModelError> {
        let load = |e: TractError| ModelError::Load(format!("YuNet: {e:#}"));
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(load)?;
        let names: Vec<String> = model
            .output_outlets()
            .map_err(load)?
            .iter()
            .map(|&o| {
                model
                    .outlet_label(o)
                    .unwrap_or(&model.node(o.node).name)
                    .to_string()
            })
            .collect();
        let find = |name: String| {
            names.iter().position(|n| *n == name).ok_or_else(|| {
                ModelError::Load(format!("YuNet: output {name} not found in {names:?}"))
            })
        };
        let mut outputs = [[0usize; 4]; 3];
        for (slot, stride) in outputs.iter_mut().zip(STRIDES) {
            for (i, kind) in ["cls", "obj", "bbox", "kps"].into_iter().enumerate() {
                slot[i] = find(format!("{kind}_{stride}"))?;
            }
        }
        // Drop the 640×640 shape hints of every tensor (inputs, intermediates and
        // outputs): each plan infers them again from its own input size.
        for node in model.nodes_mut() {
            for output in node.outputs.iter_mut() {
                output.fact = InferenceFact::default();
            }
        }
        let detector = Detector {
            template: model,
            outputs,
            plans: Mutex::new(HashMap::new()),
        };
        // Fail at load, not on the first photo, if the graph cannot be planned.
        detector.plan(640, 640)?;
        Ok(detector)
    }

    /// The optimised plan for a padded input of `width`×`height` (multiples of 32).
    fn plan(&self, width: u32, height: u32) -> Result<Plan, ModelError> {
        let key = (width, height);
        if let Some(plan) = self.lock().get(&key) {
            return Ok(plan.clone());
        }
        // Built outside the lock: other sizes stay usable meanwhile. Two threads
        // asking for the same new size both build it once; the first one stays.
        let started = std::time::Instant::now();
        let fail = |e: TractError| {
            ModelError::Inference(format!("YuNet plan for {width}×{height}: {e:#}"))
        };
        let mut model = self.template.clone();
        model
            .set_input_fact(
                0,
                InferenceFact::dt_shape(
                    f32::datum_type(),
                    tvec![1, 3, height as usize, width as usize],
                ),
            )
            .map_err(fail)?;
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(fail)?;
        tracing::debug!(width, height, elapsed = ?started.elapsed(), "YuNet plan built");
        let mut plans = self.lock();
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        Ok(plans.entry(key).or_insert(plan).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(u32, u32), Plan>> {
        // A panic elsewhere cannot leave the map half-written: use it anyway.
        self.plans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Faces in `image` resized to `width`×`height`, in pixels of that size, strongest
    /// first, scores ≥ `threshold`, after NMS.
    pub fn detect(
        &self,
        image: &UprightRgb,
        width: u32,
        height: u32,
        threshold: f32,
    ) -> Result<Vec<RawFace>, ModelError> {
        let (pw, ph) = (pad32(width), pad32(height));
        let input = input_tensor(image, width, height, pw, ph)?;
        let plan = self.plan(pw, ph)?;
        let outputs = plan
            .run(tvec![input.into()])
            .map_err(|e| ModelError::Inference(format!("YuNet: {e:#}")))?;
        let mut faces = Vec::new();
        for (stride, idx) in STRIDES.into_iter().zip(self.outputs) {
            let view = |i: usize| -> Result<&[f32], ModelError> {
                outputs
                    .get(i)
                    .and_then(|t| t.try_as_plain_ram().ok())
                    .and_then(|v| v.as_slice::<f32>().ok())
                    .ok_or_else(|| ModelError::Inference("YuNet: missing output".to_string()))
            };
            let tensors = [view(idx[0])?, view(idx[1])?, view(idx[2])?, view(idx[3])?];
            decode_stride(stride, pw, ph, tensors, threshold, &mut faces)?;
        }
        Ok(nms(faces))
    }
}

fn pad32(v: u32) -> u32 {
    v.max(1).div_ceil(32).saturating_mul(32)
}

/// NCHW BGR float (0-255) of `image` resized to `width`×`height`, zero-padded to
/// `pw`×`ph` (the layout and value range YuNet was trained on).
fn input_tensor(
    image: &UprightRgb,
    width: u32,
    height: u32,
    pw: u32,
    ph: u32,
) -> Result<Tensor, ModelError> {
    let resized;
    let (src, sw) = if (width, height) == (image.width, image.height) {
        (&image.pixels, image.width)
    } else {
        resized = resize(image, width, height)?;
        (&resized, width)
    };
    let (pw, ph, sw) = (pw as usize, ph as usize, sw as usize);
    let plane = pw * ph;
    let mut data = vec![0f32; 3 * plane];
    for (y, row) in src.chunks_exact(sw * 3).take(height as usize).enumerate() {
        for (x, px) in row.chunks_exact(3).enumerate() {
            let at = y * pw + x;
            data[at] = f32::from(px[2]);
            data[plane + at] = f32::from(px[1]);
            data[2 * plane + at] = f32::from(px[0]);
        }
    }
    tract_ndarray::Array4::from_shape_vec((1, 3, ph, pw), data)
        .map(Tensor::from)
        .map_err(|e| ModelError::Inference(format!("YuNet input: {e}")))
}

/// Area-aware (bilinear convolution) downscale: no aliasing on a 6000 → 1280 px step.
pub(crate) fn resize(image: &UprightRgb, width: u32, height: u32) -> Result<Vec<u8>, ModelError> {
    let fail = |e: &dyn std::fmt::Display| ModelError::BadImage(format!("resize failed: {e}"));
    let src = ImageRef::new(image.width, image.height, &image.pixels, PixelType::U8x3)
        .map_err(|e| fail(&e))?;
    let mut dst = Image::new(width.max(1), height.max(1), PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| fail(&e))?;
    Ok(dst.into_vec())
}

/// Candidates of one stride (OpenCV `FaceDetectorYN::postProcess`).
fn decode_stride(
    stride: u32,
    pw: u32,
    ph: u32,
    [cls, obj, bbox, kps]: [&[f32]; 4],
    threshold: f32,
    out: &mut Vec<RawFace>,
) -> Result<(), ModelError> {
    let (cols, rows) = ((pw / stride) as usize, (ph / stride) as usize);
    let n = cols * rows;
    if cls.len() < n || obj.len() < n || bbox.len() < 4 * n || kps.len() < 10 * n {
        return Err(ModelError::Inference(format!(
            "YuNet: outputs of stride {stride} are smaller than its {cols}×{rows} grid"
        )));
    }
    let s = stride as f32;
    for i in 0..n {
        let score = (cls[i].clamp(0.0, 1.0) * obj[i].clamp(0.0, 1.0)).sqrt();
        if score.is_nan() || score < threshold {
            continue;
        }
        let (c, r) = ((i % cols) as f32, (i / cols) as f32);
        let b = &bbox[4 * i..4 * i + 4];
        let (cx, cy) = ((c + b[0]) * s, (r + b[1]) * s);
        let (w, h) = (b[2].exp() * s, b[3].exp() * s);
        let k = &kps[10 * i..10 * i + 10];
        let mut landmarks = [(0f32, 0f32); 5];
        for (j, l) in landmarks.iter_mut().enumerate() {
            *l = ((k[2 * j] + c) * s, (k[2 * j + 1] + r) * s);
        }
        let face = RawFace {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w,
            h,
            landmarks,
            score,
        };
        let finite = [face.x, face.y, face.w, face.h]
            .iter()
            .all(|v| v.is_finite())
            && landmarks
                .iter()
                .all(|(x, y)| x.is_finite() && y.is_finite());
        if finite && face.w > 0.0 && face.h > 0.0 {
            out.push(face);
        }
    }
    Ok(())
}

fn iou(a: &RawFace, b: &RawFace) -> f32 {
    let ix = ((a.x + a.w).min(b.x + b.w) - a.x.max(b.x)).max(0.0);
    let iy = ((a.y + a.h).min(b.y + b.h) - a.y.max(b.y)).max(0.0);
    let inter = ix * iy;
    let union = a.w * a.h + b.w * b.h - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Greedy non-maximum suppression, strongest first.
fn nms(mut faces: Vec<RawFace>) -> Vec<RawFace> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    faces.truncate(TOP_K);
    let mut kept: Vec<RawFace> = Vec::new();
    for face in faces {
        if kept.iter().all(|k| iou(k, &face) <= NMS_IOU) {
            kept.push(face);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: f32, score: f32) -> RawFace {
        RawFace {
            x,
            y: 0.0,
            w: 10.0,
            h: 10.0,
            landmarks: [(0.0, 0.0); 5],
            score,
        }
    }

    #[test]
    fn nms_keeps_the_strongest_of_overlapping_boxes() {
        let kept = nms(vec![face(0.0, 0.7), face(1.0, 0.9), face(50.0, 0.8)]);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].x, 50.0);
    }

    #[test]
    fn padding_is_to_multiples_of_32() {
        assert_eq!(pad32(0), 32);
        assert_eq!(pad32(1), 32);
        assert_eq!(pad32(32), 32);
        assert_eq!(pad32(853), 864);
    }

    #[test]
    fn decoding_follows_opencv() {
        // One 2×1 grid at stride 32: the second cell holds a face.
        let cls = [0.1, 0.81];
        let obj = [0.1, 1.0];
        let bbox = [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0];
        let mut kps = [0f32; 20];
        kps[10] = 0.25;
        let mut out = Vec::new();
        decode_stride(32, 64, 32, [&cls, &obj, &bbox, &kps], 0.6, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        let f = out[0];
        assert!((f.score - 0.9).abs() < 1e-6);
        assert_eq!((f.x, f.y, f.w, f.h), (32.0, 0.0, 32.0, 32.0));
        assert_eq!(f.landmarks[0], (40.0, 0.0));
        let short = [0f32; 1];
        assert!(decode_stride(32, 64, 32, [&short, &obj, &bbox, &kps], 0.6, &mut out).is_err());
    }
}
