//! The `linkage-server` command line: `serve`, `import`, `user add`, `device revoke`, `demo` and `measures`
//! (DESIGN §9).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use linkage_protocol::model::Role;
use linkage_protocol::validate::{self, limits};
use linkage_server::sqlite::SqliteStorage;
use linkage_server::storage::{NewUser, Storage};
use linkage_server::{api, auth, demo, import, measures, Error};

#[derive(Parser)]
#[command(name = "linkage-server", version, about = "Linkage (五级联动) sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        #[arg(long, default_value = "./linkage-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
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
    /// Manage devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// The county's holiday calendars (节假日安排), one file per year: import one, or see which are loaded.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Csv,
    Xlsx,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create (or update) a user bound to a node.
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
        #[arg(long)]
        password: String,
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
enum DeviceCommand {
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
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::CountyStaff => Role::CountyStaff,
            RoleArg::TownshipStaff => Role::TownshipStaff,
            RoleArg::GridWorker => Role::GridWorker,
            RoleArg::LiaisonHead => Role::LiaisonHead,
        }
    }
}

fn open(data_dir: &Path) -> Result<Arc<SqliteStorage>, Error> {
    Ok(Arc::new(SqliteStorage::open(data_dir)?))
}

fn add_user(storage: &dyn Storage, id: &str, name: &str, role: Role, node: &str, password: &str) -> Result<(), Error> {
    validate::id("id", id).map_err(|e| Error::Invalid(e.to_string()))?;
    let name = validate::text("name", name, 1, limits::NAME).map_err(|e| Error::Invalid(e.to_string()))?;
    if password.chars().count() < 8 {
        return Err(Error::Invalid("password: needs at least 8 characters".into()));
    }
    let n = storage.node(node)?.ok_or_else(|| Error::NotFound(format!("node '{node}'")))?;
    if n.level != role.level() {
        return Err(Error::Invalid(format!("a {role:?} must be bound to a {:?} node; '{node}' is a {:?}", role.level(), n.level)));
    }
    storage.put_user(&NewUser { id: id.into(), name, role, node_id: node.into(), password_hash: auth::hash_password(password)? })
}

async fn serve(storage: Arc<SqliteStorage>, listen: SocketAddr) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("linkage-server listening on http://{}", listener.local_addr()?);
    api::serve(listener, storage).await?;
    Ok(())
}

fn banner(listen: SocketAddr, summary: Option<&demo::DemoSummary>, storage: &dyn Storage, seconds: f64) -> Result<(), Error> {
    let c = storage.counts()?;
    let url = format!("http://{listen}");
    println!("\n五级联动 Linkage 演示服务器 / demo server");
    println!("  地址 URL:      {url}   (API 文档 OpenAPI: {url}/openapi.json)");
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
            };
            println!("    {label} {:<14} {}", u.id, u.name);
        }
    }
    println!("  手机连接 Phone: set the server URL to {url} (an emulator reaches the host at http://10.0.2.2:{}),", listen.port());
    println!("                  then sign in with an account above; use --listen 0.0.0.0:{} for phones on the LAN.\n", listen.port());
    Ok(())
}

fn run(cli: Cli) -> Result<(), Error> {
    let runtime = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match cli.command {
        Command::Serve { data_dir, listen } => {
            let storage = open(&data_dir)?;
            runtime()?.block_on(serve(storage, listen))
        }
        Command::Import { data_dir, nodes, households } => {
            if nodes.is_none() && households.is_none() {
                return Err(Error::Invalid("give --nodes and/or --households".into()));
            }
            let storage = open(&data_dir)?;
            let r = import::import_files(storage.as_ref(), nodes.as_deref(), households.as_deref())?;
            println!("imported {} nodes and {} households", r.nodes, r.households);
            Ok(())
        }
        Command::User { command: UserCommand::Add { data_dir, id, name, role, node, password } } => {
            let storage = open(&data_dir)?;
            add_user(storage.as_ref(), &id, &name, role.into(), &node, &password)?;
            println!("user {id} saved");
            Ok(())
        }
        Command::Sweep { data_dir } => {
            let storage = open(&data_dir)?;
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
            let storage = open(&data_dir)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let now = chrono::Utc::now().timestamp_millis();
            let year = storage.import_calendar(&text, now)?;
            println!("calendar {year} loaded from {}; phones get it with their next sync", file.display());
            calendar_status(storage.as_ref(), now)
        }
        Command::Calendar { command: CalendarCommand::Status { data_dir } } => {
            let storage = open(&data_dir)?;
            calendar_status(storage.as_ref(), chrono::Utc::now().timestamp_millis())
        }
        Command::Device { command: DeviceCommand::Revoke { data_dir, device } } => {
            let storage = open(&data_dir)?;
            if !storage.revoke_device(&device)? {
                return Err(Error::NotFound(format!("device '{device}'")));
            }
            println!("device {device} revoked; it will be told to wipe its data at its next contact");
            Ok(())
        }
        Command::Demo { data_dir, listen, households, seed_only } => {
            let started = Instant::now();
            let storage = open(&data_dir)?;
            let now = chrono::Utc::now().timestamp_millis();
            let summary = demo::seed(storage.as_ref(), households, now)?;
            banner(listen, summary.as_ref(), storage.as_ref(), started.elapsed().as_secs_f64())?;
            if seed_only {
                return Ok(());
            }
            runtime()?.block_on(serve(storage, listen))
        }
        Command::Measures { data_dir, node, from, to, format, out } => {
            let dates = measures::DateRange::parse(&from, &to)?;
            // An existing database is migrated if needed (a newer schema fails here); a missing one is not
            // created. Then the reads run on a read-only connection.
            if data_dir.join(measures::DB_FILE).is_file() {
                drop(SqliteStorage::open(&data_dir)?);
            }
            let conn = measures::open_read_only(&data_dir)?;
            let now = chrono::Utc::now().timestamp_millis();
            let policy = measures::MeasuresPolicy::for_county(&linkage_server::sqlite::read_county_config(&conn)?);
            let report = measures::compute(&conn, &node, dates, now, &policy)?;
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

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linkage-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
