//! Why the receiver could not start, worded for the photographer who set it up.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    #[error(
        "port {port} is in use by another program: choose another FTP port or close that program"
    )]
    PortInUse { port: u16 },
    #[error("port {port} needs administrator rights: choose a port above 1024")]
    PortNeedsPrivileges { port: u16 },
    #[error("{ip} is not an address of this computer")]
    AddressNotAvailable { ip: std::net::IpAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot use the folder {path} for received photos: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the FTPS certificate in {dir}: {reason}")]
    Certificate { dir: PathBuf, reason: String },
    #[error("the FTPS certificate cannot be used: {0}")]
    Tls(String),
}

impl FtpError {
    /// Classify a failed bind of `addr`.
    pub(crate) fn from_bind(addr: SocketAddr, source: std::io::Error) -> FtpError {
        match source.kind() {
            std::io::ErrorKind::AddrInUse => FtpError::PortInUse { port: addr.port() },
            std::io::ErrorKind::PermissionDenied => {
                FtpError::PortNeedsPrivileges { port: addr.port() }
            }
            std::io::ErrorKind::AddrNotAvailable => FtpError::AddressNotAvailable { ip: addr.ip() },
            _ => FtpError::Bind { addr, source },
        }
    }
}
