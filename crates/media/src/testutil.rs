//! Builders for small synthetic files used by the unit tests.

use std::io::Cursor;

/// A valid baseline JPEG of `w`×`h` pixels, with a gradient so the scan has content.
pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// A valid PNG of `w`×`h` pixels.
pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 11) as u8, (y * 13) as u8, 7]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// `jpeg` with an EXIF APP1 segment holding `tiff` inserted after its SOI marker.
pub(crate) fn jpeg_with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let len = u16::try_from(tiff.len() + 8).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// One TIFF directory entry value.
#[derive(Clone)]
pub(crate) enum Val {
    Ascii(&'static str),
    Short(u16),
    Long(Vec<u32>),
    Rational(Vec<(u32, u32)>),
}

/// A little-endian TIFF block: IFD0 entries and optional EXIF-IFD entries, values
/// after the directories. The EXIF pointer is added when `exif` is non-empty.
pub(crate) fn tiff(ifd0: &[(u16, Val)], exif: &[(u16, Val)]) -> Vec<u8> {
    let mut ifd0 = ifd0.to_vec();
    if !exif.is_empty() {
        ifd0.push((0x8769, Val::Long(vec![0]))); // patched below
        ifd0.sort_by_key(|(t, _)| *t);
    }
    let ifd0_size = 2 + 12 * ifd0.len() + 4;
    let exif_at = 8 + ifd0_size;
    let exif_size = if exif.is_empty() {
        0
    } else {
        2 + 12 * exif.len() + 4
    };
    let mut data_at = exif_at + exif_size;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    let mut extra = Vec::new();
    let write_ifd =
        |out: &mut Vec<u8>, entries: &[(u16, Val)], extra: &mut Vec<u8>, data_at: &mut usize| {
            out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            for (tag, val) in entries {
                let (typ, count, bytes): (u16, usize, Vec<u8>) = match val {
                    _ if *tag == 0x8769 => (4, 1, (exif_at as u32).to_le_bytes().to_vec()),
                    Val::Ascii(s) => (2, s.len() + 1, [s.as_bytes(), b"\0"].concat()),
                    Val::Short(v) => (3, 1, v.to_le_bytes().to_vec()),
                    Val::Long(v) => (4, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
                    Val::Rational(v) => (
                        5,
                        v.len(),
                        v.iter()
                            .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()].concat())
                            .collect(),
                    ),
                };
                out.extend_from_slice(&tag.to_le_bytes());
                out.extend_from_slice(&typ.to_le_bytes());
                out.extend_from_slice(&(count as u32).to_le_bytes());
                if bytes.len() <= 4 {
                    let mut inline = bytes.clone();
                    inline.resize(4, 0);
                    out.extend_from_slice(&inline);
                } else {
                    out.extend_from_slice(&(*data_at as u32).to_le_bytes());
                    *data_at += bytes.len();
                    extra.extend_from_slice(&bytes);
                }
            }
            out.extend_from_slice(&0u32.to_le_bytes());
        };
    write_ifd(&mut out, &ifd0, &mut extra, &mut data_at);
    if !exif.is_empty() {
        write_ifd(&mut out, exif, &mut extra, &mut data_at);
    }
    out.extend_from_slice(&extra);
    out
}

/// An ISO-BMFF box.
pub(crate) fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

pub(crate) use findme_testkit::devset;

/// A minimal HEIF: ftyp, meta (pitm, iloc, iprp/ipco/ispe + ipma), mdat.
pub(crate) fn heif(brands: &[&[u8; 4]], w: u32, h: u32) -> Vec<u8> {
    let mut ftyp = brands[0].to_vec();
    ftyp.extend_from_slice(&[0; 4]);
    for brand in brands {
        ftyp.extend_from_slice(*brand);
    }
    let pitm = bmff_box(b"pitm", &[0, 0, 0, 0, 0, 1]);
    let mut ispe = vec![0; 4];
    ispe.extend_from_slice(&w.to_be_bytes());
    ispe.extend_from_slice(&h.to_be_bytes());
    let ipco = bmff_box(b"ipco", &bmff_box(b"ispe", &ispe));
    // version 0, flags 0, one entry: item 1, one association: essential, index 1.
    let ipma = bmff_box(b"ipma", &[0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0x81]);
    let iprp = bmff_box(b"iprp", &[ipco, ipma].concat());
    let data = vec![0x55u8; 300];
    let ftyp = bmff_box(b"ftyp", &ftyp);
    // iloc v0, offset_size 4, length_size 4, base 0; item 1, one extent into mdat.
    let iloc_len = 8 + 4 + 2 + 2 + 2 + 2 + 2 + 4 + 4;
    let mut meta_body = vec![0; 4];
    meta_body.extend_from_slice(&pitm);
    meta_body.extend_from_slice(&iprp);
    let meta_len = 8 + meta_body.len() + iloc_len;
    let data_at = (ftyp.len() + meta_len + 8) as u32;
    let mut iloc = vec![0, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 0, 0, 1];
    iloc.extend_from_slice(&data_at.to_be_bytes());
    iloc.extend_from_slice(&(data.len() as u32).to_be_bytes());
    meta_body.extend_from_slice(&bmff_box(b"iloc", &iloc));
    let meta = bmff_box(b"meta", &meta_body);
    assert_eq!(meta.len(), meta_len);
    [ftyp, meta, bmff_box(b"mdat", &data)].concat()
}

/// A minimal CR3: ftyp `crx `, moov with Canon's uuid box holding `CMT1` (IFD0 TIFF
/// block) and `CMT2` (EXIF-IFD TIFF block), then 500 bytes of mdat.
pub(crate) fn cr3(cmt1: &[u8], cmt2: &[u8]) -> Vec<u8> {
    let canon_uuid = [
        0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a,
        0x48,
    ];
    let boxes = [
        &canon_uuid[..],
        &bmff_box(b"CMT1", cmt1),
        &bmff_box(b"CMT2", cmt2),
    ]
    .concat();
    let moov = bmff_box(
        b"moov",
        &[bmff_box(b"mvhd", &[0; 20]), bmff_box(b"uuid", &boxes)].concat(),
    );
    let ftyp = bmff_box(b"ftyp", b"crx \0\0\0\x01crx isom");
    [ftyp, moov, bmff_box(b"mdat", &[9; 500])].concat()
}

/// A minimal RAF: 160-byte header pointing at `preview` (a JPEG) and 1000 bytes of CFA data.
pub(crate) fn raf(preview: &[u8]) -> Vec<u8> {
    let mut header = b"FUJIFILMCCD-RAW 0201FF393101X-T4".to_vec();
    header.resize(160, 0);
    let cfa_at = 160 + preview.len() as u32;
    header[84..88].copy_from_slice(&160u32.to_be_bytes());
    header[88..92].copy_from_slice(&(preview.len() as u32).to_be_bytes());
    header[100..104].copy_from_slice(&cfa_at.to_be_bytes());
    header[104..108].copy_from_slice(&1000u32.to_be_bytes());
    [header, preview.to_vec(), vec![3; 1000]].concat()
}
