//! `GET /e/{event}/me/photos.zip`: every photo of the guest in one download,
//! streamed as it is written (stored, not deflated: JPEGs do not shrink), so the
//! server never holds the whole archive and the phone sees bytes at once.

use std::io::Write;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes_chunk::ChunkSender;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::ClientAddr;
use crate::extract::Params;
use crate::store::{Images, Meta};
use crate::AppState;

/// `GET /e/{event}/me/photos.zip`.
pub async fn all_photos(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Response {
    let participant = match super::me::session_guest(&st, addr, &headers, &event).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let (meta, images, ev) = (st.meta.clone(), st.images.clone(), event.clone());
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let sender = ChunkSender::new(tx.clone());
        let stores = (&runtime, &meta, &images);
        if let Err(e) = write_zip(sender, stores, &ev, &participant) {
            tracing::warn!(event = %ev, error = %e, "zip of a guest's photos cut short");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = tokio_stream_from(rx);
    let mut resp = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = format!("attachment; filename=\"{event}-photos.zip\"");
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

fn write_zip(
    out: ChunkSender,
    (runtime, meta, images): (&tokio::runtime::Handle, &Meta, &Images),
    event: &str,
    participant: &str,
) -> std::io::Result<()> {
    let io = |e: crate::db::DbError| std::io::Error::other(e.to_string());
    let list = runtime
        .block_on(meta.my_photos(event, participant))
        .map_err(io)?;
    let mut zip = ZipWriter::new_stream(std::io::BufWriter::with_capacity(256 * 1024, out));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (i, p) in list.iter().enumerate() {
        // Checked again per photo: one withdrawn while the zip is written is left out.
        let image = runtime
            .block_on(meta.guest_image(event, participant, &p.sha256, false))
            .map_err(io)?;
        let Some(image) = image else { continue };
        let bytes = runtime.block_on(images.get(&image))?;
        let name = format!("{event}-{:04}-{}.jpg", i + 1, &p.sha256[..12]);
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&bytes)?;
    }
    let mut inner = zip.finish().map_err(std::io::Error::other)?.into_inner();
    inner.flush()
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

mod bytes_chunk {
    //! A blocking `Write` that hands each chunk to the response body's channel.
    use std::io;

    pub struct ChunkSender {
        tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, io::Error>>,
    }

    impl ChunkSender {
        pub fn new(tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, io::Error>>) -> Self {
            Self { tx }
        }
    }

    impl io::Write for ChunkSender {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.tx.blocking_send(Ok(buf.to_vec())).map_err(|_| {
                io::Error::new(io::ErrorKind::BrokenPipe, "the download was cancelled")
            })?;
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
