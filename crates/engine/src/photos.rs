//! The catalog as the CLI lists it: photos in capture order with their faces,
//! files that could not be read, and the counters of `findme stats`.

use findme_catalog::QueueCounts;

use crate::{
    convert, now_ms, sync, Engine, EngineError, FailureDto, PhotoCursor, PhotoDto, PhotoPage,
    PhotoQuery, Stats,
};

impl Engine {
    /// A keyset page of photos in capture order, each with its faces in the active
    /// event.
    pub async fn photos(&self, query: PhotoQuery) -> Result<PhotoPage, EngineError> {
        let limit = match query.limit {
            0 => 200,
            n => n.min(1000),
        };
        let after = query.after.map(|c| (c.taken_ms, c.id));
        let (rows, faces) = self
            .inner
            .catalog
            .read(move |r| {
                let rows = r.photos_page(after, limit, query.newest_first)?;
                let mut faces = Vec::with_capacity(rows.len());
                if let Some(event) = r.active_event()? {
                    for row in &rows {
                        faces.push(r.photo_faces(&event.id, row.id)?);
                    }
                }
                Ok((rows, faces))
            })
            .await?;
        let next = match rows.last() {
            Some(last) if rows.len() == limit as usize => Some(PhotoCursor {
                taken_ms: last.taken_ms,
                id: last.id,
            }),
            _ => None,
        };
        Ok(PhotoPage {
            photos: rows
                .into_iter()
                .zip(
                    faces
                        .into_iter()
                        .map(Some)
                        .chain(std::iter::repeat_with(|| None)),
                )
                .map(|(row, faces)| {
                    let mut dto = convert::photo_dto(row, &self.inner.thumbs);
                    dto.faces = faces
                        .unwrap_or_default()
                        .into_iter()
                        .map(convert::photo_face)
                        .collect();
                    dto
                })
                .collect(),
            next,
        })
    }

    /// Every photo, oldest capture first (the CLI's `photos --json`).
    pub async fn all_photos(&self) -> Result<Vec<PhotoDto>, EngineError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .photos(PhotoQuery {
                    after,
                    limit: 1000,
                    newest_first: false,
                })
                .await?;
            all.extend(page.photos);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Files that could not be read at all (no content hash), newest first.
    pub async fn failures(&self) -> Result<Vec<FailureDto>, EngineError> {
        let rows = self.inner.catalog.read(|r| r.read_failures(1000)).await?;
        Ok(rows
            .into_iter()
            .map(|f| FailureDto {
                path: f.path.to_string_lossy().into_owned(),
                reason: f.reason,
            })
            .collect())
    }

    pub async fn stats(&self) -> Result<Stats, EngineError> {
        let now = now_ms();
        let (counts, kinds, rekognition, outbox) = self
            .inner
            .catalog
            .read(move |r| {
                Ok((
                    r.counts()?,
                    r.queue_stats(now)?,
                    convert::rekognition_stats(r)?,
                    sync::sync_stats(r, now)?,
                ))
            })
            .await?;
        let queue = QueueCounts::total(kinds.iter().map(|k| &k.counts));
        Ok(convert::stats(counts, queue, rekognition, outbox))
    }
}
