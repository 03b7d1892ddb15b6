//! A minimal EXIF writer, so generated test photos carry the same tags a camera
//! writes (and ingest reads them through the same code path as real files).

/// Tags to write. `None` leaves a tag out.
#[derive(Debug, Clone, Default)]
pub struct Exif {
    pub make: Option<String>,
    pub model: Option<String>,
    pub orientation: Option<u16>,
    /// "YYYY:MM:DD HH:MM:SS"
    pub date_time_original: Option<String>,
    pub subsec: Option<String>,
    /// "+02:00"
    pub offset: Option<String>,
    pub serial: Option<String>,
}

impl Exif {
    pub fn camera(make: &str, model: &str, when: &str) -> Exif {
        Exif {
            make: Some(make.into()),
            model: Some(model.into()),
            orientation: Some(1),
            date_time_original: Some(when.into()),
            ..Exif::default()
        }
    }

    /// A little-endian TIFF block with IFD0 and an EXIF sub-IFD.
    pub fn to_tiff(&self) -> Vec<u8> {
        let ascii = |s: &Option<String>| {
            s.as_ref().map(|s| {
                let mut v = s.as_bytes().to_vec();
                v.push(0);
                v
            })
        };
        let mut ifd0: Vec<(u16, u16, Vec<u8>)> = Vec::new(); // (tag, type, data)
        if let Some(v) = ascii(&self.make) {
            ifd0.push((0x010F, 2, v));
        }
        if let Some(v) = ascii(&self.model) {
            ifd0.push((0x0110, 2, v));
        }
        if let Some(o) = self.orientation {
            ifd0.push((0x0112, 3, o.to_le_bytes().to_vec()));
        }
        let mut exif: Vec<(u16, u16, Vec<u8>)> = Vec::new();
        if let Some(v) = ascii(&self.date_time_original) {
            exif.push((0x9003, 2, v));
        }
        if let Some(v) = ascii(&self.offset) {
            exif.push((0x9011, 2, v));
        }
        if let Some(v) = ascii(&self.subsec) {
            exif.push((0x9291, 2, v));
        }
        if let Some(v) = ascii(&self.serial) {
            exif.push((0xA431, 2, v));
        }
        let ifd_size = |n: usize| 2 + n * 12 + 4;
        let ifd0_len = ifd_size(ifd0.len() + 1);
        let data0: usize = ifd0.iter().map(|e| padded(&e.2)).sum();
        let exif_offset = 8 + ifd0_len + data0;
        ifd0.push((0x8769, 4, (exif_offset as u32).to_le_bytes().to_vec()));
        ifd0.sort_by_key(|e| e.0);

        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        write_ifd(&mut out, &ifd0, 8 + ifd0_len);
        write_ifd(&mut out, &exif, exif_offset + ifd_size(exif.len()));
        out
    }
}

fn padded(data: &[u8]) -> usize {
    if data.len() <= 4 {
        0
    } else {
        data.len() + data.len() % 2
    }
}

fn write_ifd(out: &mut Vec<u8>, entries: &[(u16, u16, Vec<u8>)], mut data_at: usize) {
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        let count = if *kind == 2 { value.len() } else { 1 };
        out.extend_from_slice(&(count as u32).to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_le_bytes());
            data.extend_from_slice(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at += padded(value);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&data);
}

/// Insert an APP1 "Exif" segment right after the SOI marker.
pub fn splice_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}
