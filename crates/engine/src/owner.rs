//! Who holds a job lease: `<host>/<pid>/<start ms>`. A process that finds leases of
//! a dead process on its own host hands them back at once, so a crash costs a
//! restart, not a lease timeout.

/// This process's lease-owner name.
pub(crate) fn this_process() -> String {
    format!("{}/{}/{}", hostname(), std::process::id(), crate::now_ms())
}

/// True when `owner` names a process on this host that no longer runs.
pub(crate) fn is_dead(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, '/');
    let (Some(_start), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    host == hostname() && pid != std::process::id() as i32 && !is_alive(pid)
}

#[cfg(unix)]
fn is_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn is_alive(_pid: i32) -> bool {
    true // unknown: let the lease run out
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most buf.len() bytes into buf.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned();
        }
    }
    "localhost".to_string()
}

/// Jobs held by a process of this host that died are claimable at once.
pub(crate) async fn recover_dead_leases(
    catalog: &findme_catalog::Catalog,
) -> Result<(), crate::EngineError> {
    let owners = catalog.read(|r| r.lease_owners()).await?;
    for owner in owners.into_iter().filter(|o| is_dead(o)) {
        let name = owner.clone();
        let n = catalog.write(move |w| w.expire_leases(&name)).await?;
        tracing::info!(%owner, jobs = n, "recovered the jobs of a process that died");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_dead_only_when_their_local_process_is_gone() {
        let me = this_process();
        assert!(!is_dead(&me), "we are alive");
        let host = hostname();
        // pid 1 always exists; a huge pid does not.
        assert!(!is_dead(&format!("{host}/1/0")));
        assert!(is_dead(&format!("{host}/999999999/0")));
        assert!(
            !is_dead("another-host/999999999/0"),
            "other hosts' processes are not ours to judge"
        );
        assert!(!is_dead("garbage"));
    }
}
