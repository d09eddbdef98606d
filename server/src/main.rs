//! The `linkage-server` command line: `serve`, `import`, `user add|unlock|disable`, `device list|revoke`,
//! `audit verify|export`, `demo` and `measures` (DESIGN §9). Every administrative command is written to the
//! audit trail with the operator's OS user.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use linkage_protocol::model::Role;
use linkage_protocol::validate::{self, limits};
use linkage_server::storage::{NewUser, Storage};
use linkage_server::audit::{self, Action};
use linkage_server::{api, auth, demo, import, measures, transport, Error};

#[derive(Parser)]
#[command(name = "linkage-server", version, about = "Linkage (五级联动) sync server")]
struct Cli {
    /// Store in this PostgreSQL database (`postgres://user@host:port/db`) instead of the SQLite file in
    /// --data-dir (blobs stay in --data-dir/blobs: point every server of a deployment at one shared folder).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API (HTTPS with --tls-cert/--tls-key, else plain HTTP for a TLS reverse proxy on the same
    /// host; see docs/security.md §9).
    Serve {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        serving: ServingArgs,
    },
    /// Import the org tree and/or households from UTF-8 CSV (all or nothing; see the headers in --help).
    #[command(long_about = "Import the org tree and/or households from UTF-8 CSV, all or nothing.\n\n\
        nodes.csv header: id,parent_id,level,name,code,boundary\n  level: county|township|branch|group (or 县/乡镇/村/组); \
        boundary: optional `lat lon;lat lon;...`\n\
        households.csv header: id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact\n  \
        tags: separated by ; | or 、; risk_level: low|medium|high (or 低/中/高); county_contact: 1/0")]
    Import {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long)]
        nodes: Option<PathBuf>,
        #[arg(long)]
        households: Option<PathBuf>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Mark overdue issues now (the running server also does this every 5 minutes); prints how many.
    Sweep {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
    /// Evidence photos (佐证照片): collect expired unfinished uploads and blobs no record refers to (the running
    /// server also does this every hour).
    Blobs {
        #[command(subcommand)]
        command: BlobsCommand,
    },
    /// Manage devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// The audit trail (审计记录): check its hash chain, export a period.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The county's holiday calendars (节假日安排), one file per year: import one, or see which are loaded.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The county's other settings (县级配置: on-site radius, GPS age, visit cadence, ...): show them, or set one.
    County {
        #[command(subcommand)]
        command: CountyCommand,
    },
    /// Directives (指令下达) from the server, for an office without phones.
    Directive {
        #[command(subcommand)]
        command: DirectiveCommand,
    },
    /// Questionnaires and checklists (问卷, 排查表): import an XLSForm, list, retire, tabulate, export.
    Form {
        #[command(subcommand)]
        command: FormCommand,
    },
    /// Move this data directory's SQLite database into an empty PostgreSQL database (all or nothing): feed
    /// numbers, audit chain and accounts are kept; then serve with `--database URL` and the same --data-dir
    /// (its blobs/ folder).
    Migrate {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// The PostgreSQL database to fill, `postgres://user@host:port/db`.
        #[arg(long)]
        to: String,
    },
    /// Seed a synthetic county (if the data dir has none) and serve it.
    Demo {
        #[arg(long, default_value = "./linkage-demo-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value_t = demo::DEFAULT_HOUSEHOLDS)]
        households: u32,
        /// Seed and exit without serving.
        #[arg(long)]
        seed_only: bool,
        #[command(flatten)]
        serving: ServingArgs,
    },
    /// Export the measures (考核指标) of a node's area over a period: one row for the node, one per child.
    #[command(long_about = "Export the measures (考核指标) of a node's area over a period, with Chinese column headers: \
        one row for the node itself and one per direct child (the county: each township).\n\n\
        Dates are days in China Standard Time, --to inclusive. Rates print as `97.5% (39/40)`, `—` for none. \
        CSV is UTF-8 with a byte-order mark (opens in Excel); XLSX has the table and a 说明 sheet. \
        Reads the database read-only: it may run while the server serves.")]
    Measures {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// Org node id (its whole subtree is measured).
        #[arg(long)]
        node: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day (inclusive), YYYY-MM-DD.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: FormatArg,
        /// Output file. Default: stdout for csv; `measures-<node>-<from>-<to>.xlsx` for xlsx.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// How `serve` and `demo` serve: TLS, proxy, limits, audit retention.
#[derive(clap::Args)]
struct ServingArgs {
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Behind a reverse proxy that sets X-Forwarded-For: throttle sign-ins by the address it names.
    #[arg(long)]
    trust_forwarded_for: bool,
    /// Keep audit records this many days (at least 180).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(180..))]
    audit_retention_days: u32,
    /// Operations one device may push per minute.
    #[arg(long, default_value_t = linkage_server::guard::Limits::default().ops_per_minute)]
    max_ops_per_minute: u32,
    /// Requests one device may make per minute.
    #[arg(long, default_value_t = linkage_server::guard::Limits::default().requests_per_minute)]
    max_requests_per_minute: u32,
    /// Consecutive failed sign-ins that lock an account (unlock: `user unlock`).
    #[arg(long, default_value_t = linkage_server::guard::Limits::default().lock_after, value_parser = clap::value_parser!(u32).range(3..=100))]
    lock_after: u32,
    /// Failed sign-ins of one account before the growing delays start.
    #[arg(long, default_value_t = linkage_server::guard::Limits::default().free_account_failures)]
    sign_in_free_failures: u32,
    /// Failed sign-ins from one client address (any account) before the growing delays start.
    #[arg(long, default_value_t = linkage_server::guard::Limits::default().free_address_failures)]
    address_free_failures: u32,
    /// The built web console (`console/dist`) served at /console/. Default: $LINKAGE_CONSOLE_DIR, else the
    /// source tree's console/dist, else `console/` beside the binary.
    #[arg(long)]
    console_dir: Option<PathBuf>,
    /// A map tile layer for the console's map (天地图 or the county's own server), with {z}/{x}/{y} in the URL.
    #[arg(long)]
    map_tiles: Option<String>,
}

impl ServingArgs {
    fn options(&self) -> Result<api::ServeOptions, Error> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(transport::tls_config(cert, key)?),
            _ => None,
        };
        let limits = linkage_server::guard::Limits {
            ops_per_minute: self.max_ops_per_minute.max(1),
            requests_per_minute: self.max_requests_per_minute.max(1),
            lock_after: self.lock_after,
            free_account_failures: self.sign_in_free_failures,
            free_address_failures: self.address_free_failures,
            ..Default::default()
        };
        Ok(api::ServeOptions {
            config: api::Config {
                limits,
                trust_forwarded_for: self.trust_forwarded_for,
                console: linkage_server::console::ConsoleConfig {
                    dir: self.console_dir.clone().or_else(linkage_server::console::ConsoleConfig::default_dir),
                    tile_url: self.map_tiles.clone(),
                },
            },
            timeouts: transport::Timeouts::default(),
            tls,
            audit_retention_days: self.audit_retention_days,
        })
    }
}

#[derive(Subcommand)]
enum BlobsCommand {
    /// Remove unfinished uploads not continued for --partial-hours and complete blobs no record refers to,
    /// uploaded more than --grace-hours ago (and stray files); prints what was removed; audited.
    Gc {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// Hours an unfinished upload is kept after its last bytes.
        #[arg(long, default_value_t = 72)]
        partial_hours: u32,
        /// Hours a complete blob no record refers to is kept after its upload.
        #[arg(long, default_value_t = 168)]
        grace_hours: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain from the oldest kept row; names the first row edited or deleted. Prints the head
    /// (newest seq and hash): compare it with the head logged daily by the server to detect deleted newest rows.
    Verify {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
    /// Export the rows of a period as CSV (UTF-8 with BOM): days in China Standard Time, --to inclusive.
    Export {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day (inclusive), YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Csv,
    Xlsx,
}

#[derive(Subcommand)]
enum FormCommand {
    /// Import an XLSForm (.xlsx with survey/choices/settings sheets) as a new form version, published to the
    /// phones of the node's subtree (default: the whole county) and roles (default: every role). Every bad row
    /// is named with its sheet, row and reason, and nothing is stored.
    Import {
        file: PathBuf,
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// Org node id whose subtree receives the form.
        #[arg(long)]
        node: Option<String>,
        /// Role that fills it (repeat for several).
        #[arg(long, value_enum)]
        role: Vec<RoleArg>,
    },
    /// List the stored form versions with their response counts.
    List {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
    /// Retire a form version: phones stop offering it, and responses to it are refused.
    Retire {
        form_id: String,
        #[arg(long)]
        version: u32,
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
    /// Tabulate a form version's responses (default: the newest version, the whole county): count per node,
    /// per-question answers, choice frequencies, means and totals.
    Report {
        form_id: String,
        #[arg(long)]
        version: Option<u32>,
        #[arg(long)]
        node: Option<String>,
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
    /// Export a form version's responses to XLSX: one row per response (household, node, visit time, GPS
    /// verdict, answers), a sheet per repeat, and the tabulation.
    Export {
        form_id: String,
        #[arg(long)]
        version: Option<u32>,
        #[arg(long)]
        node: Option<String>,
        /// Output file (default `form-<id>-v<version>.xlsx`).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create (or update) a user bound to a node with an initial password, which the user must change at the
    /// first sign-in. Over an existing user this is a password reset: the user's devices are signed out.
    Add {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        node: String,
        /// The initial password (visible in `ps` and shell history: prefer --password-stdin).
        #[arg(long, conflicts_with = "password_stdin", required_unless_present = "password_stdin")]
        password: Option<String>,
        /// Read the initial password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Unlock an account locked by failed sign-ins.
    Unlock {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long)]
        id: String,
    },
    /// Disable an account (someone left the job): it cannot sign in, and each of its devices is told to wipe its
    /// data at its next contact.
    Disable {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Load a county's calendar for one year (the format of protocol/calendars/2026.json), replacing that
    /// year's file; every phone gets it with its next sync. A bad file is refused whole, naming the problem.
    #[command(long_about = "Load a county's holiday calendar for one year, replacing that year's file; every phone gets \
        it with its next sync and the sweep and measures use it at once.\n\n\
        File format (UTF-8 JSON, as protocol/calendars/2026.json):\n  \
        {\"year\": 2027, \"source\": \"国务院办公厅通知\", \"holidays\": [{\"name\": \"春节\", \"from\": \"2027-02-06\", \"to\": \"2027-02-13\"}], \
        \"workdays\": [{\"name\": \"春节调休\", \"date\": \"2027-02-14\"}]}\n\
        A bad file (bad JSON, unknown field, bad or out-of-year date, a day listed twice, a holiday that is also a \
        make-up working day) is refused whole and nothing is loaded.")]
    Import {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// The yearly calendar file.
        file: PathBuf,
    },
    /// List the loaded years and warn about a year that has started, or starts within 30 days, without one.
    Status {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum DirectiveCommand {
    /// Issue a directive as a staff account to a node's area; every phone there gets it with its next sync,
    /// exactly as if the account had issued it on a phone (judged by the same rules, audited).
    #[command(long_about = "Issue a directive (通知 notice / 预警 alert / 任务 task) as a county, township or branch         account to the area of a node; the phones of that area get it with their next sync, as if it had been         issued on the account's phone (same rules, same change feed). A task needs --due. Bad input is refused         in Chinese and English and nothing is stored. Written to the audit trail.\n\n        Example: linkage-server directive issue --as cs1 --target t1 --kind 预警 --title 森林火险橙色预警         --body '严禁野外用火，联户长逐户告知' --due '2026-12-03 18:00'")]
    Issue {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// The issuing staff account (its node must contain the target).
        #[arg(long = "as")]
        as_user: String,
        /// The org node whose area receives it.
        #[arg(long)]
        target: String,
        /// 通知 | 预警 | 任务 (or notice | alert | task).
        #[arg(long)]
        kind: String,
        #[arg(long)]
        title: String,
        /// The full text.
        #[arg(long)]
        body: String,
        /// Due time in China Standard Time, `YYYY-MM-DD HH:MM` (required for a task).
        #[arg(long)]
        due: Option<String>,
    },
}

#[derive(Subcommand)]
enum CountyCommand {
    /// Print every setting with its value (calendars: `calendar status`).
    Show {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
    },
    /// Set one setting; checked by the same rule as the bundle, refused whole with a message naming it. Every
    /// phone gets it with its next sync (a `county_config_set` change in the feed); the server uses it at once.
    #[command(long_about = "Set one of the county's settings; every phone gets it with its next sync (a         county_config_set change in the feed) and the server's grading, sweep and measures use it at once.         A bad key or value is refused, naming the setting in Chinese and English, and nothing is changed.\n\n\
        Keys:\n  on_site.radius_m          在现场判定半径（米）\n  on_site.max_accuracy_m    定位精度要求（米）\n  \
        on_site.max_fix_age_s     定位有效时间（秒）\n  cadence.county_days       县级联系户走访周期（天，none = 不要求）\n  \
        cadence.township_days     乡镇干部走访周期（天）\n  cadence.branch_days       网格员走访周期（天）\n  \
        cadence.group_days        联户长走访周期（天）\n  duplicates.radius_m       重复诉求提示范围（米）\n  \
        duplicates.window_days    重复诉求提示时间（天）\n  ack_windows.alert_hours   预警签收时限（小时）\n  \
        ack_windows.notice_hours  通知签收时限（小时）\n  sla                       办理时限调整（JSON 文件的路径）")]
    Set {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// The setting, e.g. `on_site.max_fix_age_s`.
        key: String,
        /// The new value (`none` for a level without a visit cadence; a file path for `sla`).
        value: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List enrolled devices (of one user, or all): id, user, name, enrolled, last seen, state.
    List {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        /// Only this user's devices.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a device: its next request is answered with a wipe order.
    Revoke {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long)]
        device: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
enum RoleArg {
    CountyStaff,
    TownshipStaff,
    GridWorker,
    LiaisonHead,
    /// 支部书记 / 村干部, bound to a village branch.
    BranchSecretary,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::CountyStaff => Role::CountyStaff,
            RoleArg::TownshipStaff => Role::TownshipStaff,
            RoleArg::GridWorker => Role::GridWorker,
            RoleArg::LiaisonHead => Role::LiaisonHead,
            RoleArg::BranchSecretary => Role::BranchSecretary,
        }
    }
}

fn open(data_dir: &Path, database: Option<&str>) -> Result<Arc<dyn Storage>, Error> {
    linkage_server::storage::open(database, data_dir)
}

/// Creates a user, or resets an existing user's password (their devices are signed out). The password must meet
/// the policy and is marked initial: the user changes it at the first sign-in.
fn add_user(storage: &dyn Storage, id: &str, name: &str, role: Role, node: &str, password: &str) -> Result<(), Error> {
    validate::id("id", id).map_err(|e| Error::Invalid(e.to_string()))?;
    let name = validate::text("name", name, 1, limits::NAME).map_err(|e| Error::Invalid(e.to_string()))?;
    if let Err(p) = linkage_protocol::rules::password::check(id, password, None) {
        use linkage_protocol::labels::Locale;
        return Err(Error::Invalid(format!("password: {} ({})", p.words(Locale::En), p.words(Locale::ZhCn))));
    }
    let n = storage.node(node)?.ok_or_else(|| Error::NotFound(format!("node '{node}'")))?;
    if n.level != role.level() {
        return Err(Error::Invalid(format!("a {role:?} must be bound to a {:?} node; '{node}' is a {:?}", role.level(), n.level)));
    }
    let hash = auth::hash_password(password)?;
    let existed = storage.account(id)?.is_some();
    storage.put_user(&NewUser { id: id.into(), name, role, node_id: node.into(), password_hash: hash.clone() })?;
    let now = chrono::Utc::now().timestamp_millis();
    let signed_out = storage.set_password(id, &hash, true, now)?;
    let detail = serde_json::json!({ "role": linkage_server::sqlite::enum_str(&role), "node": node, "password_reset": existed, "devices_signed_out": signed_out });
    storage.audit(&audit::Event::new(audit::cli_actor(), Action::UserSaved, id, "").with(detail), now)?;
    if signed_out > 0 {
        storage.audit(&audit::Event::new(audit::cli_actor(), Action::TokensRevoked, id, "").with(serde_json::json!({ "devices": signed_out, "why": "password_reset" })), now)?;
    }
    Ok(())
}

async fn serve(storage: Arc<dyn Storage>, listen: SocketAddr, options: api::ServeOptions) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let scheme = if options.tls.is_some() { "https" } else { "http" };
    eprintln!("linkage-server listening on {scheme}://{}", listener.local_addr()?);
    api::serve(listener, storage, options).await?;
    Ok(())
}

fn fmt_time(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

/// `audit export`: the rows of the days as CSV with a byte-order mark.
fn audit_csv(rows: &[audit::Row]) -> Result<Vec<u8>, Error> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let io = |e: csv::Error| Error::Invalid(e.to_string());
        w.write_record(["序号 seq", "时间 time (UTC+8)", "at_ms", "操作人 actor", "事件 action", "对象 subject", "地址 address", "详情 detail", "prev_hash", "hash"]).map_err(io)?;
        for r in rows {
            w.write_record([&r.seq.to_string(), &fmt_time(Some(r.at_ms)), &r.at_ms.to_string(), &r.actor, &r.action, &r.subject, &r.address, &r.detail, &r.prev_hash, &r.hash]).map_err(io)?;
        }
        w.flush()?;
    }
    Ok(out)
}

fn banner(listen: SocketAddr, tls: bool, summary: Option<&demo::DemoSummary>, storage: &dyn Storage, seconds: f64) -> Result<(), Error> {
    let c = storage.counts()?;
    let url = format!("{}://{listen}", if tls { "https" } else { "http" });
    println!("\n五级联动 Linkage 演示服务器 / demo server");
    println!("  演示数据仅供演示 Demo data only: never run `demo` on a county's data directory.");
    println!("  地址 URL:      {url}   (API 文档 OpenAPI: {url}/openapi.json)");
    println!("  网页控制台 Console: {url}/console/   (县级、乡镇干部账号 county/township staff accounts)");
    println!(
        "  数据 Data:     {} 个组织节点 nodes, {} 户 households, {} 名用户 users, {} 件诉求 issues, {} 次走访 visits",
        c.nodes, c.households, c.users, c.issues, c.visits
    );
    match summary {
        Some(s) => println!("  生成 Seeded:   {} ops through the sync rules in {seconds:.1} s", s.ops_applied),
        None => println!("  已有数据 Existing data reused ({seconds:.1} s)"),
    }
    println!("  演示账号 Demo accounts (密码 password: {}):", demo::DEMO_PASSWORD);
    for role in Role::ALL {
        if let Some(u) = storage.users_with_role(role, 1)?.first() {
            let label = match role {
                Role::CountyStaff => "县级干部 county staff   ",
                Role::TownshipStaff => "乡镇干部 township staff ",
                Role::GridWorker => "网格员   grid worker    ",
                Role::LiaisonHead => "联户长   liaison head   ",
                Role::BranchSecretary => "支部书记 branch secretary",
            };
            println!("    {label} {:<14} {}", u.id, u.name);
        }
    }
    println!("  手机连接 Phone: set the server URL to {url} (an emulator reaches the host at http://10.0.2.2:{}),", listen.port());
    println!("                  then sign in with an account above. Phones refuse other http:// addresses: for a phone on USB");
    println!("                  run `adb reverse tcp:{0} tcp:{0}`; on the LAN serve TLS (--tls-cert/--tls-key).\n", listen.port());
    Ok(())
}

fn run(cli: Cli) -> Result<(), Error> {
    let runtime = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let Cli { database, command } = cli;
    let db = database.as_deref();
    match command {
        Command::Serve { data_dir, listen, serving } => {
            let options = serving.options()?;
            let storage = open(&data_dir, db)?;
            runtime()?.block_on(serve(storage, listen, options))
        }
        Command::Migrate { data_dir, to } => {
            if !linkage_server::postgres::is_postgres_url(&to) {
                return Err(Error::Invalid(format!("--to: '{to}' is not a postgres:// URL")));
            }
            if !data_dir.join(measures::DB_FILE).is_file() {
                return Err(Error::NotFound(format!("database {}", data_dir.join(measures::DB_FILE).display())));
            }
            let started = Instant::now();
            let moved = linkage_server::postgres::from_sqlite::move_county(&data_dir, &to)?;
            for (table, rows) in &moved.tables {
                println!("{table:<26} {rows} row(s)");
            }
            let storage = open(&data_dir, Some(&to))?;
            let detail = serde_json::json!({ "from": data_dir.display().to_string(), "tables": moved.tables.len(), "feed_base": moved.feed_base });
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::Import, "migrate", "").with(detail), chrono::Utc::now().timestamp_millis())?;
            println!(
                "moved to PostgreSQL in {:.1} s; serve with: linkage-server serve --database <URL> --data-dir {}",
                started.elapsed().as_secs_f64(),
                data_dir.display()
            );
            Ok(())
        }
        Command::Import { data_dir, nodes, households } => {
            if nodes.is_none() && households.is_none() {
                return Err(Error::Invalid("give --nodes and/or --households".into()));
            }
            let storage = open(&data_dir, db)?;
            let r = import::import_files(storage.as_ref(), nodes.as_deref(), households.as_deref())?;
            let files: Vec<String> = nodes.iter().chain(households.iter()).map(|p| p.display().to_string()).collect();
            let detail = serde_json::json!({ "nodes": r.nodes, "households": r.households });
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::Import, files.join(" "), "").with(detail), chrono::Utc::now().timestamp_millis())?;
            println!("imported {} nodes and {} households", r.nodes, r.households);
            Ok(())
        }
        Command::User { command: UserCommand::Add { data_dir, id, name, role, node, password, password_stdin } } => {
            let password = match (password, password_stdin) {
                (Some(p), _) => p,
                (None, _) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let storage = open(&data_dir, db)?;
            add_user(storage.as_ref(), &id, &name, role.into(), &node, &password)?;
            println!("user {id} saved; the password is initial: it must be changed at the first sign-in");
            Ok(())
        }
        Command::User { command: UserCommand::Unlock { data_dir, id } } => {
            let storage = open(&data_dir, db)?;
            if !storage.unlock_user(&id)? {
                return Err(Error::NotFound(format!("user '{id}'")));
            }
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::AccountUnlocked, &id, ""), chrono::Utc::now().timestamp_millis())?;
            println!("user {id} unlocked");
            Ok(())
        }
        Command::User { command: UserCommand::Disable { data_dir, id } } => {
            let storage = open(&data_dir, db)?;
            let revoked = storage.disable_user(&id)?.ok_or_else(|| Error::NotFound(format!("user '{id}'")))?;
            storage.audit(
                &audit::Event::new(audit::cli_actor(), Action::UserDisabled, &id, "").with(serde_json::json!({ "devices_revoked": revoked })),
                chrono::Utc::now().timestamp_millis(),
            )?;
            println!("user {id} disabled; {revoked} device(s) will be told to wipe their data at their next contact");
            Ok(())
        }
        Command::Device { command: DeviceCommand::List { data_dir, user } } => {
            let storage = open(&data_dir, db)?;
            let devices = storage.devices(user.as_deref())?;
            println!("{:<24} {:<14} {:<16} {:<16} {:<16} 状态 state", "设备 device", "用户 user", "名称 name", "登记 enrolled", "最近 last seen");
            for d in &devices {
                let state = if d.revoked {
                    "已停用 revoked"
                } else if d.signed_out {
                    "需重新登录 signed out"
                } else if d.expires_at_ms <= chrono::Utc::now().timestamp_millis() {
                    "已过期 expired"
                } else {
                    "正常 active"
                };
                let bound = if d.bound { "" } else { " (无设备密钥 no secret)" };
                println!(
                    "{:<24} {:<14} {:<16} {:<16} {:<16} {state}{bound}",
                    d.device_id,
                    d.user_id,
                    d.device_name,
                    fmt_time(Some(d.created_at_ms)),
                    fmt_time(d.last_seen_at_ms)
                );
            }
            println!("{} device(s)", devices.len());
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { data_dir } } => {
            let storage = open(&data_dir, db)?;
            let v = storage.audit_verify()?;
            let head = v.head.as_ref().map_or_else(|| "none".to_string(), |(seq, hash)| format!("seq {seq} sha256 {hash}"));
            match v.problem {
                None => {
                    println!("audit chain intact 审计链完整: {} row(s); head {head}", v.rows);
                    Ok(())
                }
                Some(p) => Err(Error::Corrupt(format!("audit chain broken 审计链被破坏: {p}; intact up to {head}"))),
            }
        }
        Command::Audit { command: AuditCommand::Export { data_dir, from, to, out } } => {
            let dates = measures::DateRange::parse(&from, &to)?;
            let storage = open(&data_dir, db)?;
            let period = dates.period();
            let (from_ms, to_ms) = (period.from_ms, period.to_ms);
            let rows = storage.audit_rows(from_ms, to_ms)?;
            let bytes = audit_csv(&rows)?;
            let target = out.as_ref().map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
            storage.audit(
                &audit::Event::new(audit::cli_actor(), Action::AuditExport, &target, "").with(serde_json::json!({ "from": from, "to": to, "rows": rows.len() })),
                chrono::Utc::now().timestamp_millis(),
            )?;
            match out {
                Some(path) => {
                    std::fs::write(&path, bytes)?;
                    eprintln!("{} audit row(s) written to {}", rows.len(), path.display());
                }
                None => {
                    use std::io::Write;
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&bytes)?;
                    stdout.flush()?;
                }
            }
            Ok(())
        }
        Command::Blobs { command: BlobsCommand::Gc { data_dir, partial_hours, grace_hours } } => {
            let storage = open(&data_dir, db)?;
            let policy = linkage_server::storage::BlobGcPolicy {
                partial_ttl_ms: i64::from(partial_hours) * 3_600_000,
                unreferenced_grace_ms: i64::from(grace_hours) * 3_600_000,
            };
            let gc = api::collect_blobs(storage.as_ref(), chrono::Utc::now().timestamp_millis(), &policy, &audit::cli_actor())?;
            println!(
                "{} unfinished upload(s) expired, {} unreferenced blob(s) and {} stray file(s) removed, {} bytes freed",
                gc.partials_expired, gc.unreferenced_removed, gc.stray_files_removed, gc.bytes_freed
            );
            Ok(())
        }
        Command::Sweep { data_dir } => {
            let storage = open(&data_dir, db)?;
            let now = chrono::Utc::now().timestamp_millis();
            let (rules, warning) = linkage_server::api::county_sla(storage.as_ref(), now)?;
            if let Some(w) = warning {
                eprintln!("WARNING 警告: {w}");
            }
            let n = storage.sweep_overdue(now, &rules)?;
            println!("{n} issue(s) flagged overdue and proposed for escalation");
            Ok(())
        }
        Command::Calendar { command: CalendarCommand::Import { data_dir, file } } => {
            let storage = open(&data_dir, db)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let now = chrono::Utc::now().timestamp_millis();
            let year = storage.import_calendar(&text, now)?;
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::CalendarImport, file.display().to_string(), "").with(serde_json::json!({ "year": year })), now)?;
            println!("calendar {year} loaded from {}; phones get it with their next sync", file.display());
            calendar_status(storage.as_ref(), now)
        }
        Command::Calendar { command: CalendarCommand::Status { data_dir } } => {
            let storage = open(&data_dir, db)?;
            calendar_status(storage.as_ref(), chrono::Utc::now().timestamp_millis())
        }
        Command::County { command: CountyCommand::Show { data_dir } } => {
            let storage = open(&data_dir, db)?;
            for (setting, value) in linkage_server::county_settings::show(&storage.county_config()?) {
                println!("{:<26} {:<12} {} / {}", setting.key, value, setting.zh, setting.en);
            }
            Ok(())
        }
        Command::County { command: CountyCommand::Set { data_dir, key, value } } => {
            let storage = open(&data_dir, db)?;
            let current = storage.county_config()?;
            let next = linkage_server::county_settings::set(&current, &key, &value).map_err(|e| Error::Invalid(e.to_string()))?;
            if next == current {
                println!("{key} 未变 / unchanged");
                return Ok(());
            }
            let now = chrono::Utc::now().timestamp_millis();
            storage.set_county_config(&next, now)?;
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::CountySettingsSet, &key, "").with(serde_json::json!({ "value": value })), now)?;
            println!("{key} = {value} 已保存，各手机下次同步时生效 / saved; phones get it with their next sync");
            Ok(())
        }
        Command::Directive { command: DirectiveCommand::Issue { data_dir, as_user, target, kind, title, body, due } } => {
            let storage = open(&data_dir, db)?;
            let req = linkage_server::directive_cli::IssueRequest { as_user, target, kind, title, body, due };
            let d = linkage_server::directive_cli::issue(storage.as_ref(), &req, chrono::Utc::now().timestamp_millis())?;
            println!("指令已下达 / directive issued: {} 「{}」 → {}; 各手机下次同步时收到 / phones get it with their next sync", d.id, d.title, d.target_node_id);
            Ok(())
        }
        Command::Device { command: DeviceCommand::Revoke { data_dir, device } } => {
            let storage = open(&data_dir, db)?;
            if !storage.revoke_device(&device)? {
                return Err(Error::NotFound(format!("device '{device}'")));
            }
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::DeviceRevoked, &device, ""), chrono::Utc::now().timestamp_millis())?;
            println!("device {device} revoked; it will be told to wipe its data at its next contact");
            Ok(())
        }
        Command::Demo { data_dir, listen, households, seed_only, serving } => {
            let options = serving.options()?;
            let started = Instant::now();
            let mut storage = open(&data_dir, db)?;
            if demo::seeding_incomplete(storage.as_ref())? {
                if db.is_some() {
                    return Err(Error::Invalid("an earlier demo seeding of this database did not finish: drop the database and create it again".into()));
                }
                // A seeding killed midway: its data dir holds part of a county. Start it again from nothing.
                eprintln!("an earlier demo seeding did not finish: seeding {} again from scratch", data_dir.display());
                drop(storage);
                demo::remove_data(&data_dir)?;
                storage = open(&data_dir, db)?;
            }
            let now = chrono::Utc::now().timestamp_millis();
            let summary = demo::seed(storage.as_ref(), households, now)?;
            banner(listen, options.tls.is_some(), summary.as_ref(), storage.as_ref(), started.elapsed().as_secs_f64())?;
            if seed_only {
                return Ok(());
            }
            runtime()?.block_on(serve(storage, listen, options))
        }
        Command::Form { command } => form_command(command, db),
        Command::Measures { data_dir, node, from, to, format, out } => {
            let dates = measures::DateRange::parse(&from, &to)?;
            // An existing database is migrated if needed (a newer schema fails here); a missing SQLite file is
            // not created. Then the reads run in one read-only snapshot (either backend).
            let storage = open_existing(&data_dir, db)?;
            let now = chrono::Utc::now().timestamp_millis();
            let policy = measures::MeasuresPolicy::for_county(&linkage_server::readtx::read(storage.as_ref(), linkage_server::readtx::county_config)?);
            let report = measures::compute(storage.as_ref(), &node, dates, now, &policy)?;
            {
                let target = out.as_ref().map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
                let detail = serde_json::json!({ "node": node, "from": from, "to": to, "out": target });
                storage.audit(&audit::Event::new(audit::cli_actor(), Action::MeasuresExport, &node, "").with(detail), now)?;
            }
            let (bytes, out) = match format {
                FormatArg::Csv => (report.to_csv()?, out),
                FormatArg::Xlsx => {
                    let default = PathBuf::from(format!("measures-{node}-{}-{}.xlsx", dates.from, dates.to));
                    (report.to_xlsx()?, Some(out.unwrap_or(default)))
                }
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, bytes)?;
                    eprintln!("measures of {} ({} rows) written to {}", report.node.name, report.rows.len(), path.display());
                }
                None => {
                    use std::io::Write;
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&bytes)?;
                    stdout.flush()?;
                }
            }
            Ok(())
        }
    }
}

/// Prints the loaded calendar years (shipped and the county's) and, loudly, any year missing.
fn calendar_status(storage: &dyn Storage, now_ms: i64) -> Result<(), Error> {
    let config = storage.county_config()?;
    let county: Vec<String> = config.calendars.iter().filter_map(|c| c.get("year")).map(|y| y.to_string()).collect();
    let rules = linkage_protocol::rules::county::CountyRules::from_config(&config);
    let loaded: Vec<String> = rules.sla.calendar.loaded_years().iter().map(i32::to_string).collect();
    println!("calendars loaded: {} (imported by the county: {})", loaded.join(", "), if county.is_empty() { "none".into() } else { county.join(", ") });
    let (_, warning) = linkage_server::api::county_sla(storage, now_ms)?;
    if let Some(w) = warning {
        eprintln!("WARNING 警告: {w}");
    }
    Ok(())
}

fn form_command(command: FormCommand, db: Option<&str>) -> Result<(), Error> {
    use linkage_server::forms;
    let now = chrono::Utc::now().timestamp_millis();
    match command {
        FormCommand::Import { file, data_dir, node, role } => {
            let storage = open(&data_dir, db)?;
            let roles: Vec<Role> = role.into_iter().map(Into::into).collect();
            let imported = forms::import_xlsform(storage.as_ref(), &file, node.as_deref(), &roles, now)?;
            let detail = serde_json::json!({ "form_id": imported.def.form_id, "version": imported.def.version, "target": imported.target_path });
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::FormImported, file.display().to_string(), "").with(detail), now)?;
            println!(
                "问卷「{}」（{} 第 {} 版，{} 题）已导入，下发到 {}；各手机下次同步时收到 / imported; phones get it with their next sync",
                imported.def.title.zh, imported.def.form_id, imported.def.version, imported.questions, imported.target_path
            );
            Ok(())
        }
        FormCommand::List { data_dir } => {
            let storage = open(&data_dir, db)?;
            for f in storage.forms()? {
                let state = if f.retired_at_ms.is_some() { "已停用" } else { "使用中" };
                println!("{}	第 {} 版	{}	{}	{} 份答卷	{}", f.form_id, f.version, state, f.target_path, f.responses, f.title);
            }
            Ok(())
        }
        FormCommand::Retire { form_id, version, data_dir } => {
            let storage = open(&data_dir, db)?;
            if !storage.retire_form(&form_id, version, now)? {
                return Err(Error::Invalid(format!("没有使用中的问卷「{form_id}」第 {version} 版")));
            }
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::FormRetired, &form_id, "").with(serde_json::json!({ "version": version })), now)?;
            println!("问卷「{form_id}」第 {version} 版已停用 / retired");
            Ok(())
        }
        FormCommand::Report { form_id, version, node, data_dir } => {
            let storage = open_existing(&data_dir, db)?;
            let data = forms::load(storage.as_ref(), &form_id, version, node.as_deref())?;
            print!("{}", forms::tabulate(&data).text());
            Ok(())
        }
        FormCommand::Export { form_id, version, node, out, data_dir } => {
            let storage = open_existing(&data_dir, db)?;
            let data = forms::load(storage.as_ref(), &form_id, version, node.as_deref())?;
            let bytes = forms::export_xlsx(&data)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("form-{form_id}-v{}.xlsx", data.form.def.version)));
            std::fs::write(&out, bytes).map_err(|e| Error::Invalid(format!("cannot write {}: {e}", out.display())))?;
            let detail = serde_json::json!({ "version": data.form.def.version, "node": node, "out": out.display().to_string(), "responses": data.responses.len() });
            storage.audit(&audit::Event::new(audit::cli_actor(), Action::FormExport, &form_id, "").with(detail), now)?;
            println!("{} 份答卷已导出到 {} / exported", data.responses.len(), out.display());
            Ok(())
        }
    }
}

/// The storage of an existing database for a command that only reads (and audits): PostgreSQL when `db` names
/// one, else the data directory's SQLite file, which must exist (it is migrated if needed, never created).
fn open_existing(data_dir: &Path, db: Option<&str>) -> Result<Arc<dyn Storage>, Error> {
    if db.is_none() && !data_dir.join(measures::DB_FILE).is_file() {
        return Err(Error::NotFound(format!("database {}", data_dir.join(measures::DB_FILE).display())));
    }
    open(data_dir, db)
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linkage-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
