//! What the live benches (sync, ftp_live) share: frames made distinct without
//! re-encoding, and percentiles for their tables.

/// `base` with a COM segment naming `i`: same pixels, a photo of its own.
pub fn unique(base: &[u8], i: usize) -> Vec<u8> {
    let text = format!("findme bench frame {i}");
    let mut out = Vec::with_capacity(base.len() + text.len() + 4);
    out.extend_from_slice(&base[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&base[2..]);
    out
}

/// The `q` quantile of sorted values (nearest rank).
pub fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}
