//! The read layer on both backends (ADR 0016): one county — the demo county, seeded by the same deterministic
//! pushes — stored once in SQLite and once in PostgreSQL gives the same measures (every cell of the export, the
//! late steps, the weekly trends) and the same form tabulation and responses. Runs when `LINKAGE_TEST_DATABASE`
//! names a cluster (scripts/test.sh's second run); the hand-counted measures and form tests run on each backend
//! besides.

use std::sync::Arc;

use linkage_protocol::forms::Answers;
use linkage_protocol::wire::{FormResponse, OpBody, Operation};
use linkage_server::measures::{self, DateRange, MeasuresPolicy};
use linkage_server::storage::Storage;
use linkage_server::{demo, forms, readtx};

const DAY: i64 = 86_400_000;

/// The demo county in `storage` as of `now`, the village questionnaire imported, and `responses` pushed.
fn county(storage: &dyn Storage, now: i64, responses: &[(String, Operation)]) {
    demo::seed(storage, 4000, now).unwrap().expect("an empty database");
    forms::import_xlsform(storage, &crate::forms::example(), None, &[], now).unwrap();
    for (user, op) in responses {
        let (who, _) = storage.user_credentials(user).unwrap().unwrap();
        let outcome = storage.apply_ops(&who, std::slice::from_ref(op), now).unwrap();
        assert_eq!(outcome, vec![linkage_protocol::sync::OpOutcome::Applied], "{user}");
    }
}

/// Responses of grid workers of three branches (two in township 1), made once so both databases store the same.
fn responses(now: i64) -> Vec<(String, Operation)> {
    let answers: [Answers; 3] = [
        crate::forms::village_answers("key", 300, "satisfied", &[("governance", "矛盾纠纷多"), ("resources", "阵地不足")]),
        crate::forms::village_answers("key", 100, "unsatisfied", &[]),
        crate::forms::village_answers("weak", 500, "basically", &[("development", "产业单一")]),
    ];
    [("gw1-1", "hl-t1-b1"), ("gw1-2", "hl-t1-b2"), ("gw2-1", "hl-t2-b1")]
        .into_iter()
        .zip(answers)
        .enumerate()
        .map(|(i, ((user, node), answers))| {
            let at = now - (i as i64 + 1) * 3_600_000;
            let response = FormResponse {
                response_id: format!("resp-{i}"),
                form_id: "yunlian_village".into(),
                form_version: 1,
                respondent_id: user.into(),
                node_id: node.into(),
                household_id: None,
                visit_id: None,
                started_at_ms: at - 600_000,
                submitted_at_ms: at,
                evidence: answers.image_hashes(),
                answers,
            };
            let op = Operation {
                op_id: format!("form-op-{i}"),
                hlc: linkage_protocol::hlc::Hlc { wall_ms: at, counter: 0 }.encode("test"),
                body: OpBody::FormResponseSubmitted(response),
            };
            (user.to_string(), op)
        })
        .collect()
}

#[test]
fn the_same_county_gives_the_same_measures_and_form_figures_on_sqlite_and_postgresql() {
    let Some(url) = linkage_server::postgres::test_database() else {
        eprintln!("skipped: compares with PostgreSQL (LINKAGE_TEST_DATABASE)");
        return;
    };
    let now = chrono::Utc::now().timestamp_millis();
    let ops = responses(now);
    let (lite_dir, pg_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lite: Arc<dyn Storage> = Arc::new(linkage_server::sqlite::SqliteStorage::open(lite_dir.path()).unwrap());
    let pg: Arc<dyn Storage> = Arc::new(linkage_server::postgres::PgStorage::open(&url, pg_dir.path()).unwrap());
    county(lite.as_ref(), now, &ops);
    county(pg.as_ref(), now, &ops);

    let today = chrono::DateTime::from_timestamp_millis(now + 8 * 3_600_000).unwrap().date_naive();
    let policy = MeasuresPolicy::for_county(&readtx::read(lite.as_ref(), readtx::county_config).unwrap());
    let pg_policy = MeasuresPolicy::for_county(&readtx::read(pg.as_ref(), readtx::county_config).unwrap());
    assert_eq!(format!("{policy:?}"), format!("{pg_policy:?}"), "the county's settings read alike");
    for days in [0, 6, 30, 120] {
        let dates = DateRange { from: today - chrono::Duration::days(days), to: today };
        for node in ["hl", "hl-t1", "hl-t2-b1"] {
            let (a, weeks_a) = measures::compute_with_weeks(lite.as_ref(), node, dates, now + DAY, &policy).unwrap();
            let (b, weeks_b) = measures::compute_with_weeks(pg.as_ref(), node, dates, now + DAY, &policy).unwrap();
            assert_eq!(a.to_csv().unwrap(), b.to_csv().unwrap(), "{node}, {days} days: every cell of the export");
            assert_eq!(a.late, b.late, "{node}, {days} days");
            assert_eq!(format!("{weeks_a:?}"), format!("{weeks_b:?}"), "{node}, {days} days: the weekly trends");
            if node == "hl" && days == 120 {
                // Not an empty comparison: the demo's history is in it.
                let county = &a.rows[0];
                assert!(county.issues.reported > 0 && county.directives >= 1 && county.branch_visits.visited > 0, "{:?}", county.issues);
                assert!(a.rows.len() == 9, "the county and its 8 townships");
            }
        }
        // From scratch (every event folded in receipt order: `rowid` on SQLite, `id` on PostgreSQL) too.
        let a = measures::compute_from_events(lite.as_ref(), "hl", dates, now + DAY, &policy).unwrap();
        let b = measures::compute_from_events(pg.as_ref(), "hl", dates, now + DAY, &policy).unwrap();
        assert_eq!(a.to_csv().unwrap(), b.to_csv().unwrap(), "{days} days, from the events");
    }

    for node in [None, Some("hl-t1"), Some("hl-t2")] {
        let a = forms::load(lite.as_ref(), "yunlian_village", None, node).unwrap();
        let b = forms::load(pg.as_ref(), "yunlian_village", None, node).unwrap();
        assert_eq!(forms::tabulate(&a), forms::tabulate(&b), "{node:?}");
        assert_eq!(format!("{:?}", a.responses), format!("{:?}", b.responses), "{node:?}");
    }
    let all = forms::tabulate(&forms::load(pg.as_ref(), "yunlian_village", Some(1), None).unwrap());
    assert_eq!((all.responses, all.per_node.len()), (3, 3));
    let households = all.questions.iter().find(|q| q.name == "households").unwrap();
    assert_eq!((households.mean, households.sum), (Some(300.0), Some(900.0)));
    assert_eq!(forms::tabulate(&forms::load(pg.as_ref(), "yunlian_village", None, Some("hl-t1")).unwrap()).responses, 2);
}

/// The dialect layer itself on PostgreSQL: an `i64` binds to an `integer` placeholder, a `bool` to a
/// `boolean`; `bigint`, `integer`, `boolean`, `double precision` and text columns read into Rust types; SQLite's
/// `instr` and numbered parameters are translated; a `numeric` column is an error naming it; and a query
/// started inside another's row callback is refused (rows stream from one cursor) — on SQLite it is allowed.
#[test]
fn the_read_layer_binds_and_reads_postgresql_types() {
    let Some(url) = linkage_server::postgres::test_database() else {
        eprintln!("skipped: runs on PostgreSQL only (LINKAGE_TEST_DATABASE)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pg: Arc<dyn Storage> = Arc::new(linkage_server::postgres::PgStorage::open(&url, dir.path()).unwrap());
    let lite_dir = tempfile::tempdir().unwrap();
    let lite: Arc<dyn Storage> = Arc::new(linkage_server::sqlite::SqliteStorage::open(lite_dir.path()).unwrap());
    for (storage, on_pg) in [(pg.as_ref(), true), (lite.as_ref(), false)] {
        let row = readtx::read(storage, |tx| {
            assert_eq!(tx.is_postgres(), on_pg);
            tx.query_row(
                "SELECT ?1 + 1, instr(?2, 'b'), NOT ?3, count(*), CAST(?4 AS DOUBLE PRECISION) * 2, ?2 || '!' FROM org_nodes WHERE ?3 OR TRUE",
                readtx::params![41_i64, "abc", false, 0.25],
                |r| Ok((r.get::<i64>(0)?, r.get::<u32>(1)?, r.get::<bool>(2)?, r.get::<u32>(3)?, r.get::<f64>(4)?, r.get::<String>(5)?)),
            )
        })
        .unwrap();
        assert_eq!(row, (42, 2, true, 0, 0.5, "abc!".to_string()), "on PostgreSQL: {on_pg}");
        let nested = readtx::read(storage, |tx| {
            tx.each("SELECT 1 UNION ALL SELECT 2", readtx::params![], |_| tx.query_row("SELECT 3", readtx::params![], |r| r.get::<i64>(0)).map(drop))
        });
        assert_eq!(nested.is_err(), on_pg, "{nested:?}");
    }
    let numeric = readtx::read(pg.as_ref(), |tx| tx.query_row("SELECT sum(members) FROM households", readtx::params![], |r| r.get::<Option<i64>>(0)));
    let err = numeric.unwrap_err().to_string();
    assert!(err.contains("column 0") && err.contains("numeric"), "{err}");
    // A read snapshot writes nothing, whatever it is asked.
    let write = readtx::read(pg.as_ref(), |tx| tx.query_row("INSERT INTO server_meta (key, value) VALUES ('x', 'y') RETURNING key", readtx::params![], |r| r.get::<String>(0)));
    assert!(write.is_err());
    assert_eq!(pg.server_meta("x").unwrap(), None);
}
