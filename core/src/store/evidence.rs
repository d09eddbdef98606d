//! Evidence photos in the store (DESIGN §7): the pipeline in `crate::photo` makes the file; this module keeps
//! its record (hash, size, dimensions, capture time and fix, watermark, what it belongs to, upload state),
//! lists a record's photos, verifies a stored file against its hash, and deletes photos no record uses.
//! Records refer to photos by hash; the file lives in the evidence directory named by that hash.

use std::path::{Path, PathBuf};

use linkage_protocol::model::GpsFix;
use linkage_protocol::rules::geo;
use rusqlite::{params, OptionalExtension, Row};

use super::{new_id, Store};
use crate::error::{Error, Result};
use crate::observe::{ChangeTopic, Topics};
use crate::photo::{self, PhotoConfig, WatermarkInfo};

/// What a photo is evidence for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceTarget {
    /// A household visit.
    Visit(String),
    /// An issue's report.
    IssueReport(String),
    /// An issue's resolution (办结).
    Resolution(String),
    /// A directive acknowledgement or task completion.
    Acknowledgement(String),
    /// A draft (草稿) being filled in.
    Draft(String),
    /// A questionnaire draft (问卷草稿): an image question's photo.
    FormDraft(String),
}

impl EvidenceTarget {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            EvidenceTarget::Visit(_) => "visit",
            EvidenceTarget::IssueReport(_) => "issue_report",
            EvidenceTarget::Resolution(_) => "issue_resolution",
            EvidenceTarget::Acknowledgement(_) => "directive_ack",
            EvidenceTarget::Draft(_) => "draft",
            EvidenceTarget::FormDraft(_) => "form_draft",
        }
    }

    pub(crate) fn id(&self) -> &str {
        match self {
            EvidenceTarget::Visit(id)
            | EvidenceTarget::IssueReport(id)
            | EvidenceTarget::Resolution(id)
            | EvidenceTarget::Acknowledgement(id)
            | EvidenceTarget::Draft(id)
            | EvidenceTarget::FormDraft(id) => id,
        }
    }
}

/// A stored evidence photo.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    pub hash: String,
    pub path: PathBuf,
    pub thumbnail_path: PathBuf,
    pub byte_size: u64,
    pub width: u32,
    pub height: u32,
    pub captured_at_ms: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub watermark: String,
    /// `pending` until the sync engine has uploaded the blob, then `uploaded`.
    pub upload_state: String,
}

const SELECT: &str = "SELECT e.hash, e.byte_size, e.width, e.height, e.captured_at_ms, e.lat, e.lon, e.accuracy_m,
    e.watermark, e.upload_state FROM evidence e";

impl Store {
    /// The directory evidence files live in (`<db dir>/evidence`).
    pub fn evidence_dir(&self) -> &Path {
        &self.evidence_dir
    }

    fn map_evidence(&self, r: &Row<'_>) -> rusqlite::Result<EvidenceRow> {
        let hash: String = r.get(0)?;
        Ok(EvidenceRow {
            path: self.evidence_dir.join(format!("{hash}.jpg")),
            thumbnail_path: self.evidence_dir.join("thumbs").join(format!("{hash}.jpg")),
            hash,
            byte_size: r.get(1)?,
            width: r.get(2)?,
            height: r.get(3)?,
            captured_at_ms: r.get(4)?,
            lat: r.get(5)?,
            lon: r.get(6)?,
            accuracy_m: r.get(7)?,
            watermark: r.get(8)?,
            upload_state: r.get(9)?,
        })
    }

    /// Turns the photo at `input` into stored evidence: decoded at reduced scale, oriented, resized,
    /// watermarked with the time, the fix and a short record code, stripped of metadata, named by its
    /// SHA-256, written atomically with a thumbnail, and recorded. Adding the same photo again is a no-op.
    /// With `attach`, the photo is linked to that record (which must exist and be in scope).
    pub fn add_evidence(&mut self, input: &Path, fix: Option<GpsFix>, attach: Option<EvidenceTarget>) -> Result<EvidenceRow> {
        self.actor()?;
        if let Some(fix) = &fix {
            geo::validate_fix(fix)?;
        }
        if let Some(target) = &attach {
            self.check_target(target)?;
        }
        let now = self.now_ms();
        let short = new_id().replace('-', "");
        let record_code = format!("LK-{}-{}", &self.device_id()[..6.min(self.device_id().len())], &short[short.len() - 6..]);
        let wm = WatermarkInfo {
            captured_at_ms: now,
            lat: fix.map(|f| f.lat),
            lon: fix.map(|f| f.lon),
            accuracy_m: fix.map(|f| f.accuracy_m),
            record_code,
            caption: self.watermark_caption(attach.as_ref())?,
        };
        let processed = photo::ingest(input, &self.evidence_dir, &wm, &PhotoConfig::default())?;
        let hash = processed.sha256.clone();
        self.write(|w| {
            w.tx.execute(
                "INSERT INTO evidence (hash, byte_size, width, height, captured_at_ms, lat, lon, accuracy_m, watermark, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(hash) DO NOTHING",
                params![
                    hash,
                    processed.byte_size,
                    processed.width,
                    processed.height,
                    wm.captured_at_ms,
                    wm.lat,
                    wm.lon,
                    wm.accuracy_m,
                    processed.watermark_text,
                    w.now_ms
                ],
            )?;
            if let Some(target) = &attach {
                w.tx.execute(
                    "INSERT OR IGNORE INTO evidence_refs (entity_kind, entity_id, hash) VALUES (?1, ?2, ?3)",
                    params![target.kind(), target.id(), hash],
                )?;
                if matches!(target, EvidenceTarget::Draft(_)) {
                    w.topics.add(Topics::of(&[ChangeTopic::Drafts]));
                }
            }
            Ok(())
        })?;
        self.evidence(&hash)
    }

    /// The watermark's Chinese line (as 水印相机 apps print it): where (village and group of the household or
    /// place the record is about, else the user's own node), what kind of record, and who took it —
    /// `红旗村三组 · 入户走访 · 董梅彩`. Always in Chinese, whatever the display language, so the same photo
    /// gets the same pixels on every phone.
    fn watermark_caption(&self, attach: Option<&EvidenceTarget>) -> Result<String> {
        use super::DraftKind;
        let session = self.session()?;
        let worker = session.user_name.clone();
        let mut node_id = session.actor.node_id.clone();
        let household_node = |hid: &str| self.household(hid).map(|h| h.group_id);
        let kind = match attach {
            None => "现场照片",
            Some(EvidenceTarget::Visit(id)) => {
                node_id = household_node(&self.visit(id)?.household_id)?;
                "入户走访"
            }
            Some(EvidenceTarget::IssueReport(id)) | Some(EvidenceTarget::Resolution(id)) => {
                node_id = self.issue_row(id)?.projection.node_id;
                if matches!(attach, Some(EvidenceTarget::Resolution(_))) { "诉求办结" } else { "诉求上报" }
            }
            Some(EvidenceTarget::Acknowledgement(_)) => "任务完成",
            Some(EvidenceTarget::FormDraft(id)) => {
                let household: Option<String> = self
                    .conn()
                    .query_row("SELECT household_id FROM form_drafts WHERE id = ?1", [id], |r| r.get(0))
                    .optional()?
                    .flatten();
                if let Some(hid) = household {
                    node_id = household_node(&hid)?;
                }
                "问卷调查"
            }
            Some(EvidenceTarget::Draft(id)) => {
                let d = self.draft(id)?;
                if let Some(hid) = &d.household_id {
                    node_id = household_node(hid)?;
                } else if let Some(nid) = &d.node_id {
                    node_id = nid.clone();
                } else if let Some(iid) = &d.issue_id {
                    node_id = self.issue_row(iid)?.projection.node_id;
                }
                match d.kind {
                    DraftKind::Visit => "入户走访",
                    DraftKind::IssueReport => "诉求上报",
                    DraftKind::TaskCompletion => "任务完成",
                    DraftKind::Resolution => "诉求办结",
                    DraftKind::Verification => "回访核实",
                }
            }
        };
        Ok(format!("{} · {kind} · {worker}", self.place_name(&node_id)?))
    }

    /// A node as a place on the ground: a group with its village (石堡村一组), a branch as its village (石堡村
    /// for 石堡村党支部), else the node's own name.
    fn place_name(&self, node_id: &str) -> Result<String> {
        use linkage_protocol::model::OrgLevel;
        fn village(branch: &str) -> &str {
            ["党总支", "党支部", "支部"].iter().find_map(|s| branch.strip_suffix(s)).filter(|v| !v.is_empty()).unwrap_or(branch)
        }
        let node = self.node(node_id)?;
        match node.level {
            OrgLevel::Group => match node.parent_id.as_deref().and_then(|p| self.node(p).ok()) {
                Some(parent) => Ok(format!("{}{}", village(&parent.name), node.name)),
                None => Ok(node.name),
            },
            OrgLevel::Branch => Ok(village(&node.name).to_string()),
            _ => Ok(node.name),
        }
    }

    fn check_target(&self, target: &EvidenceTarget) -> Result<()> {
        match target {
            EvidenceTarget::Visit(id) => self.visit(id).map(|_| ()),
            EvidenceTarget::IssueReport(id) | EvidenceTarget::Resolution(id) => self.issue_row(id).map(|_| ()),
            EvidenceTarget::Acknowledgement(id) => self.directive(id).map(|_| ()),
            EvidenceTarget::FormDraft(id) => {
                let user_id = &self.actor()?.user_id;
                let held: bool = self.conn().query_row(
                    "SELECT EXISTS (SELECT 1 FROM form_drafts WHERE id = ?1 AND user_id = ?2)",
                    params![id, user_id],
                    |r| r.get(0),
                )?;
                if held {
                    Ok(())
                } else {
                    Err(Error::not_found("form_draft", id))
                }
            }
            EvidenceTarget::Draft(id) => {
                let user_id = &self.actor()?.user_id;
                let held: bool = self.conn().query_row(
                    "SELECT EXISTS (SELECT 1 FROM drafts WHERE id = ?1 AND user_id = ?2)",
                    params![id, user_id],
                    |r| r.get(0),
                )?;
                if held {
                    Ok(())
                } else {
                    Err(Error::not_found("draft", id))
                }
            }
        }
    }

    /// One evidence record by hash.
    pub fn evidence(&self, hash: &str) -> Result<EvidenceRow> {
        self.conn()
            .query_row(&format!("{SELECT} WHERE e.hash = ?1"), [hash], |r| self.map_evidence(r))
            .optional()?
            .ok_or_else(|| Error::not_found("evidence", hash))
    }

    /// The photos of a record, oldest first.
    pub fn list_evidence(&self, target: &EvidenceTarget) -> Result<Vec<EvidenceRow>> {
        self.check_target(target)?;
        let mut stmt = self.conn().prepare_cached(&format!(
            "{SELECT} JOIN evidence_refs r ON r.hash = e.hash WHERE r.entity_kind = ?1 AND r.entity_id = ?2
             ORDER BY e.captured_at_ms, e.hash"
        ))?;
        let rows = stmt.query_map(params![target.kind(), target.id()], |r| self.map_evidence(r))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Recomputes the SHA-256 of the stored file: `false` means it was altered (or replaced) since ingest.
    pub fn verify_evidence(&self, hash: &str) -> Result<bool> {
        let row = self.evidence(hash)?;
        match photo::verify(&row.path, hash) {
            Ok(intact) => Ok(intact),
            Err(photo::PhotoError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a photo no record refers to (a shot the user discarded). Attached photos are evidence and
    /// stay: refused with `EvidenceInUse`.
    pub fn delete_evidence(&mut self, hash: &str) -> Result<()> {
        let row = self.evidence(hash)?;
        let used: bool =
            self.conn().query_row("SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = ?1)", [hash], |r| r.get(0))?;
        if used {
            return Err(Error::EvidenceInUse);
        }
        self.write(|w| {
            w.tx.execute("DELETE FROM evidence WHERE hash = ?1", [hash])?;
            Ok(())
        })?;
        for path in [&row.path, &row.thumbnail_path] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

impl Store {
    /// Whether a record, a draft or a queued (or quarantined) operation refers to the photo.
    fn evidence_in_use(&self, hash: &str) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM evidence_refs WHERE hash = ?1)
                 OR EXISTS (SELECT 1 FROM outbox WHERE instr(payload, ?1) > 0)",
            [hash],
            |r| r.get(0),
        )?)
    }

    /// Deletes a photo (row and files) if nothing refers to it any more; a no-op otherwise.
    pub(crate) fn delete_evidence_if_unused(&mut self, hash: &str) -> Result<bool> {
        if self.evidence_in_use(hash)? {
            return Ok(false);
        }
        match self.delete_evidence(hash) {
            Ok(()) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sweeps evidence no record, draft or operation refers to: rows without references (a photo taken for a
    /// form that was never saved, before drafts held their photos) and files without a row (a kill between
    /// writing the file and recording it). Run when the store opens; returns how many photos went.
    pub(crate) fn sweep_orphan_evidence(&mut self) -> Result<u32> {
        let orphans: Vec<String> = self
            .conn()
            .prepare(
                "SELECT e.hash FROM evidence e
                 WHERE NOT EXISTS (SELECT 1 FROM evidence_refs r WHERE r.hash = e.hash)
                   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE instr(o.payload, e.hash) > 0)",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut swept = 0;
        for hash in &orphans {
            swept += u32::from(self.delete_evidence_if_unused(hash)?);
        }
        // Files whose name is no recorded hash (temporary files included).
        for dir in [self.evidence_dir.clone(), self.evidence_dir.join("thumbs")] {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            for entry in entries {
                let entry = entry?;
                if !entry.file_type()?.is_file() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let recorded = match name.strip_suffix(".jpg") {
                    Some(hash) if hash.len() == 64 => {
                        self.conn().query_row("SELECT EXISTS (SELECT 1 FROM evidence WHERE hash = ?1)", [hash], |r| r.get(0))?
                    }
                    _ => false,
                };
                if !recorded {
                    std::fs::remove_file(entry.path())?;
                    swept += u32::from(dir == self.evidence_dir);
                }
            }
        }
        Ok(swept)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::VisitInput;

    /// A small camera-like JPEG written with the encoder the pipeline uses.
    pub(crate) fn jpeg(dir: &Path, name: &str, w: u16, h: u16) -> PathBuf {
        let mut pixels = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
        for y in 0..h {
            for x in 0..w {
                pixels.extend_from_slice(&[(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8]);
            }
        }
        let path = dir.join(name);
        jpeg_encoder::Encoder::new_file(&path, 90).unwrap().encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
        path
    }

    #[test]
    fn add_attach_list_verify_and_delete() {
        let (mut s, _) = store();
        let dir = tempfile::tempdir().unwrap();
        s.evidence_dir = dir.path().join("evidence");
        s.sign_in("gw").unwrap();
        let fix = GpsFix { lat: 35.58, lon: 109.26, accuracy_m: 7.0, fix_time_ms: NOW, mocked: false };
        let photo = jpeg(dir.path(), "cam.jpg", 2400, 1800);
        let e = s.add_evidence(&photo, Some(fix), None).unwrap();
        assert_eq!((e.width, e.height), (1600, 1200));
        assert!(e.path.exists() && e.thumbnail_path.exists());
        assert!(e.watermark.contains("N 35.58000") && e.watermark.contains("LK-"), "{}", e.watermark);
        assert_eq!(e.upload_state, "pending");
        assert!(s.verify_evidence(&e.hash).unwrap());

        let visit = s
            .record_visit(VisitInput {
                household_id: "h1".into(),
                kind: linkage_protocol::model::VisitKind::Routine,
                started_at_ms: NOW - 1000,
                ended_at_ms: NOW,
                fix: Some(fix),
                notes: String::new(),
                evidence: vec![e.hash.clone()],
                issue_id: None,
            })
            .unwrap();
        let listed = s.list_evidence(&EvidenceTarget::Visit(visit.id.clone())).unwrap();
        assert_eq!(listed.iter().map(|x| x.hash.as_str()).collect::<Vec<_>>(), [e.hash.as_str()]);
        assert!(matches!(s.delete_evidence(&e.hash), Err(Error::EvidenceInUse)));

        // A second shot, discarded: deleted with its files. Attaching to a missing visit is refused.
        let other = s.add_evidence(&jpeg(dir.path(), "b.jpg", 800, 600), None, None).unwrap();
        assert!(other.watermark.contains("NO GPS"));
        s.delete_evidence(&other.hash).unwrap();
        assert!(!other.path.exists() && !other.thumbnail_path.exists());
        assert!(matches!(s.evidence(&other.hash), Err(Error::NotFound { .. })));
        assert!(matches!(
            s.add_evidence(&photo, None, Some(EvidenceTarget::Visit("nope".into()))),
            Err(Error::NotFound { .. })
        ));

        // Tampering is detected.
        let mut bytes = std::fs::read(&e.path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&e.path, bytes).unwrap();
        assert!(!s.verify_evidence(&e.hash).unwrap());
    }

    #[test]
    fn the_sweep_at_open_keeps_every_referenced_photo_and_removes_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("phone").join("linkage.db");
        let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
        let mut s = Store::open(&db, clock.clone()).unwrap();
        s.load_bundle(&bundle_json()).unwrap();
        s.sign_in("gw").unwrap();
        let shot = |s: &mut Store, name: &str, w: u16| s.add_evidence(&jpeg(dir.path(), name, w, 64), None, None).unwrap();
        let visit = |s: &mut Store, hash: &str| {
            s.record_visit(VisitInput {
                household_id: "h1".into(),
                kind: linkage_protocol::model::VisitKind::Routine,
                started_at_ms: NOW - 1000,
                ended_at_ms: NOW,
                fix: None,
                notes: String::new(),
                evidence: vec![hash.to_string()],
                issue_id: None,
            })
            .unwrap()
        };
        let in_record = shot(&mut s, "a.jpg", 64);
        visit(&mut s, &in_record.hash);
        let draft = s.start_visit_draft("h2", linkage_protocol::model::VisitKind::Routine, None, None).unwrap();
        let in_draft = s.add_draft_photo(&draft.id, &jpeg(dir.path(), "b.jpg", 96, 64), None).unwrap().photos.remove(0);
        // Only a queued operation still names this one (its record's link is gone).
        let in_outbox = shot(&mut s, "c.jpg", 128);
        let v = visit(&mut s, &in_outbox.hash);
        s.conn().execute("DELETE FROM evidence_refs WHERE entity_id = ?1", [&v.id]).unwrap();
        let orphan = shot(&mut s, "d.jpg", 160);
        let stray = s.evidence_dir().join(format!("{}.jpg", "ab".repeat(32)));
        std::fs::write(&stray, b"left by a kill mid-ingest").unwrap();
        let tmp = s.evidence_dir().join(".photo123.tmp");
        std::fs::write(&tmp, b"partial").unwrap();
        drop(s);

        let mut s = Store::open(&db, clock).unwrap();
        s.sign_in("gw").unwrap();
        for kept in [&in_record, &in_draft, &in_outbox] {
            assert!(s.verify_evidence(&kept.hash).unwrap(), "kept {}", kept.hash);
            assert!(kept.thumbnail_path.exists());
        }
        assert!(matches!(s.evidence(&orphan.hash), Err(Error::NotFound { .. })));
        assert!(!orphan.path.exists() && !orphan.thumbnail_path.exists() && !stray.exists() && !tmp.exists());
        assert_eq!(s.sweep_orphan_evidence().unwrap(), 0, "nothing left to sweep");
        assert_eq!(s.draft(&draft.id).unwrap().photos.len(), 1);
    }

    #[test]
    fn bad_photos_are_typed_and_leave_nothing() {
        let (mut s, _) = store();
        let dir = tempfile::tempdir().unwrap();
        s.evidence_dir = dir.path().join("evidence");
        s.sign_in("gw").unwrap();
        let before = snapshot(&s);
        let text = dir.path().join("note.jpg");
        std::fs::write(&text, "这不是照片").unwrap();
        assert!(matches!(s.add_evidence(&text, None, None), Err(Error::Photo(photo::PhotoError::NotAnImage))));
        assert!(matches!(s.add_evidence(&dir.path().join("missing.jpg"), None, None), Err(Error::Photo(_))));
        let nan = GpsFix { lat: f64::NAN, lon: 1.0, accuracy_m: 1.0, fix_time_ms: 0, mocked: false };
        assert!(matches!(s.add_evidence(&text, Some(nan), None), Err(Error::Field(_))));
        assert_eq!(snapshot(&s), before);
        assert!(!s.evidence_dir.exists() || std::fs::read_dir(&s.evidence_dir).unwrap().next().is_none());
    }

    /// The watermark's Chinese line names the village and group, the kind of record and the worker.
    #[test]
    fn watermark_caption_reads_place_kind_and_worker_in_chinese() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let draft = s.start_visit_draft("h1", linkage_protocol::model::VisitKind::Routine, None, None).unwrap();
        let cap = s.watermark_caption(Some(&EvidenceTarget::Draft(draft.id.clone()))).unwrap();
        assert_eq!(cap, "石堡村一组 · 入户走访 · 网格员");
        assert_eq!(s.watermark_caption(None).unwrap(), "石堡村 · 现场照片 · 网格员");
    }
}
