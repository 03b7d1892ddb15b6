//! Names what a file's first bytes really are, for "not a JPEG image: the content
//! starts with …" messages.

/// A short, readable description of `head` (the first bytes of a file).
pub(crate) fn describe(head: &[u8]) -> String {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let known = if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("a JPEG signature")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("a PNG signature")
    } else if starts(b"GIF8") {
        Some("a GIF signature")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some("a TIFF header (TIFF image or TIFF-based RAW)")
    } else if starts(b"FUJIFILMCCD-RAW") {
        Some("a Fujifilm RAF header")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some("a WebP header")
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        Some("an AVI video header")
    } else if starts(b"%PDF") {
        Some("a PDF header")
    } else if starts(b"PK\x03\x04") {
        Some("a ZIP archive header")
    } else if starts(b"BM") {
        Some("a BMP signature")
    } else if starts(b"8BPS") {
        Some("a Photoshop signature")
    } else if head.get(4..8) == Some(b"ftyp") {
        return describe_ftyp(head.get(8..12).unwrap_or_default());
    } else if !head.is_empty() && head.iter().all(|&b| b == 0) {
        Some("only zero bytes (never written, or space reserved by a copy in progress)")
    } else if starts(b"<") || starts(b"\xEF\xBB\xBF<") {
        Some("text markup (HTML or XML), not image data")
    } else {
        None
    };
    match known {
        Some(text) => text.to_string(),
        None => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02X}")).collect();
            format!("the bytes {}", hex.join(" "))
        }
    }
}

/// An ISO-BMFF file, named by its major brand.
fn describe_ftyp(brand: &[u8]) -> String {
    let text = match brand {
        b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis" | b"hevc" | b"hevx" => {
            "a HEIF/HEIC header"
        }
        b"avif" | b"avis" => "an AVIF header",
        b"crx " => "a Canon CR3 header",
        b"qt  " => "a QuickTime (MOV) video header",
        b"isom" | b"iso2" | b"mp41" | b"mp42" | b"avc1" | b"M4V " | b"XAVC" | b"3gp4" | b"3gp5" => {
            "an MP4 video header"
        }
        _ => {
            return format!(
                "an ISO media header (brand '{}')",
                String::from_utf8_lossy(brand).trim()
            );
        }
    };
    text.to_string()
}
