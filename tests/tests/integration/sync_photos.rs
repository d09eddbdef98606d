//! Photos travel down as well as up (DESIGN §7): the township verifying a resolution opens the grid worker's
//! visit photo after a sync — fetched from the server's scope-checked blob store on demand, checked against
//! its hash, thumbnailed on the phone, cached and shown offline; a damaged download is refused; the cache keeps
//! to its cap; phones of another scope cannot fetch it. Records go up before their photos, and the server takes
//! only photos the uploader's applied records cite: the photo of a refused record stays on the phone.

use linkage_core::api::*;
use linkage_core::{ApiError, PhotoProblem};

use crate::server::*;
use crate::sync_story::photo;

fn visit_with_photo(gw: &SyncPhone, name: &str) -> (VisitSummary, EvidenceSummary) {
    let fix = GpsFix { lat: 35.58003, lon: 109.26002, accuracy_m: 8.0, fix_time_ms: now_ms(), mocked: false };
    let shot = gw.app.add_evidence(photo(gw.dir.path(), name), Some(fix), None).unwrap();
    let visit = gw
        .app
        .record_visit(VisitDraft {
            household_id: "h1".into(),
            kind: VisitKind::Routine,
            started_at_ms: now_ms() - 600_000,
            ended_at_ms: now_ms(),
            fix: Some(fix),
            notes: "入户走访，老人身体尚好".into(),
            evidence: vec![shot.hash.clone()],
            issue_id: None,
        })
        .unwrap();
    (visit, shot)
}

#[test]
fn a_township_phone_opens_a_grid_workers_visit_photo_after_sync() {
    let rt = runtime();
    let mut server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let gw = connected_phone(&url, "gw").await;
        let ts = connected_phone(&url, "ts").await;
        let ts2 = connected_phone(&url, "ts2").await;
        let (visit, shot) = visit_with_photo(&gw, "one.png");
        let (visit2, shot2) = visit_with_photo(&gw, "two.png");
        let r = gw.app.sync(None).await.unwrap();
        assert_eq!((r.pushed, r.uploaded), (2, 2));
        // The grid worker's own photo is local: no network needed.
        assert_eq!(gw.app.evidence_thumbnail(shot.hash.clone()).await.unwrap(), shot.thumbnail_path);

        ts.app.sync(None).await.unwrap();
        let target = EvidenceTarget::Visit { visit_id: visit.id.clone() };
        let photos = ts.app.record_photos(target.clone()).unwrap();
        assert_eq!(photos, vec![RecordPhoto { hash: shot.hash.clone(), taken_here: false, thumbnail_path: None, path: None }]);

        // Thumbnail first (made on this phone from the verified download), full size when opened.
        let thumb = ts.app.evidence_thumbnail(shot.hash.clone()).await.unwrap();
        let mut decoder = jpeg_decoder::Decoder::new(std::fs::File::open(&thumb).unwrap());
        decoder.decode().unwrap();
        let info = decoder.info().unwrap();
        assert_eq!((info.width, info.height), (320, 240), "a 640×480 photo's thumbnail");
        let full = ts.app.open_evidence(shot.hash.clone()).await.unwrap();
        assert_eq!(std::fs::read(&full).unwrap(), std::fs::read(&shot.path).unwrap(), "byte for byte the grid worker's photo");
        let photos = ts.app.record_photos(target.clone()).unwrap();
        assert_eq!((photos[0].thumbnail_path.as_deref(), photos[0].path.as_deref()), (Some(thumb.as_str()), Some(full.as_str())));
        let status = ts.app.photo_cache_status().unwrap();
        assert_eq!(status.photos, 1);
        assert!(status.bytes > shot.byte_size);

        // Another township's phone holds no record of it: it may not fetch it (and the server says 403 anyway).
        assert!(matches!(ts2.app.evidence_thumbnail(shot.hash.clone()).await, Err(ApiError::NotFound { .. })));

        // A download that does not match its hash is refused and nothing is kept.
        let blob = server.dir.path().join("blobs").join(&shot2.hash);
        let mut bytes = std::fs::read(&blob).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x5a;
        std::fs::write(&blob, &bytes).unwrap();
        let damaged = ts.app.evidence_thumbnail(shot2.hash.clone()).await;
        assert!(matches!(damaged, Err(ApiError::BadPhoto { problem: PhotoProblem::Corrupt, .. })), "{damaged:?}");
        assert_eq!(ts.app.photo_cache_status().unwrap().photos, 1);
        assert_eq!(ts.app.record_photos(EvidenceTarget::Visit { visit_id: visit2.id.clone() }).unwrap()[0].thumbnail_path, None);

        // Offline: what is cached still opens; what is not says so (Network), without touching the cache.
        server.kill();
        assert_eq!(ts.app.open_evidence(shot.hash.clone()).await.unwrap(), full);
        assert_eq!(ts.app.evidence_thumbnail(shot.hash.clone()).await.unwrap(), thumb);
        assert!(matches!(ts.app.evidence_thumbnail(shot2.hash.clone()).await, Err(ApiError::Network { .. })));

        // The cap: trimmed to the thumbnail, the full photo goes first and the thumbnail still shows offline.
        let thumb_bytes = std::fs::metadata(&thumb).unwrap().len();
        let trimmed = ts.app.set_photo_cache_limit(thumb_bytes).unwrap();
        assert_eq!((trimmed.photos, trimmed.bytes, trimmed.limit_bytes), (1, thumb_bytes, thumb_bytes));
        assert!(!std::path::Path::new(&full).exists());
        assert_eq!(ts.app.evidence_thumbnail(shot.hash.clone()).await.unwrap(), thumb);
        assert!(matches!(ts.app.open_evidence(shot.hash.clone()).await, Err(ApiError::Network { .. })));
        assert!(matches!(ts.app.set_photo_cache_limit(0), Err(ApiError::InvalidInput { .. })));

        // Back online, the full photo is fetched again.
        server.restart();
        assert_eq!(std::fs::read(ts.app.open_evidence(shot.hash.clone()).await.unwrap()).unwrap(), std::fs::read(&shot.path).unwrap());
    });
}

#[test]
fn the_photo_of_a_refused_record_stays_on_the_phone_and_does_not_stop_the_sync() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        // The township's office PC rejects the report while its field phone, offline, accepts and resolves it
        // with a photo: both steps are refused, so no applied record of the user cites the photo.
        let (id, office, field) = crate::sync_faults::office_rejects_while_field_accepts(&url).await;
        let shot = field.app.add_evidence(photo(field.dir.path(), "fix.png"), None, None).unwrap();
        field
            .app
            .perform_issue_action(id.clone(), IssueCommand::Resolve { note: "已送煤上门".into(), evidence: vec![shot.hash.clone()] })
            .unwrap();
        office.app.sync(None).await.unwrap();

        let r = field.app.sync(None).await.unwrap();
        assert_eq!((r.rejected, r.uploaded), (2, 0), "the photo is not sent: the server would refuse it");
        assert!(!server.dir.path().join("blobs").join(&shot.hash).exists());
        assert_eq!(server.count(&format!("SELECT count(*) FROM blobs WHERE hash = '{}'", shot.hash)), 0);
        // The photo stays on the phone and does not make later syncs fail.
        assert!(std::path::Path::new(&shot.path).exists());
        let r = field.app.sync(None).await.unwrap();
        assert_eq!(r.uploaded, 0);
        assert_eq!(field.app.outbox_status().unwrap().last_error, None);
    });
}
