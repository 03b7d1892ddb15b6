//! EXIF date/time strings ("2018:10:27 13:27:23", SubSecTime "53", OffsetTime
//! "+08:00") into jiff values. Cameras write blanks, zeros and junk here; anything
//! unparseable is None rather than an error.

use jiff::civil::DateTime;
use jiff::tz::Offset;

/// Parse "YYYY:MM:DD HH:MM:SS" (also tolerating '-' date separators and a 'T'),
/// with optional sub-second digits ("53" = 0.53 s).
pub(crate) fn parse_datetime(text: &str, subsec: Option<&str>) -> Option<DateTime> {
    let t = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let bytes = t.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i32> {
        let part = t.get(range)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let separators_ok = matches!(bytes.get(4), Some(b':' | b'-'))
        && matches!(bytes.get(7), Some(b':' | b'-'))
        && matches!(bytes.get(10), Some(b' ' | b'T'))
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':');
    if !separators_ok {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if year == 0 {
        return None;
    }
    let nanos = subsec.and_then(parse_subsec).unwrap_or(0);
    DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        nanos,
    )
    .ok()
}

/// SubSecTime digits are a decimal fraction of a second: "046" = 46 ms.
fn parse_subsec(text: &str) -> Option<i32> {
    let digits: String = text
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let padded = format!("{digits:0<9}");
    padded.parse().ok()
}

/// Parse an EXIF offset "+08:00" / "-05:00" (also "+0800", "Z").
pub(crate) fn parse_offset(text: &str) -> Option<Offset> {
    let t = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if t == "Z" {
        return Some(Offset::UTC);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, t.get(1..)?),
        b'-' => (-1, t.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4)?.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exif_datetimes() {
        let dt = parse_datetime("2018:10:27 13:27:23", Some("53")).unwrap();
        assert_eq!(dt.to_string(), "2018-10-27T13:27:23.53");
        let dt = parse_datetime("2020:07:27 14:46:48\0", Some("780685")).unwrap();
        assert_eq!(dt.subsec_nanosecond(), 780_685_000);
        assert_eq!(
            parse_datetime("2019-10-17T16:55:20-07:00", None)
                .unwrap()
                .to_string(),
            "2019-10-17T16:55:20"
        );
        for junk in [
            "0000:00:00 00:00:00",
            "    :  :     :  :  ",
            "",
            "2019:13:01 00:00:00",
            "2019:02:30 10:00:00",
            "abcd:ef:gh ij:kl:mn",
            "2019:+1:01 00:00:00",
        ] {
            assert_eq!(parse_datetime(junk, None), None, "{junk:?}");
        }
        assert_eq!(
            parse_datetime("2019:01:01 00:00:00", Some("  "))
                .unwrap()
                .subsec_nanosecond(),
            0
        );
    }

    #[test]
    fn parses_offsets() {
        assert_eq!(parse_offset("+08:00").unwrap().seconds(), 8 * 3600);
        assert_eq!(
            parse_offset("-05:30").unwrap().seconds(),
            -(5 * 3600 + 1800)
        );
        assert_eq!(parse_offset("+0100").unwrap().seconds(), 3600);
        assert_eq!(parse_offset("Z"), Some(Offset::UTC));
        for junk in ["", "   :  ", "08:00", "+99:00", "+1:00", "+é1:00"] {
            assert_eq!(parse_offset(junk), None, "{junk:?}");
        }
    }
}
