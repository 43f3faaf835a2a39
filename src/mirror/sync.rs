//! Reading an export body one customization at a time, and streaming one from the service.
//!
//! [`read_export`] walks `{"results": [...]}` with serde_json's streaming deserializer and
//! hands each element's raw text to a callback: memory holds one customization at a time
//! however large the tracker. [`sync_from_client`] feeds the body of `POST /scopes/export`
//! into [`super::Mirror::sync_from_reader`] on a blocking thread as the chunks arrive.

use std::cell::RefCell;
use std::fmt;
use std::io::Read;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Mirror, MirrorError, SyncStats};
use crate::api::{ApiError, Client, ExportQuery};

/// Calls `each` with the raw JSON text of every element of the body's `results` array, in
/// order. Other top-level keys are skipped. Fails on anything that is not a complete
/// export body, including one cut short.
pub fn read_export<R: Read>(
    reader: R,
    each: &mut dyn FnMut(&str) -> Result<(), MirrorError>,
) -> Result<(), MirrorError> {
    let failed: RefCell<Option<MirrorError>> = RefCell::new(None);
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(64 * 1024, reader));
    let found = de.deserialize_map(Body {
        each,
        failed: &failed,
    });
    if let Some(e) = failed.into_inner() {
        return Err(e);
    }
    let found = found.map_err(|e| MirrorError::Export(e.to_string()))?;
    de.end().map_err(|e| MirrorError::Export(e.to_string()))?;
    if !found {
        return Err(MirrorError::Export("no `results` array".into()));
    }
    Ok(())
}

/// The top-level object; yields whether `results` was there.
struct Body<'a, 'f> {
    each: &'a mut dyn FnMut(&str) -> Result<(), MirrorError>,
    failed: &'f RefCell<Option<MirrorError>>,
}

impl<'de> Visitor<'de> for Body<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a `results` array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "results" && !found {
                found = true;
                map.next_value_seed(Results {
                    each: &mut *self.each,
                    failed: self.failed,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct Results<'a, 'f> {
    each: &'a mut dyn FnMut(&str) -> Result<(), MirrorError>,
    failed: &'f RefCell<Option<MirrorError>>,
}

impl<'de> DeserializeSeed<'de> for Results<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Results<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of customizations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            if let Err(e) = (self.each)(raw.get()) {
                let message = e.to_string();
                *self.failed.borrow_mut() = Some(e);
                return Err(de::Error::custom(message));
            }
        }
        Ok(())
    }
}

/// A `Read` over chunks that arrive on a channel; a closed channel is the end.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    cur: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.cur = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur.split_to(n));
        Ok(n)
    }
}

/// Replaces `mirror`'s rows with the tracker's export, streamed: the body is parsed and
/// stored on a blocking thread while it arrives. The mirror comes back with the result
/// (`None` only if that thread could not hand it back, when the runtime shuts down: open it
/// again); on any failure (the service, a cut connection, a bad body) its rows are as they
/// were. `progress` gets the running count.
pub async fn sync_from_client(
    mut mirror: Mirror,
    client: &Client,
    mut progress: impl FnMut(u64) + Send + 'static,
) -> (Option<Mirror>, Result<SyncStats, MirrorError>) {
    let mut body = match client.export_stream(&ExportQuery::default()).await {
        Ok(b) => b,
        Err(e) => return (Some(mirror), Err(MirrorError::Api(e))),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let worker = tokio::task::spawn_blocking(move || {
        let reader = ChunkReader {
            rx,
            cur: Bytes::new(),
        };
        // A panic in the parser or SQLite must not take the mirror with it: the
        // transaction is dropped (rolled back) on the way out.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            mirror.sync_from_reader(reader, &mut progress)
        }))
        .unwrap_or_else(|_| Err(MirrorError::Export("the sync stopped unexpectedly".into())));
        (mirror, r)
    });
    let mut cut: Option<ApiError> = None;
    loop {
        match body.chunk().await {
            Ok(Some(b)) => {
                if tx.send(b).await.is_err() {
                    // The reader stopped (bad body): its error says why.
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                cut = Some(e);
                break;
            }
        }
    }
    // With the sender gone the reader sees the end; after a cut, that end comes too early
    // and the parse fails, so the transaction is rolled back.
    drop(tx);
    match worker.await {
        Ok((mirror, r)) => {
            let r = match (cut, r) {
                (Some(e), Err(_)) => Err(MirrorError::Api(e)),
                (_, r) => r,
            };
            (Some(mirror), r)
        }
        Err(e) => (
            None,
            Err(MirrorError::Export(format!("the sync stopped: {e}"))),
        ),
    }
}
