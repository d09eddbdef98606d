//! Admin import of the org tree and the household ledger from UTF-8 CSV (DESIGN §9). Every row is checked
//! with the same rules the phone's bundle loader applies (ids, names, division codes, level nesting,
//! coordinates), all errors are reported with their file and line, and nothing is stored unless every row is
//! good (one transaction).
//!
//! `nodes.csv` — header `id,parent_id,level,name,code,boundary`:
//! level is `county|township|branch|group` (or 县, 乡镇/镇/乡, 村/支部/社区, 组/小组); parents come before children
//! or exist already; boundary is optional, `lat lon;lat lon;...` (WGS-84).
//!
//! `households.csv` — header `id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact`:
//! tags separated by `;`, `|` or `、` (低保;独居老人); risk_level `low|medium|high` (or 低/中/高);
//! county_contact `1/0`, `true/false` or 是/否; lat/lon optional but together.

use std::collections::HashMap;
use std::path::Path;

use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{OrgLevel, RiskLevel};
use linkage_protocol::rules::{geo, scope};
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{Bundle, BundleHousehold, BundleNode};

use crate::error::{Error, Result};
use crate::storage::{NewUser, PlacedHousehold, PlacedNode, Storage};

/// Header of `nodes.csv`.
pub const NODE_HEADERS: [&str; 6] = ["id", "parent_id", "level", "name", "code", "boundary"];
/// Header of `households.csv`.
pub const HOUSEHOLD_HEADERS: [&str; 12] =
    ["id", "group_id", "head_name", "members", "phone", "id_number", "address", "lat", "lon", "tags", "risk_level", "county_contact"];

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub nodes: usize,
    pub households: usize,
}

/// A row with where it came from, for error messages.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// e.g. `nodes.csv line 7`.
    pub origin: String,
    pub item: T,
}

/// Imports the given CSV files (either may be absent) all-or-nothing. On bad rows, `Error::Invalid` lists
/// every problem, one per line.
pub fn import_files(storage: &dyn Storage, nodes: Option<&Path>, households: Option<&Path>) -> Result<ImportReport> {
    let mut errors = Vec::new();
    let node_rows = match nodes {
        Some(p) => parse_nodes(&read(p)?, &file_name(p), &mut errors),
        None => Vec::new(),
    };
    let household_rows = match households {
        Some(p) => parse_households(&read(p)?, &file_name(p), &mut errors),
        None => Vec::new(),
    };
    // Rows that parsed are still checked and placed, so one run reports every problem of both files.
    let (placed_nodes, placed_households) = place_into(storage, node_rows, household_rows, &mut errors)?;
    if !errors.is_empty() {
        return Err(Error::Invalid(errors.join("\n")));
    }
    storage.import_org(&placed_nodes, &placed_households)?;
    Ok(ImportReport { nodes: placed_nodes.len(), households: placed_households.len() })
}

/// Validates and places parsed rows against what is stored, then stores them in one transaction.
pub fn import_rows(
    storage: &dyn Storage,
    nodes: Vec<Sourced<BundleNode>>,
    households: Vec<Sourced<BundleHousehold>>,
) -> Result<ImportReport> {
    let (placed_nodes, placed_households) = place(storage, nodes, households)?;
    storage.import_org(&placed_nodes, &placed_households)?;
    Ok(ImportReport { nodes: placed_nodes.len(), households: placed_households.len() })
}

/// Imports a whole bundle (the JSON the phones load: org tree, households, users) all or nothing, giving every
/// user the same password hash. For fixtures, benchmarks and seeding a test county from a bundle file.
pub fn import_bundle(storage: &dyn Storage, bundle: Bundle, password_hash: &str) -> Result<ImportReport> {
    let nodes = bundle.nodes.into_iter().map(|n| Sourced { origin: format!("node {}", n.id), item: n }).collect();
    let households = bundle.households.into_iter().map(|h| Sourced { origin: format!("household {}", h.id), item: h }).collect();
    let report = import_rows(storage, nodes, households)?;
    for u in bundle.users {
        storage.put_user(&NewUser { id: u.id, name: u.name, role: u.role, node_id: u.node_id, password_hash: password_hash.to_string() })?;
    }
    Ok(report)
}

fn read(p: &Path) -> Result<String> {
    let text = std::fs::read_to_string(p).map_err(|e| Error::Invalid(format!("{}: {e}", p.display())))?;
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// `file line N` as `file 第 N 行`.
fn say_line(origin: &str) -> String {
    match origin.rsplit_once(" line ") {
        Some((file, line)) => format!("{file} 第 {line} 行"),
        None => origin.to_string(),
    }
}

/// One problem of the row-level report, in Chinese first (what the console shows) and English after ` / `:
/// `households.csv 第 3 行：… / households.csv line 3: …`. `origin` is a row's `file line N`.
fn say(origin: &str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> String {
    format!("{}：{zh} / {origin}: {en}", say_line(origin))
}

fn records(text: &str, file: &str, expected: &[&str], errors: &mut Vec<String>) -> Vec<(u64, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(text.as_bytes());
    match reader.headers() {
        Ok(h) if h.iter().collect::<Vec<_>>() == expected => {}
        Ok(h) => {
            let (want, found) = (expected.join(","), h.iter().collect::<Vec<_>>().join(","));
            errors.push(say(&format!("{file} line 1"), format!("表头应为“{want}”，实际是“{found}”（请用模板的表头）"), format!("header must be `{want}`, found `{found}`")));
            return Vec::new();
        }
        Err(e) => {
            errors.push(say(&format!("{file} line 1"), "无法读取表头", e));
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(r) => out.push((r.position().map_or(0, |p| p.line()), r)),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(say(&format!("{file} line {line}"), "无法读取这一行（列数与表头不同？）", e));
            }
        }
    }
    out
}

/// Parses a node level in English or Chinese.
pub fn parse_level(s: &str) -> Option<OrgLevel> {
    Some(match s {
        "county" | "县" | "区" => OrgLevel::County,
        "township" | "乡镇" | "镇" | "乡" | "街道" => OrgLevel::Township,
        "branch" | "村" | "支部" | "社区" | "村(社区)党支部" => OrgLevel::Branch,
        "group" | "组" | "小组" | "村民小组" | "联户单元" => OrgLevel::Group,
        _ => return None,
    })
}

fn parse_risk(s: &str) -> Option<RiskLevel> {
    Some(match s {
        "low" | "低" | "" => RiskLevel::Low,
        "medium" | "中" => RiskLevel::Medium,
        "high" | "高" => RiskLevel::High,
        _ => return None,
    })
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "" | "0" | "false" | "否" | "no" => Some(false),
        "1" | "true" | "是" | "yes" => Some(true),
        _ => None,
    }
}

fn parse_boundary(s: &str) -> std::result::Result<Vec<(f64, f64)>, (String, String)> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut it = p.split_whitespace().map(str::parse::<f64>);
            match (it.next(), it.next(), it.next()) {
                (Some(Ok(lat)), Some(Ok(lon)), None) => Ok((lat, lon)),
                _ => Err((format!("边界点“{p}”应写成“纬度 经度”"), format!("boundary point `{p}` must be `lat lon`"))),
            }
        })
        .collect()
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Parses `nodes.csv` text; problems go to `errors` with their line.
pub fn parse_nodes(text: &str, file: &str, errors: &mut Vec<String>) -> Vec<Sourced<BundleNode>> {
    let mut out = Vec::new();
    for (line, r) in records(text, file, &NODE_HEADERS, errors) {
        let origin = format!("{file} line {line}");
        let Some(level) = parse_level(&r[2]) else {
            errors.push(say(&origin, format!("层级“{}”应为 县、乡镇、村、组 之一", &r[2]), format!("level `{}` must be county, township, branch or group", &r[2])));
            continue;
        };
        let boundary = match parse_boundary(&r[5]) {
            Ok(b) => b,
            Err((zh, en)) => {
                errors.push(say(&origin, zh, en));
                continue;
            }
        };
        out.push(Sourced {
            origin,
            item: BundleNode { id: r[0].to_string(), parent_id: opt(&r[1]), level, name: r[3].to_string(), code: r[4].to_string(), boundary },
        });
    }
    out
}

/// Parses `households.csv` text; problems go to `errors` with their line.
pub fn parse_households(text: &str, file: &str, errors: &mut Vec<String>) -> Vec<Sourced<BundleHousehold>> {
    let mut out = Vec::new();
    for (line, r) in records(text, file, &HOUSEHOLD_HEADERS, errors) {
        let origin = format!("{file} line {line}");
        // (zh, en) per problem of the row.
        let mut problems: Vec<(String, String)> = Vec::new();
        let members = if r[3].is_empty() { Some(0) } else { r[3].parse::<u32>().ok() };
        if members.is_none() {
            problems.push((format!("家庭人口“{}”应为整数", &r[3]), format!("members `{}` must be a whole number", &r[3])));
        }
        let coord = |s: &str, name: &str, zh: &str, problems: &mut Vec<(String, String)>| -> Option<f64> {
            if s.is_empty() {
                return None;
            }
            s.parse::<f64>().map_err(|_| problems.push((format!("{zh}“{s}”应为数字"), format!("{name} `{s}` must be a number")))).ok()
        };
        let lat = coord(&r[7], "lat", "纬度", &mut problems);
        let lon = coord(&r[8], "lon", "经度", &mut problems);
        let risk = parse_risk(&r[10]);
        if risk.is_none() {
            problems.push((format!("风险等级“{}”应为 低、中、高 之一", &r[10]), format!("risk_level `{}` must be low, medium or high", &r[10])));
        }
        let contact = parse_bool(&r[11]);
        if contact.is_none() {
            problems.push((format!("县级联系户“{}”应为 是 或 否（1 或 0）", &r[11]), format!("county_contact `{}` must be 1 or 0", &r[11])));
        }
        if !problems.is_empty() {
            let zh: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
            let en: Vec<&str> = problems.iter().map(|p| p.1.as_str()).collect();
            errors.push(say(&origin, zh.join("；"), en.join("; ")));
            continue;
        }
        let tags = r[9].split([';', '|', '、']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
        out.push(Sourced {
            origin,
            item: BundleHousehold {
                id: r[0].to_string(),
                group_id: r[1].to_string(),
                head_name: r[2].to_string(),
                members: members.unwrap_or(0),
                phone: opt(&r[4]),
                id_number: opt(&r[5]),
                address: r[6].to_string(),
                lat,
                lon,
                tags,
                risk_level: risk.unwrap_or(RiskLevel::Low),
                county_contact: contact.unwrap_or(false),
            },
        });
    }
    out
}

fn check_node(n: &BundleNode) -> std::result::Result<(), String> {
    validate::id("id", &n.id).map_err(|e| e.to_string())?;
    if let Some(p) = &n.parent_id {
        validate::id("parent_id", p).map_err(|e| e.to_string())?;
    }
    validate::text("name", &n.name, 1, limits::NAME).map_err(|e| e.to_string())?;
    if n.level == OrgLevel::Household {
        return Err("households go in households.csv".into());
    }
    validate::division_code(n.level, &n.code).map_err(|e| e.to_string())?;
    for &(lat, lon) in &n.boundary {
        geo::validate_point(lat, lon).map_err(|e| format!("boundary: {e}"))?;
    }
    if !n.boundary.is_empty() && n.boundary.len() < 3 {
        return Err("boundary needs at least 3 points".into());
    }
    Ok(())
}

fn check_household(h: &BundleHousehold) -> std::result::Result<(), String> {
    validate::id("id", &h.id).map_err(|e| e.to_string())?;
    validate::id("group_id", &h.group_id).map_err(|e| e.to_string())?;
    validate::text("head_name", &h.head_name, 1, limits::NAME).map_err(|e| e.to_string())?;
    validate::text("address", &h.address, 1, limits::ADDRESS).map_err(|e| e.to_string())?;
    for (field, v) in [("phone", &h.phone), ("id_number", &h.id_number)] {
        if let Some(v) = v {
            validate::text(field, v, 1, 32).map_err(|e| e.to_string())?;
        }
    }
    match (h.lat, h.lon) {
        (Some(lat), Some(lon)) => geo::validate_point(lat, lon).map_err(|e| e.to_string())?,
        (None, None) => {}
        _ => return Err("lat and lon come together".into()),
    }
    for tag in &h.tags {
        validate::text("tag", tag, 1, 20).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Checks every row and computes materialized paths, resolving parents among earlier rows or stored nodes.
/// Returns every problem at once (as `Error::Invalid`, one per line).
pub fn place(
    storage: &dyn Storage,
    nodes: Vec<Sourced<BundleNode>>,
    households: Vec<Sourced<BundleHousehold>>,
) -> Result<(Vec<PlacedNode>, Vec<PlacedHousehold>)> {
    let mut errors = Vec::new();
    let placed = place_into(storage, nodes, households, &mut errors)?;
    if errors.is_empty() {
        Ok(placed)
    } else {
        Err(Error::Invalid(errors.join("\n")))
    }
}

/// [`place`], adding the problems to `errors` (the rows placed are only good to store if it stays empty).
pub(crate) fn place_into(
    storage: &dyn Storage,
    nodes: Vec<Sourced<BundleNode>>,
    households: Vec<Sourced<BundleHousehold>>,
    errors: &mut Vec<String>,
) -> Result<(Vec<PlacedNode>, Vec<PlacedHousehold>)> {
    let mut known: HashMap<String, (OrgLevel, String)> = HashMap::new();
    let lookup = |known: &HashMap<String, (OrgLevel, String)>, id: &str| -> Result<Option<(OrgLevel, String)>> {
        if let Some(v) = known.get(id) {
            return Ok(Some(v.clone()));
        }
        Ok(storage.node(id)?.map(|n| (n.level, n.path)))
    };
    let mut placed_nodes = Vec::with_capacity(nodes.len());
    let mut seen = HashMap::new();
    for Sourced { origin, item } in nodes {
        if let Err(e) = check_node(&item) {
            errors.push(say(&origin, format!("有字段不合要求（{e}）"), e));
            continue;
        }
        if let Some(first) = seen.insert(item.id.clone(), origin.clone()) {
            errors.push(say(&origin, format!("编号“{}”与{}重复", item.id, say_line(&first)), format!("id '{}' repeats {first}", item.id)));
            continue;
        }
        let path = match &item.parent_id {
            None if item.level == OrgLevel::County => format!("/{}/", item.id),
            None => {
                errors.push(say(&origin, "只有县可以没有上级（parent_id 不能为空）", "only the county may have no parent"));
                continue;
            }
            Some(pid) => match lookup(&known, pid)? {
                None => {
                    errors.push(say(&origin, format!("上级“{pid}”不存在（上级须写在前面的行）"), format!("parent '{pid}' is unknown (parents must come first)")));
                    continue;
                }
                Some((plevel, _)) if plevel.child() != Some(item.level) => {
                    errors.push(say(
                        &origin,
                        format!("{}不能设在{}之下", item.level.label(Locale::ZhCn), plevel.label(Locale::ZhCn)),
                        format!("a {:?} cannot sit under a {:?}", item.level, plevel),
                    ));
                    continue;
                }
                Some((_, ppath)) => scope::child_path(&ppath, &item.id),
            },
        };
        if let Some(existing) = storage.node(&item.id)? {
            if existing.path != path {
                errors.push(say(
                    &origin,
                    format!("单位“{}”已在另一个上级之下，不支持用导入调整隶属关系", item.id),
                    format!("node '{}' exists under another parent; moving nodes is not supported", item.id),
                ));
                continue;
            }
        }
        known.insert(item.id.clone(), (item.level, path.clone()));
        placed_nodes.push(PlacedNode { node: item, path });
    }
    let mut placed_households = Vec::with_capacity(households.len());
    let mut seen = HashMap::new();
    for Sourced { origin, item } in households {
        if let Err(e) = check_household(&item) {
            errors.push(say(&origin, format!("有字段不合要求（{e}）"), e));
            continue;
        }
        if let Some(first) = seen.insert(item.id.clone(), origin.clone()) {
            errors.push(say(&origin, format!("编号“{}”与{}重复", item.id, say_line(&first)), format!("id '{}' repeats {first}", item.id)));
            continue;
        }
        match lookup(&known, &item.group_id)? {
            Some((OrgLevel::Group, gpath)) => {
                let path = scope::child_path(&gpath, &item.id);
                placed_households.push(PlacedHousehold { household: item, path });
            }
            Some(_) => errors.push(say(&origin, format!("“{}”不是村民小组（住户须挂在村民小组下）", item.group_id), format!("'{}' is not a villager group", item.group_id))),
            None => errors.push(say(&origin, format!("村民小组“{}”不存在", item.group_id), format!("group '{}' is unknown", item.group_id))),
        }
    }
    Ok((placed_nodes, placed_households))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chinese_rows_and_reports_lines() {
        let nodes = "id,parent_id,level,name,code,boundary\nc,,县,黄龙县,610631000000,\nt1,c,乡镇,石堡镇,610631100000,35.5 109.8;35.6 109.8;35.6 109.9\nbad,c,省,某省,1,\n";
        let mut errors = Vec::new();
        let rows = parse_nodes(nodes, "nodes.csv", &mut errors);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].item.boundary.len(), 3);
        assert_eq!(
            errors,
            vec!["nodes.csv 第 4 行：层级“省”应为 县、乡镇、村、组 之一 / nodes.csv line 4: level `省` must be county, township, branch or group".to_string()]
        );
        let hh = "id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact\nh1,g1,王秀英,3,,,石堡镇一村一组1号,35.5,109.8,低保、独居老人,高,是\nh2,g1,李,x,,,addr,,,,low,0\n";
        let rows = parse_households(hh, "households.csv", &mut errors);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].item.tags, vec!["低保".to_string(), "独居老人".to_string()]);
        assert_eq!(rows[0].item.risk_level, RiskLevel::High);
        assert!(rows[0].item.county_contact);
        assert!(errors[1].starts_with("households.csv 第 3 行：家庭人口“x”应为整数 / households.csv line 3: members"), "{}", errors[1]);
    }
}
