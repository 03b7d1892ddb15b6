//! Benchmark material, generated once and kept in .cache/bench.

use std::path::{Path, PathBuf};

/// `count` distinct 24 MP (6000x4000) camera-like JPEGs, ~10 MB each: one real
/// photo from the dev set scaled up and re-encoded, then given a unique EXIF
/// block per file so every file is its own photo.
pub fn big_jpegs(dir: &Path, count: usize) -> PathBuf {
    if done(dir) {
        return dir.to_path_buf();
    }
    eprintln!(
        "generating {count} 24 MP JPEGs in {} (once)...",
        dir.display()
    );
    let devset = std::env::var_os("FINDME_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/devset"));
    let source = image::open(devset.join("camera-jpeg/mate_Elephants_5640x3172_SonyRX100M4.jpg"))
        .expect("dev set photo (run scripts/devset.sh)");
    let big = source
        .resize_exact(6000, 4000, image::imageops::FilterType::Triangle)
        .to_rgb8();
    let mut base = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut base, 92)
        .encode(big.as_raw(), 6000, 4000, image::ExtendedColorType::Rgb8)
        .expect("encode");
    std::fs::create_dir_all(dir).expect("mkdir");
    for i in 0..count {
        let tiff = exif_tiff(
            &format!(
                "2026:06:01 {:02}:{:02}:{:02}",
                10 + i / 3600,
                i / 60 % 60,
                i % 60
            ),
            i,
        );
        let mut out = Vec::with_capacity(base.len() + tiff.len() + 16);
        out.extend_from_slice(&base[..2]);
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        out.extend_from_slice(b"Exif\0\0");
        out.extend_from_slice(&tiff);
        out.extend_from_slice(&base[2..]);
        std::fs::write(dir.join(format!("DSC{i:05}.JPG")), out).expect("write");
    }
    mark_done(dir);
    dir.to_path_buf()
}

/// `count` small distinct JPEGs in folders of 500.
pub fn small_jpegs(dir: &Path, count: usize) -> PathBuf {
    if done(dir) {
        return dir.to_path_buf();
    }
    eprintln!(
        "generating {count} small JPEGs in {} (once)...",
        dir.display()
    );
    for i in 0..count {
        let mut pixels = vec![0u8; 32 * 24 * 3];
        for (j, p) in pixels.iter_mut().enumerate() {
            *p = ((i * 31 + j * 7) % 251) as u8;
        }
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
            .encode(&pixels, 32, 24, image::ExtendedColorType::Rgb8)
            .expect("encode");
        let sub = dir.join(format!("{:03}", i / 500));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join(format!("IMG_{i:05}.JPG")), bytes).expect("write");
    }
    mark_done(dir);
    dir.to_path_buf()
}

/// `count` hard links cycling over the files of `source` (cheap on disk; every
/// link is still read and hashed in full).
pub fn hard_links(source: &Path, dir: &Path, count: usize) -> PathBuf {
    if done(dir) {
        return dir.to_path_buf();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(source)
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "JPG"));
    files.sort();
    for i in 0..count {
        let sub = dir.join(format!("{:02}", i / 250));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let target = sub.join(format!("LNK{i:05}.JPG"));
        match std::fs::hard_link(&files[i % files.len()], &target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("link {}: {e}", target.display()),
        }
    }
    mark_done(dir);
    dir.to_path_buf()
}

fn done(dir: &Path) -> bool {
    dir.join(".complete").exists()
}

fn mark_done(dir: &Path) {
    std::fs::write(dir.join(".complete"), b"").expect("mark");
}

fn exif_tiff(when: &str, serial: usize) -> Vec<u8> {
    // IFD0: Make, Model, ExifIFD; EXIF IFD: DateTimeOriginal, BodySerialNumber.
    let make = b"SONY\0".to_vec();
    let model = b"ILCE-7M3\0\0".to_vec();
    let mut date = when.as_bytes().to_vec();
    date.push(0);
    let mut serial = format!("{serial:08}").into_bytes();
    serial.push(0);
    let ifd0_at = 8usize;
    let ifd0_len = 2 + 3 * 12 + 4;
    let make_at = ifd0_at + ifd0_len;
    let model_at = make_at + make.len() + make.len() % 2;
    let exif_at = model_at + model.len();
    let exif_len = 2 + 2 * 12 + 4;
    let date_at = exif_at + exif_len;
    let serial_at = date_at + date.len() + date.len() % 2;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: usize, value: usize| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&(count as u32).to_le_bytes());
        t.extend_from_slice(&(value as u32).to_le_bytes());
    };
    t.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, make.len(), make_at);
    entry(&mut t, 0x0110, 2, model.len(), model_at);
    entry(&mut t, 0x8769, 4, 1, exif_at);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&make);
    if make.len() % 2 == 1 {
        t.push(0);
    }
    t.extend_from_slice(&model);
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x9003, 2, date.len(), date_at);
    entry(&mut t, 0xA431, 2, serial.len(), serial_at);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&date);
    if date.len() % 2 == 1 {
        t.push(0);
    }
    t.extend_from_slice(&serial);
    t
}
