//! Paths are stored as raw OS bytes so names that are not valid UTF-8 (old cards,
//! odd card readers) round-trip exactly.

use std::path::{Path, PathBuf};

#[cfg(unix)]
pub(crate) fn to_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
pub(crate) fn from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
pub(crate) fn to_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
pub(crate) fn from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// Byte range `[lo, hi)` that holds exactly the paths strictly inside `root`:
/// `root/` ..= `root/\xff…`, expressed as `root/` .. `root0` ('0' follows '/').
pub(crate) fn subtree_range(root: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut lo = to_bytes(root);
    while lo.len() > 1 && lo.last() == Some(&b'/') {
        lo.pop();
    }
    let mut hi = lo.clone();
    if lo.last() != Some(&b'/') {
        lo.push(b'/');
        hi.push(b'0');
    } else {
        // root is "/": everything.
        hi = vec![0xff; 1];
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_range_excludes_siblings_with_common_prefix() {
        let (lo, hi) = subtree_range(Path::new("/cards/A"));
        let inside = to_bytes(Path::new("/cards/A/DCIM/x.jpg"));
        let sibling = to_bytes(Path::new("/cards/AB/x.jpg"));
        let sibling2 = to_bytes(Path::new("/cards/A-copy/x.jpg"));
        assert!(inside >= lo && inside < hi);
        assert!(!(sibling >= lo && sibling < hi));
        assert!(!(sibling2 >= lo && sibling2 < hi));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/x/IMG_\xff\xfe.JPG"));
        assert_eq!(from_bytes(to_bytes(p)), p);
    }
}
