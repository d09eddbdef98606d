//! The demo county, seeded small.

use linkage_protocol::model::Role;
use linkage_server::demo;
use linkage_server::sqlite::SqliteStorage;
use linkage_server::storage::Storage;

#[test]
fn demo_seeding_makes_the_expected_county() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let summary = demo::seed(&storage, 300, now).unwrap().expect("seeded");
    let c = storage.counts().unwrap();
    let nodes = 1 + demo::TOWNSHIPS + demo::BRANCHES + demo::GROUPS;
    // One user per node, and a branch secretary (支部书记) beside each branch's grid worker.
    assert_eq!((c.nodes, c.households, c.users), (nodes as u64, 300, (nodes + demo::BRANCHES) as u64));
    assert!(c.issues >= 5 && c.issue_events > c.issues && c.visits >= 5 && c.directives == 1);
    assert_eq!(c.changes as usize, summary.ops_applied);
    for (role, n) in [(Role::CountyStaff, 1), (Role::TownshipStaff, demo::TOWNSHIPS), (Role::GridWorker, demo::BRANCHES), (Role::LiaisonHead, demo::GROUPS), (Role::BranchSecretary, demo::BRANCHES)] {
        assert_eq!(storage.users_with_role(role, 1000).unwrap().len(), n, "{role:?}");
    }
    assert_eq!(summary.sample_users.iter().map(|u| u.role).collect::<Vec<_>>(), Role::ALL.to_vec());
    let (user, hash) = storage.user_credentials(&summary.sample_users[3].id).unwrap().unwrap();
    assert!(linkage_server::auth::verify_password(demo::DEMO_PASSWORD, &hash), "{}", user.id);
    // Deterministic: the same county again; and a second run leaves existing data alone.
    assert!(demo::seed(&storage, 300, now).unwrap().is_none());
    let dir2 = tempfile::tempdir().unwrap();
    let again = SqliteStorage::open(dir2.path()).unwrap();
    demo::seed(&again, 300, now).unwrap();
    assert_eq!(storage.bundle("/hl/").unwrap().households, again.bundle("/hl/").unwrap().households);
}
