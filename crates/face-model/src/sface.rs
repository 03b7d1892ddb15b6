//! SFace embedding (OpenCV Zoo, 2021dec) with tract, and the face alignment it needs.
//!
//! SFace was trained on faces aligned to the ArcFace 112×112 template: a similarity
//! transform (rotation, uniform scale, shift; least squares, Umeyama) takes the five
//! detected landmarks onto the template's, and the face is resampled bilinearly
//! (black outside the photo), as OpenCV's `FaceRecognizerSF::alignCrop` does.
//!
//! One deliberate difference: a face much larger than 112 px (a portrait in a 24 MP
//! photo) is first shrunk with an area-aware filter to about template scale, because
//! bilinear sampling at 1/10 would skip most pixels and alias. Faces near or below
//! template scale go straight through the warp, exactly like OpenCV.

use std::sync::Arc;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use tract_onnx::prelude::*;

use crate::{Embedding, ModelError, UprightRgb};

/// Side of SFace's input.
const SIDE: usize = 112;
/// The ArcFace landmark template (eyes, nose tip, mouth corners) in 112×112 pixels.
const TEMPLATE: [(f32, f32); 5] = [
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    (41.5493, 92.3655),
    (70.7299, 92.2041),
];
/// Below this template-per-photo scale the face is shrunk before warping.
const PRESHRINK_BELOW: f64 = 0.7;

pub(crate) struct Embedder {
    plan: Arc<TypedSimplePlan>,
}

/// `p ↦ (a·x − b·y + tx, b·x + a·y + ty)`: a rotation by atan2(b, a) scaled by
/// hypot(a, b), then a shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Similarity {
    a: f64,
    b: f64,
    tx: f64,
    ty: f64,
}

impl Similarity {
    /// Least-squares similarity taking `from` onto `to` (Umeyama, without reflection);
    /// None when `from` has no spread (all points equal) or is not finite.
    pub fn fit(from: &[(f32, f32); 5], to: &[(f32, f32); 5]) -> Option<Similarity> {
        let n = from.len() as f64;
        let mean = |pts: &[(f32, f32); 5]| {
            let (sx, sy) = pts.iter().fold((0.0, 0.0), |(x, y), p| {
                (x + f64::from(p.0), y + f64::from(p.1))
            });
            (sx / n, sy / n)
        };
        let (fm, tm) = (mean(from), mean(to));
        let (mut dot, mut cross, mut var) = (0.0, 0.0, 0.0);
        for (f, t) in from.iter().zip(to) {
            let (fx, fy) = (f64::from(f.0) - fm.0, f64::from(f.1) - fm.1);
            let (tx, ty) = (f64::from(t.0) - tm.0, f64::from(t.1) - tm.1);
            dot += fx * tx + fy * ty;
            cross += fx * ty - fy * tx;
            var += fx * fx + fy * fy;
        }
        if !(var.is_finite() && var > 1e-9) {
            return None;
        }
        let (a, b) = (dot / var, cross / var);
        let s = Similarity {
            a,
            b,
            tx: tm.0 - (a * fm.0 - b * fm.1),
            ty: tm.1 - (b * fm.0 + a * fm.1),
        };
        (s.scale() > 1e-9 && [a, b, s.tx, s.ty].iter().all(|v| v.is_finite())).then_some(s)
    }

    pub fn scale(&self) -> f64 {
        self.a.hypot(self.b)
    }

    pub fn apply(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (
            self.a * x - self.b * y + self.tx,
            self.b * x + self.a * y + self.ty,
        )
    }

    /// The inverse map (scale > 0 is guaranteed by [`Similarity::fit`]).
    pub fn inverse(&self) -> Similarity {
        let d = self.a * self.a + self.b * self.b;
        let (a, b) = (self.a / d, -self.b / d);
        Similarity {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        }
    }
}

impl Embedder {
    pub fn new(bytes: &[u8]) -> Result<Embedder, ModelError> {
        let load = |e: TractError| ModelError::Load(format!("SFace: {e:#}"));
        let plan = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .and_then(|m| {
                m.with_input_fact(
                    0,
                    InferenceFact::dt_shape(f32::datum_type(), tvec![1, 3, SIDE, SIDE]),
                )
            })
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(load)?;
        Ok(Embedder { plan })
    }

    /// The signature of the face whose landmarks (pixels of `image`) are given; None
    /// when the landmarks cannot be aligned or the network gives no usable vector.
    pub fn embed(
        &self,
        image: &UprightRgb,
        landmarks: &[(f32, f32); 5],
    ) -> Result<Option<Embedding>, ModelError> {
        let Some(aligned) = align(image, landmarks)? else {
            return Ok(None);
        };
        let input = tract_ndarray::Array4::from_shape_vec((1, 3, SIDE, SIDE), aligned)
            .map(Tensor::from)
            .map_err(|e| ModelError::Inference(format!("SFace input: {e}")))?;
        let outputs = self
            .plan
            .run(tvec![input.into()])
            .map_err(|e| ModelError::Inference(format!("SFace: {e:#}")))?;
        let raw = outputs
            .first()
            .and_then(|t| t.try_as_plain_ram().ok())
            .and_then(|v| v.as_slice::<f32>().ok())
            .ok_or_else(|| ModelError::Inference("SFace: missing output".to_string()))?;
        Ok(Embedding::normalized(raw))
    }
}

/// The 112×112 aligned face as NCHW RGB float 0-255 (SFace's input); None when the
/// landmarks are degenerate.
pub(crate) fn align(
    image: &UprightRgb,
    landmarks: &[(f32, f32); 5],
) -> Result<Option<Vec<f32>>, ModelError> {
    let Some(to_template) = Similarity::fit(landmarks, &TEMPLATE) else {
        return Ok(None);
    };
    let scale = to_template.scale();
    if scale >= PRESHRINK_BELOW {
        return Ok(Some(warp(
            &image.pixels,
            image.width,
            image.height,
            to_template.inverse(),
        )));
    }
    // Region of the photo the template square covers (plus a pixel), clamped.
    let back = to_template.inverse();
    let corners = [
        (0.0, 0.0),
        (SIDE as f64, 0.0),
        (0.0, SIDE as f64),
        (SIDE as f64, SIDE as f64),
    ]
    .map(|c| back.apply(c));
    let (w, h) = (f64::from(image.width), f64::from(image.height));
    let x0 = corners
        .iter()
        .map(|c| c.0)
        .fold(f64::INFINITY, f64::min)
        .floor()
        - 1.0;
    let y0 = corners
        .iter()
        .map(|c| c.1)
        .fold(f64::INFINITY, f64::min)
        .floor()
        - 1.0;
    let x1 = corners
        .iter()
        .map(|c| c.0)
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil()
        + 1.0;
    let y1 = corners
        .iter()
        .map(|c| c.1)
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil()
        + 1.0;
    let (x0, y0, x1, y1) = (
        x0.clamp(0.0, w),
        y0.clamp(0.0, h),
        x1.clamp(0.0, w),
        y1.clamp(0.0, h),
    );
    if x1 - x0 < 1.0 || y1 - y0 < 1.0 {
        // The face lies wholly outside the photo: nothing to see, like OpenCV's black.
        return Ok(Some(vec![0.0; 3 * SIDE * SIDE]));
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let dw = ((cw * scale).ceil() as u32).max(1);
    let dh = ((ch * scale).ceil() as u32).max(1);
    let fail = |e: &dyn std::fmt::Display| ModelError::BadImage(format!("resize failed: {e}"));
    let src = ImageRef::new(image.width, image.height, &image.pixels, PixelType::U8x3)
        .map_err(|e| fail(&e))?;
    let mut dst = Image::new(dw, dh, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .crop(x0, y0, cw, ch);
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| fail(&e))?;
    let (kx, ky) = (f64::from(dw) / cw, f64::from(dh) / ch);
    let shrunk = landmarks.map(|(x, y)| {
        (
            ((f64::from(x) - x0) * kx) as f32,
            ((f64::from(y) - y0) * ky) as f32,
        )
    });
    let Some(to_template) = Similarity::fit(&shrunk, &TEMPLATE) else {
        return Ok(None);
    };
    Ok(Some(warp(dst.buffer(), dw, dh, to_template.inverse())))
}

/// Bilinear sampling of the RGB `pixels` (`width`×`height`) at `back(u, v)` for every
/// template pixel, black outside (OpenCV `warpAffine`, INTER_LINEAR, BORDER_CONSTANT).
fn warp(pixels: &[u8], width: u32, height: u32, back: Similarity) -> Vec<f32> {
    let plane = SIDE * SIDE;
    let mut out = vec![0f32; 3 * plane];
    let (w, h) = (i64::from(width), i64::from(height));
    let texel = |x: i64, y: i64| -> [f32; 3] {
        if x < 0 || y < 0 || x >= w || y >= h {
            return [0.0; 3];
        }
        let i = ((y * w + x) * 3) as usize;
        match pixels.get(i..i + 3) {
            Some(p) => [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])],
            None => [0.0; 3],
        }
    };
    for v in 0..SIDE {
        for u in 0..SIDE {
            let (x, y) = back.apply((u as f64, v as f64));
            if !(x.is_finite() && y.is_finite()) || x.abs() > 1e9 || y.abs() > 1e9 {
                continue;
            }
            let (fx, fy) = (x.floor(), y.floor());
            let (ax, ay) = ((x - fx) as f32, (y - fy) as f32);
            let (ix, iy) = (fx as i64, fy as i64);
            let (p00, p10) = (texel(ix, iy), texel(ix + 1, iy));
            let (p01, p11) = (texel(ix, iy + 1), texel(ix + 1, iy + 1));
            for c in 0..3 {
                let top = p00[c] + (p10[c] - p00[c]) * ax;
                let bottom = p01[c] + (p11[c] - p01[c]) * ax;
                out[c * plane + v * SIDE + u] = top + (bottom - top) * ay;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_recovers_a_known_transform() {
        let truth = Similarity {
            a: 0.5 * 0.3f64.cos(),
            b: 0.5 * 0.3f64.sin(),
            tx: 10.0,
            ty: -4.0,
        };
        let from = [
            (100.0, 80.0),
            (170.0, 82.0),
            (135.0, 120.0),
            (105.0, 160.0),
            (165.0, 158.0),
        ];
        let to = from.map(|(x, y)| {
            let (u, v) = truth.apply((f64::from(x), f64::from(y)));
            (u as f32, v as f32)
        });
        let fit = Similarity::fit(&from, &to).unwrap();
        for (got, want) in [
            (fit.a, truth.a),
            (fit.b, truth.b),
            (fit.tx, truth.tx),
            (fit.ty, truth.ty),
        ] {
            assert!((got - want).abs() < 1e-4, "{fit:?} vs {truth:?}");
        }
        let round = fit.inverse().apply(fit.apply((3.0, 7.0)));
        assert!((round.0 - 3.0).abs() < 1e-9 && (round.1 - 7.0).abs() < 1e-9);
        assert!(Similarity::fit(&[(5.0, 5.0); 5], &TEMPLATE).is_none());
        assert!(Similarity::fit(&[(f32::NAN, 5.0); 5], &TEMPLATE).is_none());
    }

    /// A uniform grey photo aligns to uniform grey inside, at any face size (with and
    /// without the pre-shrink), and to black where the template leaves the photo.
    #[test]
    fn alignment_samples_the_photo() {
        let image = UprightRgb::new(400, 300, vec![100; 400 * 300 * 3]).unwrap();
        for k in [0.5f32, 1.0, 3.0] {
            let lm = TEMPLATE.map(|(x, y)| (x * k + 50.0, y * k + 20.0));
            let out = align(&image, &lm).unwrap().unwrap();
            assert_eq!(out.len(), 3 * SIDE * SIDE);
            let centre = out[56 * SIDE + 56];
            assert!((centre - 100.0).abs() < 0.5, "scale {k}: {centre}");
        }
        // Face at the top-left corner: the template's top-left lies outside the photo.
        let lm = TEMPLATE.map(|(x, y)| (x - 60.0, y - 60.0));
        let out = align(&image, &lm).unwrap().unwrap();
        assert_eq!(out[0], 0.0);
        assert!((out[111 * SIDE + 111] - 100.0).abs() < 0.5);
    }
}
