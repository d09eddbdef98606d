//! Photos of other people's records on this phone (DESIGN §7, 证据照片下行): the township verifying a resolution
//! sees the grid worker's visit photo. Records refer to photos by SHA-256; a photo this phone did not take is
//! fetched from the server on demand (the sync engine does the network part), checked against its hash, given
//! a thumbnail by the photo pipeline, and kept in a content-addressed cache under `<evidence dir>/cache/`.
//! The cache has a size cap (default 200 MB, settable) and evicts the least recently used photos — full-size
//! files first, thumbnails last — never the photo just fetched and never the phone's own evidence (that lives
//! in the evidence directory and is not part of the cache). What is cached is shown offline.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::{meta_get, meta_set, EvidenceTarget, Store};
use crate::error::{Error, Result};
use crate::photo::{self, PhotoConfig};

/// The cache's default size cap: 200 MB (about 1,000 full-size evidence photos).
pub const DEFAULT_CACHE_LIMIT_BYTES: u64 = 200 * 1024 * 1024;

/// Which rendition of a photo is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoSize {
    /// The 320 px thumbnail (lists, record pages).
    Thumbnail,
    /// The full photo (≤ 1600 px), when the user opens it.
    Full,
}

/// A photo of a record, and where its files are on this phone if they are.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPhotoRow {
    pub hash: String,
    /// Taken on this phone (never evicted, uploaded by sync).
    pub own: bool,
    pub thumbnail_path: Option<PathBuf>,
    pub path: Option<PathBuf>,
}

/// How full the photo cache is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    pub bytes: u64,
    pub photos: u32,
    pub limit_bytes: u64,
}

/// A photo that is not on the phone and must be fetched: from where and with which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFetch {
    pub server_url: String,
    pub token: String,
}

fn file_if_present(path: PathBuf) -> Option<PathBuf> {
    path.is_file().then_some(path)
}

impl Store {
    /// Where downloaded photos are cached: `<evidence dir>/cache` (deleted with the evidence on a wipe).
    pub fn photo_cache_dir(&self) -> PathBuf {
        self.evidence_dir.join("cache")
    }

    fn cached_paths(&self, hash: &str) -> (PathBuf, PathBuf) {
        let dir = self.photo_cache_dir();
        (dir.join(format!("{hash}.jpg")), dir.join("thumbs").join(format!("{hash}.jpg")))
    }

    /// The photos of a record in scope, by hash, whether taken here or by others, with the
    /// local files that exist now (`None`: fetch it with the sync engine).
    pub fn record_photos(&self, target: &EvidenceTarget) -> Result<Vec<RecordPhotoRow>> {
        self.check_target_in_scope(target)?;
        // Task completion photos are referenced as `task_report` by the cascade.
        let (kind, alias) = match target {
            EvidenceTarget::Acknowledgement(_) => ("directive_ack", "task_report"),
            _ => (target.kind(), target.kind()),
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.hash, e.hash IS NOT NULL FROM evidence_refs r LEFT JOIN evidence e ON e.hash = r.hash
             WHERE r.entity_kind IN (?1, ?2) AND r.entity_id = ?3 GROUP BY r.hash ORDER BY r.hash",
        )?;
        let rows = stmt
            .query_map(params![kind, alias, target.id()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .map(|(hash, own)| {
                let (path, thumb) = if own {
                    (self.evidence_dir.join(format!("{hash}.jpg")), self.evidence_dir.join("thumbs").join(format!("{hash}.jpg")))
                } else {
                    self.cached_paths(&hash)
                };
                RecordPhotoRow { own, thumbnail_path: file_if_present(thumb), path: file_if_present(path), hash }
            })
            .collect())
    }

    /// The photo must be one a record in the user's scope refers to (the phone holds only its scope), or one
    /// taken here; else `NotFound`, as for anything out of scope.
    fn check_photo_in_scope(&self, hash: &str) -> Result<()> {
        self.actor()?;
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::invalid("hash", "must be a lowercase hex SHA-256 (64 characters)"));
        }
        let known: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = ?1) OR EXISTS (SELECT 1 FROM evidence WHERE hash = ?1)",
            [hash],
            |r| r.get(0),
        )?;
        if known {
            Ok(())
        } else {
            Err(Error::not_found("evidence", hash))
        }
    }

    /// The local file of a photo in scope if it is on the phone — the phone's own evidence, or the cache (which
    /// then counts as used now) — else what is needed to fetch it. A full photo whose full-size file was
    /// evicted must be fetched again; its thumbnail may still be here.
    pub fn local_photo(&mut self, hash: &str, size: PhotoSize) -> Result<std::result::Result<PathBuf, PhotoFetch>> {
        self.check_photo_in_scope(hash)?;
        let own: bool = self.conn().query_row("SELECT EXISTS (SELECT 1 FROM evidence WHERE hash = ?1)", [hash], |r| r.get(0))?;
        if own {
            let path = match size {
                PhotoSize::Full => self.evidence_dir.join(format!("{hash}.jpg")),
                PhotoSize::Thumbnail => self.evidence_dir.join("thumbs").join(format!("{hash}.jpg")),
            };
            if path.is_file() {
                return Ok(Ok(path));
            }
        }
        let (full, thumb) = self.cached_paths(hash);
        let wanted = if size == PhotoSize::Full { full } else { thumb };
        let cached: bool = self.conn().query_row("SELECT EXISTS (SELECT 1 FROM evidence_cache WHERE hash = ?1)", [hash], |r| r.get(0))?;
        if cached && wanted.is_file() {
            let now = self.device_now_ms();
            self.conn().execute("UPDATE evidence_cache SET last_used_at_ms = ?2 WHERE hash = ?1", params![hash, now])?;
            return Ok(Ok(wanted));
        }
        let meta = self.sync_meta()?;
        match (meta.server_url, meta.token) {
            (Some(server_url), Some(token)) => Ok(Err(PhotoFetch { server_url, token })),
            _ => Err(Error::Network("the photo is not on this phone and the device is not connected to a server".into())),
        }
    }

    /// Keeps a photo fetched from the server: checked against `hash` (a mismatch is refused and nothing is
    /// kept), written to the cache with a thumbnail made here, recorded, then the cache is trimmed to its cap
    /// (this photo stays). Returns the path of the wanted rendition.
    pub fn store_fetched_photo(&mut self, hash: &str, bytes: &[u8], size: PhotoSize) -> Result<PathBuf> {
        self.check_photo_in_scope(hash)?;
        let processed = photo::adopt_downloaded(bytes, hash, &self.photo_cache_dir(), &PhotoConfig::default())?;
        let now = self.device_now_ms();
        self.conn().execute(
            "INSERT INTO evidence_cache (hash, byte_size, thumb_byte_size, width, height, fetched_at_ms, last_used_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT(hash) DO UPDATE SET byte_size = excluded.byte_size, thumb_byte_size = excluded.thumb_byte_size,
               width = excluded.width, height = excluded.height, fetched_at_ms = excluded.fetched_at_ms,
               last_used_at_ms = excluded.last_used_at_ms",
            params![hash, processed.byte_size, processed.thumb_byte_size, processed.width, processed.height, now],
        )?;
        self.trim_photo_cache(Some(hash))?;
        Ok(match size {
            PhotoSize::Full => processed.path,
            PhotoSize::Thumbnail => processed.thumb_path,
        })
    }

    /// The cache's size cap in bytes.
    pub fn photo_cache_limit(&self) -> Result<u64> {
        Ok(meta_get(self.conn(), "photo_cache_limit")?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CACHE_LIMIT_BYTES))
    }

    /// Sets the cache's size cap (more than 0 bytes) and trims the cache to it now.
    pub fn set_photo_cache_limit(&mut self, bytes: u64) -> Result<CacheUsage> {
        if bytes == 0 {
            return Err(Error::invalid("limit_bytes", "the photo cache needs room for at least one photo"));
        }
        meta_set(self.conn(), "photo_cache_limit", &bytes.to_string())?;
        self.trim_photo_cache(None)?;
        self.photo_cache_usage()
    }

    /// How full the cache is.
    pub fn photo_cache_usage(&self) -> Result<CacheUsage> {
        let (bytes, photos): (u64, u32) = self.conn().query_row(
            "SELECT coalesce(sum(byte_size + thumb_byte_size), 0), count(*) FROM evidence_cache",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(CacheUsage { bytes, photos, limit_bytes: self.photo_cache_limit()? })
    }

    /// Evicts least recently used photos until the cache fits its cap: full-size files first (their thumbnails
    /// stay for the lists), then whole photos. `keep` (the photo just fetched) is never evicted.
    fn trim_photo_cache(&mut self, keep: Option<&str>) -> Result<()> {
        let limit = self.photo_cache_limit()?;
        let mut usage = self.photo_cache_usage()?.bytes;
        if usage <= limit {
            return Ok(());
        }
        let keep = keep.unwrap_or("");
        let lru: Vec<(String, u64, u64)> = self
            .conn()
            .prepare("SELECT hash, byte_size, thumb_byte_size FROM evidence_cache WHERE hash <> ?1 ORDER BY last_used_at_ms, hash")?
            .query_map([keep], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // Pass 1: full-size files, oldest first.
        for (hash, full, _) in &lru {
            if usage <= limit {
                return Ok(());
            }
            if *full > 0 {
                remove_file(&self.cached_paths(hash).0)?;
                self.conn().execute("UPDATE evidence_cache SET byte_size = 0 WHERE hash = ?1", [hash])?;
                usage -= full;
            }
        }
        // Pass 2: whole photos (their thumbnails), oldest first.
        for (hash, _, thumb) in &lru {
            if usage <= limit {
                return Ok(());
            }
            remove_file(&self.cached_paths(hash).1)?;
            self.conn().execute("DELETE FROM evidence_cache WHERE hash = ?1", [hash])?;
            usage -= thumb;
        }
        Ok(())
    }

    fn check_target_in_scope(&self, target: &EvidenceTarget) -> Result<()> {
        match target {
            EvidenceTarget::Visit(id) => self.visit(id).map(|_| ()),
            EvidenceTarget::IssueReport(id) | EvidenceTarget::Resolution(id) => self.issue_row(id).map(|_| ()),
            EvidenceTarget::Acknowledgement(id) => self.directive(id).map(|_| ()),
            // A draft's photos are this device's own: never downloaded.
            EvidenceTarget::Draft(id) | EvidenceTarget::FormDraft(id) => Err(Error::not_found("record", id)),
        }
    }
}

fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::VisitInput;
    use linkage_protocol::model::VisitKind;

    /// A real evidence JPEG made by the pipeline on another "phone", returned as (hash, bytes).
    fn colleague_photo(dir: &Path, seed: u8) -> (String, Vec<u8>) {
        let (w, h) = (640u16, 480u16);
        let mut pixels = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
        for y in 0..h {
            for x in 0..w {
                pixels.extend_from_slice(&[(x % 251) as u8 ^ seed, (y % 241) as u8, ((x + y) % 239) as u8]);
            }
        }
        let cam = dir.join(format!("cam{seed}.jpg"));
        jpeg_encoder::Encoder::new_file(&cam, 90).unwrap().encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
        let wm = photo::WatermarkInfo { captured_at_ms: NOW, lat: None, lon: None, accuracy_m: None, record_code: "LK-T".into(), caption: String::new() };
        let p = photo::ingest(&cam, &dir.join("other-phone"), &wm, &PhotoConfig::default()).unwrap();
        (p.sha256, std::fs::read(&p.path).unwrap())
    }

    /// A visit recorded elsewhere referring to `hash`, as pulled.
    fn pulled_visit(s: &mut Store, hash: &str) -> String {
        s.sign_in("gw").unwrap();
        // Recorded without photos, then referred to as a pulled visit's photo would be.
        let v = s
            .record_visit(VisitInput {
                household_id: "h1".into(),
                kind: VisitKind::Routine,
                started_at_ms: NOW - 1000,
                ended_at_ms: NOW,
                fix: None,
                notes: String::new(),
                evidence: vec![],
                issue_id: None,
            })
            .unwrap();
        s.conn().execute("INSERT INTO evidence_refs (entity_kind, entity_id, hash) VALUES ('visit', ?1, ?2)", params![v.id, hash]).unwrap();
        s.sign_in("ts").unwrap();
        v.id
    }

    fn connected(s: &mut Store) {
        s.set_server("http://127.0.0.1:9", "token", NOW + 86_400_000).unwrap();
    }

    #[test]
    fn a_fetched_photo_is_verified_cached_and_shown_offline() {
        let (mut s, _) = store();
        let dir = tempfile::tempdir().unwrap();
        s.evidence_dir = dir.path().join("evidence");
        let (hash, bytes) = colleague_photo(dir.path(), 1);
        let visit = pulled_visit(&mut s, &hash);
        let photos = s.record_photos(&EvidenceTarget::Visit(visit.clone())).unwrap();
        assert_eq!(photos, vec![RecordPhotoRow { hash: hash.clone(), own: false, thumbnail_path: None, path: None }]);
        // Not connected: nothing to fetch from.
        assert!(matches!(s.local_photo(&hash, PhotoSize::Thumbnail), Err(Error::Network(_))));
        connected(&mut s);
        assert!(matches!(s.local_photo(&hash, PhotoSize::Thumbnail).unwrap(), Err(PhotoFetch { .. })));

        // Damaged bytes are refused and nothing is kept.
        let mut bad = bytes.clone();
        bad[bytes.len() / 2] ^= 0x55;
        assert!(matches!(
            s.store_fetched_photo(&hash, &bad, PhotoSize::Thumbnail),
            Err(Error::Photo(photo::PhotoError::HashMismatch { .. }))
        ));
        assert_eq!(s.photo_cache_usage().unwrap().photos, 0);
        assert!(!s.photo_cache_dir().join(format!("{hash}.jpg")).exists());

        let thumb = s.store_fetched_photo(&hash, &bytes, PhotoSize::Thumbnail).unwrap();
        let decoded = jpeg_decoder::Decoder::new(std::fs::File::open(&thumb).unwrap()).decode().unwrap();
        assert!(!decoded.is_empty());
        // Now local: no fetch needed (offline works), full size too.
        assert_eq!(s.local_photo(&hash, PhotoSize::Thumbnail).unwrap(), Ok(thumb.clone()));
        let full = s.local_photo(&hash, PhotoSize::Full).unwrap().unwrap();
        assert_eq!(std::fs::read(&full).unwrap(), bytes);
        let photos = s.record_photos(&EvidenceTarget::Visit(visit)).unwrap();
        assert_eq!((photos[0].thumbnail_path.as_ref(), photos[0].path.as_ref()), (Some(&thumb), Some(&full)));
        // A photo no record in scope refers to is not fetched.
        assert!(matches!(s.local_photo(&"0".repeat(64), PhotoSize::Full), Err(Error::NotFound { .. })));
        assert!(matches!(s.local_photo("../etc/passwd", PhotoSize::Full), Err(Error::Field(_))));
    }

    #[test]
    fn the_cache_keeps_to_its_cap_evicting_full_size_first() {
        let (mut s, clock) = store();
        let dir = tempfile::tempdir().unwrap();
        s.evidence_dir = dir.path().join("evidence");
        connected(&mut s);
        let photos: Vec<(String, Vec<u8>)> = (1..=3).map(|i| colleague_photo(dir.path(), i)).collect();
        for (hash, _) in &photos {
            pulled_visit(&mut s, hash);
        }
        for (hash, bytes) in &photos {
            s.store_fetched_photo(hash, bytes, PhotoSize::Full).unwrap();
            clock.advance_ms(1000);
        }
        let usage = s.photo_cache_usage().unwrap();
        assert_eq!((usage.photos, usage.limit_bytes), (3, DEFAULT_CACHE_LIMIT_BYTES));
        // Photo 1 is used again: photo 2 becomes the least recently used.
        s.local_photo(&photos[0].0, PhotoSize::Full).unwrap().unwrap();
        clock.advance_ms(1000);
        let sizes: Vec<(u64, u64)> = photos
            .iter()
            .map(|(h, _)| {
                s.conn()
                    .query_row("SELECT byte_size, thumb_byte_size FROM evidence_cache WHERE hash = ?1", [h], |r| Ok((r.get(0)?, r.get(1)?)))
                    .unwrap()
            })
            .collect();
        assert_eq!(sizes.iter().map(|x| x.0).collect::<Vec<_>>(), photos.iter().map(|p| p.1.len() as u64).collect::<Vec<_>>());
        let thumbs: u64 = sizes.iter().map(|x| x.1).sum();
        assert!(matches!(s.set_photo_cache_limit(0), Err(Error::Field(_))));
        // A cap that holds the three thumbnails and one full photo: the full files of photos 2 and 3 go.
        let after = s.set_photo_cache_limit(thumbs + sizes[0].0).unwrap();
        assert_eq!((after.bytes, after.photos), (thumbs + sizes[0].0, 3), "thumbnails stay while full-size files go");
        let kept: Vec<bool> = photos.iter().map(|(h, _)| s.photo_cache_dir().join(format!("{h}.jpg")).exists()).collect();
        assert_eq!(kept, [true, false, false], "the most recently used full photo stays");
        // Photo 2's thumbnail still shows offline; its full size must be fetched again.
        assert!(s.local_photo(&photos[1].0, PhotoSize::Thumbnail).unwrap().is_ok());
        assert!(s.local_photo(&photos[1].0, PhotoSize::Full).unwrap().is_err());
        clock.advance_ms(1000);
        // A cap for one photo only: opening photo 2 again evicts the others whole, oldest first, never it.
        s.set_photo_cache_limit(sizes[1].0 + sizes[1].1).unwrap();
        let path = s.store_fetched_photo(&photos[1].0, &photos[1].1, PhotoSize::Full).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), photos[1].1);
        let after = s.photo_cache_usage().unwrap();
        assert_eq!((after.bytes, after.photos), (sizes[1].0 + sizes[1].1, 1));
        assert!(s.local_photo(&photos[2].0, PhotoSize::Thumbnail).unwrap().is_err(), "the oldest photo is gone");
        assert!(!s.photo_cache_dir().join("thumbs").join(format!("{}.jpg", photos[0].0)).exists());
    }
}
