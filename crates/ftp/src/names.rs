//! The rules for the paths a camera sends, checked before anything touches the disk.
//!
//! libunftp hands the back end `cwd.join(argument)`, so a path is always absolute
//! here. Folders are virtual, but a name still ends up as a file name on the
//! photographer's disk (possibly an exFAT card or a Windows share later), so
//! names are held to what every file system accepts.

use std::path::{Component, Path, PathBuf};

/// Longest file or folder name accepted, in bytes (the usual file system limit).
const MAX_NAME: usize = 255;

/// The canonical form of a virtual folder (`/DCIM/./100CANON/` → `/DCIM/100CANON`),
/// or why it is refused. `..` is refused rather than resolved: cameras never need
/// it, and a STOR path carrying it cannot be told from an escape attempt.
pub(crate) fn folder(path: &Path) -> Result<PathBuf, String> {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => return Err("'..' in a path is not allowed".into()),
            Component::Prefix(_) => return Err("drive letters are not allowed".into()),
            Component::Normal(name) => {
                let name = name
                    .to_str()
                    .ok_or_else(|| "the name is not valid text".to_string())?;
                check_name(name)?;
                out.push(name);
            }
        }
    }
    Ok(out)
}

/// Split an upload's path into its canonical folder and its file name.
pub(crate) fn upload(path: &Path) -> Result<(PathBuf, String), String> {
    let canonical = folder(path)?;
    let name = canonical
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "the file name is empty".to_string())?
        .to_string();
    let parent = canonical
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    Ok((parent, name))
}

/// One path component: a name every file system can hold and no scan ignores.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the file name is empty".into());
    }
    if name.starts_with('.') {
        return Err(format!("names starting with '.' are not accepted ({name})"));
    }
    if name.chars().any(char::is_control) {
        return Err("the name contains control characters".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!("the name is longer than {MAX_NAME} bytes"));
    }
    if name.contains('\\') {
        return Err(format!("backslashes are not allowed in names ({name})"));
    }
    if name.contains(':') {
        return Err(format!(
            "':' and drive letters are not allowed in names ({name})"
        ));
    }
    Ok(())
}

/// A camera account name is a folder name under the library, so it follows the
/// same rules (checked before its password is even looked at).
pub(crate) fn check_account(account: &str) -> Result<(), String> {
    check_name(account)?;
    if account.contains('/') {
        return Err("'/' is not allowed in an account name".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_canonical_and_never_climb() {
        assert_eq!(
            folder(Path::new("/DCIM/./100CANON/")).unwrap(),
            Path::new("/DCIM/100CANON")
        );
        assert_eq!(folder(Path::new("/")).unwrap(), Path::new("/"));
        assert!(folder(Path::new("/DCIM/../etc")).is_err());
        assert!(folder(Path::new("/../x")).is_err());
    }

    #[test]
    fn upload_names_follow_every_rule() {
        assert_eq!(
            upload(Path::new("/DCIM/100CANON/IMG_0001.JPG")).unwrap(),
            (PathBuf::from("/DCIM/100CANON"), "IMG_0001.JPG".to_string())
        );
        let long = format!("/{}.jpg", "a".repeat(252));
        for bad in [
            "/",
            "/../x.jpg",
            "/a/../../x.jpg",
            "/.hidden.jpg",
            "/a\u{7}b.jpg",
            "/a\nb.jpg",
            "/a\\b.jpg",
            "/C:x.jpg",
            "/x:y.jpg",
            long.as_str(),
        ] {
            assert!(upload(Path::new(bad)).is_err(), "{bad:?} was accepted");
        }
        let longest = format!("/{}.jpg", "a".repeat(251));
        assert!(upload(Path::new(&longest)).is_ok());
    }

    #[test]
    fn account_names_are_folder_names() {
        assert!(check_account("canon-r5").is_ok());
        for bad in ["", ".x", "a/b", "..", "a\\b", "a\tb"] {
            assert!(check_account(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
