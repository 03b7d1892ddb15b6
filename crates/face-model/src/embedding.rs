//! The 128-number face signature SFace produces, and how two are compared.

/// A face's signature: 128 numbers, L2-normalised (length 1), so the cosine of two
/// signatures is just their dot product. Faces of the same person score high
/// (see [`crate::DEFAULT_MATCH_THRESHOLD`]).
#[derive(Clone, Copy, PartialEq)]
pub struct Embedding(pub [f32; 128]);

impl Embedding {
    /// Number of bytes [`Embedding::to_bytes`] writes.
    pub const BYTES: usize = 128 * 4;

    /// Normalises `raw` to length 1; None when it has no direction (all zeros) or
    /// holds NaN/infinite values, which no real face produces.
    pub fn normalized(raw: &[f32]) -> Option<Embedding> {
        if raw.len() != 128 || raw.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let norm = raw
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            .sqrt();
        if !(norm.is_finite() && norm > 1e-12) {
            return None;
        }
        let mut out = [0f32; 128];
        for (o, &v) in out.iter_mut().zip(raw) {
            *o = (f64::from(v) / norm) as f32;
        }
        Some(Embedding(out))
    }

    /// Cosine similarity in -1..=1 (1: same direction). Both sides are normalised,
    /// so this is the dot product, clamped against rounding; NaN inputs (only
    /// possible through hand-built values) give NaN, which no threshold accepts.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        let dot: f64 = self
            .0
            .iter()
            .zip(other.0.iter())
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum();
        (dot as f32).clamp(-1.0, 1.0)
    }

    /// 512 bytes: the 128 values as little-endian f32, for storing in the catalog.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// The inverse of [`Embedding::to_bytes`]; None unless `b` is exactly 512 bytes of
    /// finite values.
    pub fn from_bytes(b: &[u8]) -> Option<Embedding> {
        if b.len() != Self::BYTES {
            return None;
        }
        let mut out = [0f32; 128];
        for (o, chunk) in out.iter_mut().zip(b.chunks_exact(4)) {
            *o = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        out.iter().all(|v| v.is_finite()).then_some(Embedding(out))
    }
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedding([{:.3}, {:.3}, …])", self.0[0], self.0[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_cosine() {
        let mut raw = [0f32; 128];
        raw[0] = 3.0;
        raw[1] = 4.0;
        let e = Embedding::normalized(&raw).unwrap();
        assert!((e.0[0] - 0.6).abs() < 1e-6 && (e.0[1] - 0.8).abs() < 1e-6);
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        let bytes = e.to_bytes();
        assert_eq!(bytes.len(), 512);
        assert_eq!(Embedding::from_bytes(&bytes), Some(e));
        assert_eq!(Embedding::from_bytes(&bytes[..511]), None);
        let mut other = [0f32; 128];
        other[1] = -1.0;
        let o = Embedding::normalized(&other).unwrap();
        assert!((e.cosine(&o) + 0.8).abs() < 1e-6);
        assert!(Embedding::normalized(&[0.0; 128]).is_none());
        assert!(Embedding::normalized(&[f32::NAN; 128]).is_none());
        assert!(Embedding::normalized(&[1.0; 12]).is_none());
        let nan = f32::NAN.to_le_bytes().repeat(128);
        assert!(Embedding::from_bytes(&nan).is_none());
    }
}
