//! Serving a router over plain HTTP or HTTPS (rustls), always with the client's
//! address available to handlers as `ConnectInfo<SocketAddr>` (the guest pages
//! rate-limit by it), and with graceful shutdown in both modes.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

use crate::ServerError;

/// The PEM files of `--tls-cert` / `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// A loaded and checked TLS setup, ready to serve with.
#[derive(Clone)]
pub struct TlsConfig(Arc<rustls::ServerConfig>);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig(..)")
    }
}

impl TlsFiles {
    /// Reads both files and checks the key matches the certificate, so a bad setup
    /// fails at start-up rather than on the first connection. Blocking.
    pub fn load(&self) -> Result<TlsConfig, ServerError> {
        let bad =
            |path: &PathBuf, what: String| ServerError::Tls(format!("{}: {what}", path.display()));
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .map_err(|e| bad(&self.cert, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad(&self.cert, e.to_string()))?;
        if certs.is_empty() {
            return Err(bad(&self.cert, "no CERTIFICATE in the file".into()));
        }
        let key =
            PrivateKeyDer::from_pem_file(&self.key).map_err(|e| bad(&self.key, e.to_string()))?;
        // The provider is chosen here rather than process-wide, so it cannot clash
        // with whatever else in the process uses rustls.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ServerError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| ServerError::Tls(format!("certificate and key: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig(Arc::new(config)))
    }
}

/// Serves `router` on `listener` (HTTPS when `tls` is given) until `shutdown`
/// completes, then finishes in-flight requests. Handlers can extract
/// `ConnectInfo<SocketAddr>` in both modes.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let Some(TlsConfig(tls)) = tls else {
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        return Ok(());
    };
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        // No deadline: like the plain mode, wait for in-flight requests.
        stopper.graceful_shutdown(None);
    });
    axum_server::from_tcp_rustls(
        listener.into_std()?,
        axum_server::tls_rustls::RustlsConfig::from_config(tls),
    )?
    .handle(handle)
    .serve(service)
    .await?;
    Ok(())
}
