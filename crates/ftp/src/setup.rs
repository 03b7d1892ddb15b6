//! What the setup sheet needs: the laptop's addresses and a certificate for FTPS.

use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

use crate::{FtpError, TlsIdentity};

/// Generate (once) and reuse a self-signed certificate in `dir` (`cert.pem`, `key.pem`).
///
/// Reused so a camera that was told to trust the certificate keeps trusting it
/// across restarts. The names cover `localhost` and the LAN addresses of the
/// moment; cameras that check names at all let the photographer accept it.
pub fn self_signed_identity(dir: &Path) -> Result<TlsIdentity, FtpError> {
    let identity = TlsIdentity {
        cert_pem: dir.join("cert.pem"),
        key_pem: dir.join("key.pem"),
    };
    if identity.cert_pem.is_file() && identity.key_pem.is_file() {
        return Ok(identity);
    }
    let fail = |reason: String| FtpError::Certificate {
        dir: dir.to_path_buf(),
        reason,
    };
    fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let mut names = vec!["localhost".to_string(), "findme-studio".to_string()];
    names.extend(lan_addresses().iter().map(IpAddr::to_string));
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| fail(e.to_string()))?;
    // Key first, owner-only, written whole before the certificate that marks the pair done.
    write_private(
        &identity.key_pem,
        certified.signing_key.serialize_pem().as_bytes(),
    )
    .map_err(|e| fail(e.to_string()))?;
    fs::write(&identity.cert_pem, certified.cert.pem()).map_err(|e| fail(e.to_string()))?;
    Ok(identity)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The laptop's LAN addresses for the setup sheet: non-loopback, IPv4 first.
///
/// IPv6 link-local addresses are left out: they need an interface scope a camera
/// cannot be given.
pub fn lan_addresses() -> Vec<IpAddr> {
    let interfaces = match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the network interfaces");
            return Vec::new();
        }
    };
    let mut ips: Vec<IpAddr> = interfaces
        .iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip())
        .filter(|ip| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect();
    ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    ips.dedup();
    ips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = self_signed_identity(&dir.path().join("tls")).unwrap();
        let cert = fs::read_to_string(&first.cert_pem).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(fs::read_to_string(&first.key_pem)
            .unwrap()
            .contains("PRIVATE KEY"));
        let second = self_signed_identity(&dir.path().join("tls")).unwrap();
        assert_eq!(first, second);
        assert_eq!(fs::read_to_string(&second.cert_pem).unwrap(), cert);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&first.key_pem).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by others: {mode:o}");
        }
    }

    #[test]
    fn lan_addresses_leave_out_loopback_and_put_ipv4_first() {
        let ips = lan_addresses();
        assert!(ips.iter().all(|ip| !ip.is_loopback()), "{ips:?}");
        let first_v6 = ips.iter().position(IpAddr::is_ipv6).unwrap_or(ips.len());
        assert!(ips[first_v6..].iter().all(IpAddr::is_ipv6), "{ips:?}");
    }
}
