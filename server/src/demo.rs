//! `linkage-server demo`: a synthetic county so a newcomer sees the system work (DESIGN §9). The org tree,
//! households and users come from a seeded RNG (the same county every time): 黄龙县, 8 townships, 60 village
//! branches, 400 villager groups, households with plausible names, addresses, tags and points inside their
//! branch's boundary, and one demo user per node. The issue history, visits and a fire-prevention alert are
//! then pushed as operations through the same `Storage::apply_op` path phones use, so they obey every rule.

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{
    AckMeans, DirectiveKind, GpsFix, IssueCategory, OnSiteVerdict, OrgLevel, RiskLevel, Role, Satisfaction, Urgency,
    VisitKind,
};
use linkage_protocol::rules::scope;
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{
    BundleHousehold, BundleNode, Directive, HouseholdAck, IssueAction, IssueEvent, IssueReport, NodeAck, NodeRelay,
    OpBody, Operation, Visit,
};

use crate::apply::UserInfo;
use crate::error::{Error, Result};
use crate::import::{self, Sourced};
use crate::storage::{NewUser, Storage};

/// The password every demo user shares.
pub const DEMO_PASSWORD: &str = "linkage2026";
/// Default number of households.
pub const DEFAULT_HOUSEHOLDS: u32 = 20_000;
/// Townships in the demo county.
pub const TOWNSHIPS: usize = 8;
/// Village branches in the demo county.
pub const BRANCHES: usize = 60;
/// Villager groups in the demo county.
pub const GROUPS: usize = 400;

const SEED: u64 = 0x5EED_1A4B_2026;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// SplitMix64: tiny, fast and deterministic (no RNG crate needed for a demo).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// One item of a slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TOWNSHIP_NAMES: [&str; TOWNSHIPS] = ["石堡镇", "白马滩镇", "瓦子街镇", "界头庙镇", "三岔镇", "圪台乡", "崾崄乡", "范家卓子乡"];
const VILLAGE_PREFIXES: [&str; 20] = [
    "张家", "李家", "王家", "柳树", "石门", "杨家", "马家", "郭家", "高家", "南沟", "北塬", "东坡", "西川", "红崖", "黑峪", "白家",
    "杜家", "胡家", "薛家", "段家",
];
const VILLAGE_SUFFIXES: [&str; 4] = ["村", "湾村", "塬村", "沟村"];
const GROUP_NAMES: [&str; 10] = ["一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组", "九组", "十组"];
const SURNAMES: [&str; 32] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋",
    "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
];
const GIVEN: [&str; 48] = [
    "秀", "英", "华", "明", "建", "国", "志", "强", "军", "平", "桂", "兰", "芳", "玉", "春", "梅", "红", "海", "金", "凤", "德", "福",
    "文", "辉", "小", "丽", "永", "生", "荣", "宝", "忠", "成", "喜", "霞", "云", "刚", "林", "勇", "杰", "娟", "俊", "峰", "民", "武",
    "彩", "珍", "善", "莲",
];
const TAGS: [(&str, f64); 5] = [("低保", 0.06), ("独居老人", 0.05), ("残疾", 0.03), ("留守儿童", 0.04), ("脱贫监测户", 0.02)];
const ISSUE_TITLES: [(IssueCategory, &[&str]); 6] = [
    (IssueCategory::Infrastructure, &["村道塌方需修复", "路灯损坏", "自来水管道破裂", "桥面护栏松动"]),
    (IssueCategory::Dispute, &["宅基地边界纠纷", "邻里用水纠纷", "土地流转合同争议"]),
    (IssueCategory::LivelihoodAid, &["冬季取暖困难", "申请临时救助", "低保复核咨询", "独居老人就医不便"]),
    (IssueCategory::SafetyHazard, &["危房漏雨", "电线老化存在隐患", "山体落石"]),
    (IssueCategory::Sanitation, &["垃圾清运不及时", "村口污水外溢"]),
    (IssueCategory::ForestFire, &["林区有人野外用火", "坟头烧纸隐患"]),
];

fn person(rng: &mut Rng) -> String {
    let mut name = (*rng.pick(&SURNAMES)).to_string();
    let given: &&str = rng.pick(&GIVEN[..]);
    name.push_str(given);
    if rng.chance(0.7) {
        let second: &&str = rng.pick(&GIVEN[..]);
        name.push_str(second);
    }
    name
}

fn id_number(rng: &mut Rng, serial: usize) -> String {
    let year = 1940 + rng.below(66);
    let body = format!("610631{year:04}{:02}{:02}{:03}", 1 + rng.below(12), 1 + rng.below(28), serial % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", "10X98765432".as_bytes()[(sum % 11) as usize] as char)
}

/// A (lat, lon) rectangle.
#[derive(Debug, Clone, Copy)]
struct Rect {
    south: f64,
    west: f64,
    north: f64,
    east: f64,
}

impl Rect {
    fn ring(&self) -> Vec<(f64, f64)> {
        vec![(self.south, self.west), (self.south, self.east), (self.north, self.east), (self.north, self.west)]
    }
    /// Cell `i` of a `cols × rows` grid.
    fn cell(&self, i: usize, n: usize) -> Rect {
        let cols = (n as f64).sqrt().ceil() as usize;
        let rows = n.div_ceil(cols);
        let (c, r) = (i % cols, i / cols);
        let w = (self.east - self.west) / cols as f64;
        let h = (self.north - self.south) / rows as f64;
        Rect { south: self.south + h * r as f64, west: self.west + w * c as f64, north: self.south + h * (r + 1) as f64, east: self.west + w * (c + 1) as f64 }
    }
    fn inner_point(&self, rng: &mut Rng) -> (f64, f64) {
        let (dy, dx) = (self.north - self.south, self.east - self.west);
        (self.south + dy * (0.05 + 0.9 * rng.unit()), self.west + dx * (0.05 + 0.9 * rng.unit()))
    }
}

/// One demo node with its path and who works there.
#[derive(Debug, Clone)]
struct Place {
    id: String,
    path: String,
    user: UserInfo,
}

/// What `seed` created, for the banner and tests.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// One demo user of each role (county, township, grid worker, liaison head).
    pub sample_users: Vec<UserInfo>,
    /// Operations pushed through the apply path.
    pub ops_applied: usize,
}

fn user_at(id: String, name: String, role: Role, node_id: &str, path: &str) -> UserInfo {
    UserInfo { id, name, role, node_id: node_id.to_string(), node_path: path.to_string(), node_level: role.level() }
}

/// Seeds the demo county with `households` households unless a county exists. Returns `None` if there was one.
pub fn seed(storage: &dyn Storage, households: u32, now_ms: i64) -> Result<Option<DemoSummary>> {
    if storage.has_county()? {
        return Ok(None);
    }
    // Marked before the first row and after the last: a seeding killed midway is recognised at the next start
    // (`seeding_incomplete`) and done again, never served half made.
    storage.set_server_meta(DEMO_SEED_KEY, "started")?;
    let summary = seed_county(storage, households, now_ms)?;
    storage.set_server_meta(DEMO_SEED_KEY, "complete")?;
    Ok(Some(summary))
}

/// `server_meta` key of the demo seeding's progress: `started`, then `complete`.
pub const DEMO_SEED_KEY: &str = "demo_seed";

/// Whether this data directory holds a demo seeding that did not finish (its start was marked, its end not).
/// A county imported for real has no mark and is never taken for one.
pub fn seeding_incomplete(storage: &dyn Storage) -> Result<bool> {
    Ok(storage.server_meta(DEMO_SEED_KEY)?.as_deref() == Some("started"))
}

/// Removes a demo data directory's database (with its WAL) and blobs, so seeding starts over. Only for a data
/// directory [`seeding_incomplete`] recognised as an unfinished demo.
pub fn remove_data(data_dir: &std::path::Path) -> Result<()> {
    for name in ["linkage.db", "linkage.db-wal", "linkage.db-shm"] {
        match std::fs::remove_file(data_dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    match std::fs::remove_dir_all(data_dir.join("blobs")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

fn seed_county(storage: &dyn Storage, households: u32, now_ms: i64) -> Result<DemoSummary> {
    let mut rng = Rng::new(SEED);
    let county_rect = Rect { south: 35.35, west: 109.55, north: 35.85, east: 110.15 };
    let mut nodes: Vec<Sourced<BundleNode>> = Vec::new();
    let mut node = |id: &str, parent: Option<&str>, level, name: String, code: String, boundary: Vec<(f64, f64)>| {
        nodes.push(Sourced {
            origin: format!("demo node {id}"),
            item: BundleNode { id: id.into(), parent_id: parent.map(str::to_string), level, name, code, boundary },
        });
    };
    let county_path = "/hl/".to_string();
    node("hl", None, OrgLevel::County, "黄龙县".into(), "610631000000".into(), county_rect.ring());
    let mut users: Vec<UserInfo> = vec![user_at("cs1".into(), format!("{}（县委）", person(&mut rng)), Role::CountyStaff, "hl", &county_path)];
    let mut townships: Vec<Place> = Vec::new();
    let mut branches: Vec<(Place, usize, Rect, String)> = Vec::new(); // (branch, township index, rect, name)
    let mut groups: Vec<(Place, usize, String)> = Vec::new(); // (group, branch index, address prefix)
    let mut branch_no = 0usize;
    let mut group_no = 0usize;
    let mut secretary_rng = Rng::new(SEED ^ 0xB5EC);
    let mut secretaries: Vec<UserInfo> = Vec::new();
    for (t, township_name) in TOWNSHIP_NAMES.iter().enumerate().take(TOWNSHIPS) {
        let tid = format!("hl-t{}", t + 1);
        let tpath = scope::child_path(&county_path, &tid);
        let trect = county_rect.cell(t, TOWNSHIPS);
        let tcode = format!("610631{:03}000", 100 + t + 1);
        node(&tid, Some("hl"), OrgLevel::Township, (*township_name).into(), tcode.clone(), trect.ring());
        let tuser = user_at(format!("ts{}", t + 1), person(&mut rng), Role::TownshipStaff, &tid, &tpath);
        users.push(tuser.clone());
        townships.push(Place { id: tid.clone(), path: tpath.clone(), user: tuser });
        let nb = if t < BRANCHES % TOWNSHIPS { BRANCHES / TOWNSHIPS + 1 } else { BRANCHES / TOWNSHIPS };
        for b in 0..nb {
            let bid = format!("{tid}-b{}", b + 1);
            let bpath = scope::child_path(&tpath, &bid);
            let brect = trect.cell(b, nb);
            let bname = format!("{}{}", VILLAGE_PREFIXES[branch_no % 20], VILLAGE_SUFFIXES[(branch_no / 20) % 4]);
            let bcode = format!("{}{:03}", &tcode[..9], 200 + b + 1);
            node(&bid, Some(&tid), OrgLevel::Branch, bname.clone(), bcode.clone(), brect.ring());
            let buser = user_at(format!("gw{}-{}", t + 1, b + 1), person(&mut rng), Role::GridWorker, &bid, &bpath);
            users.push(buser.clone());
            // 支部书记: one per branch, named from their own stream so the rest of the county stays as it was.
            let suser = user_at(format!("bs{}-{}", t + 1, b + 1), person(&mut secretary_rng), Role::BranchSecretary, &bid, &bpath);
            users.push(suser.clone());
            secretaries.push(suser);
            // 400 groups over 60 branches: two in three branches have 7 groups, the others 6.
            let ng = if branch_no % 3 == 0 { GROUPS / BRANCHES } else { GROUPS / BRANCHES + 1 };
            for (g, group_name) in GROUP_NAMES.iter().enumerate().take(ng) {
                let gid = format!("{bid}-g{}", g + 1);
                let gpath = scope::child_path(&bpath, &gid);
                node(&gid, Some(&bid), OrgLevel::Group, (*group_name).into(), format!("{bcode}{:02}", g + 1), Vec::new());
                let guser = user_at(format!("lh{}-{}-{}", t + 1, b + 1, g + 1), person(&mut rng), Role::LiaisonHead, &gid, &gpath);
                users.push(guser.clone());
                groups.push((
                    Place { id: gid, path: gpath, user: guser },
                    branches.len(),
                    format!("{township_name}{bname}{group_name}"),
                ));
                group_no += 1;
            }
            branches.push((Place { id: bid, path: bpath, user: buser }, t, brect, bname));
            branch_no += 1;
        }
    }
    debug_assert_eq!((branch_no, group_no), (BRANCHES, GROUPS));

    // Households, spread over the groups, at points inside their branch's rectangle.
    let mut hh_rows = Vec::with_capacity(households as usize);
    let mut hh_places: Vec<(String, usize, (f64, f64))> = Vec::with_capacity(households as usize); // (id, group idx, point)
    let mut house_no = vec![0u32; groups.len()];
    for k in 0..households as usize {
        let gi = k % groups.len();
        let (_, bi, addr) = &groups[gi];
        house_no[gi] += 1;
        let point = branches[*bi].2.inner_point(&mut rng);
        let tags: Vec<String> = TAGS.iter().filter(|(_, p)| rng.chance(*p)).map(|(t, _)| (*t).to_string()).collect();
        let risk = if tags.len() >= 2 || (!tags.is_empty() && rng.chance(0.2)) {
            RiskLevel::High
        } else if !tags.is_empty() || rng.chance(0.08) {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        };
        let id = format!("h{:05}", k + 1);
        let phone = format!("1{}{:09}", rng.pick(&["33", "35", "38", "39", "50", "58", "77", "80"]), rng.next_u64() % 1_000_000_000);
        hh_rows.push(Sourced {
            origin: format!("demo household {id}"),
            item: BundleHousehold {
                id: id.clone(),
                group_id: groups[gi].0.id.clone(),
                head_name: person(&mut rng),
                members: 1 + rng.below(6) as u32,
                phone: Some(phone[..11].to_string()),
                id_number: Some(id_number(&mut rng, k)),
                address: format!("{addr}{}号", house_no[gi]),
                lat: Some((point.0 * 1e6).round() / 1e6),
                lon: Some((point.1 * 1e6).round() / 1e6),
                tags,
                risk_level: risk,
                county_contact: rng.chance(if risk == RiskLevel::High { 0.1 } else { 0.005 }),
            },
        });
        hh_places.push((id, gi, ((point.0 * 1e6).round() / 1e6, (point.1 * 1e6).round() / 1e6)));
    }
    import::import_rows(storage, nodes, hh_rows)?;

    // Users: one argon2id hash of the shared demo password (hashing 469 times would take minutes).
    let hash = crate::auth::hash_password(DEMO_PASSWORD)?;
    for u in &users {
        storage.put_user(&NewUser { id: u.id.clone(), name: u.name.clone(), role: u.role, node_id: u.node_id.clone(), password_hash: hash.clone() })?;
    }

    // History, through the op path.
    let mut pusher = Pusher { storage, rng: Rng::new(SEED ^ 0xA11CE), applied: 0, counter: 0, now_ms };
    let county_user = users[0].clone();
    let n_issues = (households as usize / 80).max(5);
    for _ in 0..n_issues {
        if hh_places.is_empty() {
            break;
        }
        let (hid, gi, point) = hh_places[pusher.rng.below(hh_places.len())].clone();
        let (group, bi, _) = &groups[gi];
        let (branch, ti, _, _) = &branches[*bi];
        let township = &townships[*ti];
        pusher.issue_story(&hid, point, group, branch, township, &county_user)?;
    }
    // Routine visits by grid workers, most of them on site.
    for _ in 0..(households as usize / 40).max(5) {
        if hh_places.is_empty() {
            break;
        }
        let (hid, gi, point) = hh_places[pusher.rng.below(hh_places.len())].clone();
        let branch = &branches[groups[gi].1].0;
        pusher.visit(&hid, point, &branch.user)?;
    }
    // A county-wide fire-prevention alert, acknowledged down part of the chain.
    pusher.alert(&county_user, &townships, &branches, &groups, &hh_places)?;

    let sample_users = vec![
        users[0].clone(),
        townships[0].user.clone(),
        branches[0].0.user.clone(),
        groups[0].0.user.clone(),
        secretaries[0].clone(),
    ];
    Ok(DemoSummary { sample_users, ops_applied: pusher.applied })
}

/// Makes operations as a phone would and pushes them through `Storage::apply_op`.
struct Pusher<'a> {
    storage: &'a dyn Storage,
    rng: Rng,
    applied: usize,
    counter: u64,
    now_ms: i64,
}

impl Pusher<'_> {
    fn uuid7(&mut self, at_ms: i64) -> String {
        let mut random = [0u8; 10];
        random.copy_from_slice(&self.rng.next_u64().to_le_bytes().into_iter().chain(self.rng.next_u64().to_le_bytes()).take(10).collect::<Vec<_>>());
        uuid::Builder::from_unix_timestamp_millis(at_ms.max(0) as u64, &random).into_uuid().to_string()
    }

    fn push(&mut self, user: &UserInfo, at_ms: i64, body: OpBody) -> Result<()> {
        self.counter += 1;
        let op = Operation { op_id: self.uuid7(at_ms), hlc: Hlc { wall_ms: at_ms, counter: 0 }.encode("demo"), body };
        match self.storage.apply_op(user, &op, self.now_ms)? {
            OpOutcome::Applied => {
                self.applied += 1;
                Ok(())
            }
            other => Err(Error::Corrupt(format!("demo op {} by {} refused: {other:?}", op.body.kind(), user.id))),
        }
    }

    fn event(&mut self, user: &UserInfo, issue_id: &str, at_ms: i64, action: IssueAction) -> Result<()> {
        let event_id = self.uuid7(at_ms);
        let event = IssueEvent {
            event_id,
            issue_id: issue_id.to_string(),
            actor_id: user.id.clone(),
            actor_role: user.role,
            actor_node_id: user.node_id.clone(),
            actor_name: Some(user.name.clone()),
            hlc: Hlc { wall_ms: at_ms, counter: 0 }.encode("demo"),
            at_ms,
            action,
        };
        self.push(user, at_ms, OpBody::IssueEvent(event))
    }

    fn step(&mut self, at: &mut i64) -> bool {
        *at += 3_600_000 * (2 + self.rng.below(70) as i64);
        *at < self.now_ms - 60_000
    }

    fn issue_story(&mut self, hid: &str, point: (f64, f64), group: &Place, branch: &Place, township: &Place, county: &UserInfo) -> Result<()> {
        let mut at = self.now_ms - DAY_MS * (1 + self.rng.below(60) as i64);
        let (category, titles) = *self.rng.pick(&ISSUE_TITLES);
        let title = (*self.rng.pick(titles)).to_string();
        let urgency = if self.rng.chance(0.1) { Urgency::Urgent } else if self.rng.chance(0.03) { Urgency::Critical } else { Urgency::Normal };
        let reporter = if self.rng.chance(0.6) { &group.user } else { &branch.user };
        let issue_id = self.uuid7(at);
        let path = scope::child_path(&group.path, hid);
        let report = IssueReport {
            category,
            urgency,
            title: title.clone(),
            description: format!("{}反映：{title}，请尽快处理。", reporter.name),
            node_id: group.id.clone(),
            path,
            household_id: Some(hid.to_string()),
            owner_node_id: township.id.clone(),
            location: Some(GpsFix { lat: point.0, lon: point.1, accuracy_m: 12.0, fix_time_ms: at, mocked: false }),
            evidence: Vec::new(),
        };
        self.event(reporter, &issue_id, at, IssueAction::Report(report))?;
        let ts = &township.user;
        if !self.step(&mut at) || self.rng.chance(0.06) {
            return Ok(());
        }
        if self.rng.chance(0.08) {
            return self.event(ts, &issue_id, at, IssueAction::Reject { reason: "不属于受理范围，已告知当事人".into() });
        }
        self.event(ts, &issue_id, at, IssueAction::Accept)?;
        if !self.step(&mut at) {
            return Ok(());
        }
        let mut owner = ts.clone();
        if self.rng.chance(0.06) {
            self.event(ts, &issue_id, at, IssueAction::Escalate { reason: "超出乡镇处置能力，提请县级协调".into(), to_node_id: "hl".into() })?;
            owner = county.clone();
            if !self.step(&mut at) {
                return Ok(());
            }
        }
        let handler = &branch.user;
        self.event(&owner, &issue_id, at, IssueAction::Assign { assignee_id: handler.id.clone() })?;
        if !self.step(&mut at) || self.rng.chance(0.15) {
            return Ok(());
        }
        self.event(handler, &issue_id, at, IssueAction::Start)?;
        if !self.step(&mut at) || self.rng.chance(0.2) {
            return Ok(());
        }
        self.event(handler, &issue_id, at, IssueAction::Resolve { note: "已现场处置完毕".into(), evidence: Vec::new() })?;
        if !self.step(&mut at) || self.rng.chance(0.2) {
            return Ok(());
        }
        let satisfaction = *self.rng.pick(&[Satisfaction::Satisfied, Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied]);
        self.event(&owner, &issue_id, at, IssueAction::Verify { satisfaction, note: "电话回访".into() })
    }

    fn visit(&mut self, hid: &str, point: (f64, f64), visitor: &UserInfo) -> Result<()> {
        let start = self.now_ms - DAY_MS * (1 + self.rng.below(50) as i64);
        let jitter = if self.rng.chance(0.85) { 0.0002 } else { 0.01 };
        let fix = GpsFix {
            lat: point.0 + jitter * (self.rng.unit() - 0.5),
            lon: point.1 + jitter * (self.rng.unit() - 0.5),
            accuracy_m: 5.0 + 30.0 * self.rng.unit(),
            // The last fix of the visit, fresh when it is saved (the server grades stale fixes).
            fix_time_ms: start + 14 * 60_000,
            mocked: false,
        };
        let visit = Visit {
            id: self.uuid7(start),
            household_id: hid.to_string(),
            visitor_id: visitor.id.clone(),
            visitor_level: visitor.node_level,
            kind: VisitKind::Routine,
            started_at_ms: start,
            ended_at_ms: start + 15 * 60_000,
            fix: Some(fix),
            distance_m: None,
            verdict: OnSiteVerdict::NoFix, // the server grades the fix
            notes: (*self.rng.pick(&["家中安好", "了解生产生活情况", "宣传防火政策", "老人身体状况良好"])).to_string(),
            evidence: Vec::new(),
            issue_id: None,
            amends_visit_id: None,
        };
        self.push(visitor, start + 15 * 60_000, OpBody::VisitRecorded(visit))
    }

    fn alert(
        &mut self,
        county: &UserInfo,
        townships: &[Place],
        branches: &[(Place, usize, Rect, String)],
        groups: &[(Place, usize, String)],
        households: &[(String, usize, (f64, f64))],
    ) -> Result<()> {
        let at = self.now_ms - 2 * DAY_MS;
        let id = self.uuid7(at);
        let directive = Directive {
            id: id.clone(),
            issuer_id: county.id.clone(),
            issuer_node_id: county.node_id.clone(),
            target_node_id: county.node_id.clone(),
            kind: DirectiveKind::Alert,
            title: "森林防火高火险预警".into(),
            body: "近期气温高、风力大，全县进入森林高火险期。严禁野外用火，请各级逐级签收并入户告知。".into(),
            due_at_ms: None,
            issued_at_ms: at,
            evidence: vec![],
        };
        self.push(county, at, OpBody::DirectiveIssued(directive))?;
        let mut t = at + 600_000;
        let step = |p: &mut Self, place: &Place, t: i64| -> Result<()> {
            let u = &place.user;
            p.push(u, t, OpBody::NodeAcknowledged(NodeAck { directive_id: id.clone(), node_id: u.node_id.clone(), user_id: u.id.clone(), at_ms: t }))?;
            p.push(u, t + 60_000, OpBody::DirectiveRelayed(NodeRelay { directive_id: id.clone(), node_id: u.node_id.clone(), user_id: u.id.clone(), at_ms: t + 60_000 }))
        };
        for township in townships.iter().take(townships.len().saturating_sub(2)) {
            step(self, township, t)?;
            t += 300_000;
        }
        for (branch, _, _, _) in branches.iter().step_by(2) {
            step(self, branch, t)?;
            t += 60_000;
        }
        for (gi, (group, _, _)) in groups.iter().enumerate().step_by(3) {
            step(self, group, t)?;
            for (hid, _, _) in households.iter().skip(gi).step_by(groups.len()).take(3) {
                let u = &group.user;
                let ack = HouseholdAck { directive_id: id.clone(), household_id: hid.clone(), means: AckMeans::Phone, user_id: u.id.clone(), at_ms: t };
                self.push(u, t, OpBody::HouseholdAcknowledged(ack))?;
            }
            t += 60_000;
        }
        Ok(())
    }
}
