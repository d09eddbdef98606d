//! The console's map (地图, issue #14 point 4): the org tree's boundaries and the households of a node's area
//! as points (visited on site within the branch cadence or not), and its open issues where they are — drawn by
//! ECharts in the browser from these coordinates, with no map tiles needed; an optional tile layer URL comes
//! from the server's configuration (`--map-tiles`).
//!
//! Coordinates are WGS-84 as stored (`[lon, lat]`, GeoJSON order). A household's point is personal data of a
//! kind the staff roles receive whole on their phones (DESIGN §14): the map carries no names, only ids.

use std::collections::{HashMap, HashSet};

use axum::extract::{Query, State};
use axum::routing::MethodFilter;
use linkage_protocol::model::OrgLevel;
use linkage_protocol::rules::scope;
use linkage_protocol::wire::{IssueAction, IssueEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::session::{ConsoleNode, ConsoleUser};
use crate::api::{ApiResult, AppState, Routes};
use crate::measures::MeasuresPolicy;
use crate::readtx::{params, ReadTx};
use crate::openapi::{Body, Route, Success};
use crate::sqlite::parse_enum;

pub const MAP_PATH: &str = "/v1/console/map";

/// `GET /v1/console/map` query.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct MapParams {
    /// The node whose area to draw (default: the user's node); must lie in the user's area.
    #[schemars(length(min = 1, max = 64), regex(pattern = linkage_protocol::sync::ID_PATTERN))]
    pub node: Option<String>,
}

/// A node of the area with its boundary ring.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MapArea {
    pub node: ConsoleNode,
    /// Its parent (to nest the areas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The boundary ring, `[lon, lat]` pairs (empty: none recorded).
    pub ring: Vec<[f64; 2]>,
    /// Households of the area.
    pub households: u32,
    /// Of those, visited on site within the branch cadence.
    pub visited: u32,
    /// Open issues of the area.
    pub open_issues: u32,
}

/// An open issue where it is.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MapIssue {
    pub id: String,
    pub title: String,
    /// The state's snake_case name (`reported`, `accepted`, `assigned`, `in_progress`, `resolved`, ...).
    pub state: String,
    /// `[lon, lat]`.
    pub at: [f64; 2],
}

/// `GET /v1/console/map`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MapData {
    pub node: ConsoleNode,
    /// The node and the nodes one and two levels below it that have a boundary or households.
    pub areas: Vec<MapArea>,
    /// Household points `[lon, lat, visited]` (`visited` 1: on site within the branch cadence, else 0).
    pub households: Vec<[f64; 3]>,
    /// Open issues with a place (the household's point, else the report's GPS fix).
    pub issues: Vec<MapIssue>,
    /// Branch visit cadence (days) the `visited` flag uses.
    pub cadence_days: u32,
    /// Optional tile layer (`{z}/{x}/{y}`) from the server's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_url: Option<String>,
}

fn load(tx: &ReadTx<'_>, node: &crate::storage::NodeInfo, now_ms: i64) -> crate::Result<(Vec<MapArea>, Vec<[f64; 3]>, Vec<MapIssue>, u32)> {
    let upper = scope::upper_bound(&node.path);
    let policy = MeasuresPolicy::for_county(&crate::readtx::county_config(tx)?);
    let cadence_days = policy.cadence.interval_days(OrgLevel::Branch).unwrap_or(60);
    let since = now_ms - i64::from(cadence_days) * 86_400_000;
    let depth = node.path.matches('/').count();

    // Nodes one and two levels below (and the node itself).
    let mut areas = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    tx.each("SELECT id, parent_id, level, name, path, boundary FROM org_nodes WHERE path >= ?1 AND path < ?2 ORDER BY path", params![node.path, upper], |r| {
        let path: String = r.get(4)?;
        if path.matches('/').count() > depth + 2 {
            return Ok(());
        }
        let ring: Vec<(f64, f64)> = r.get::<Option<String>>(5)?.map(|b| serde_json::from_str(&b)).transpose()?.unwrap_or_default();
        let info = crate::storage::NodeInfo { id: r.get(0)?, parent_id: r.get(1)?, level: parse_enum(&r.get::<String>(2)?)?, name: r.get(3)?, path: path.clone() };
        areas.push(MapArea {
            node: (&info).into(),
            parent_id: info.parent_id.clone(),
            ring: ring.into_iter().map(|(lat, lon)| [lon, lat]).collect(),
            households: 0,
            visited: 0,
            open_issues: 0,
        });
        paths.push(path);
        Ok(())
    })?;
    let area_of = |p: &str, paths: &[String]| -> Vec<usize> { paths.iter().enumerate().filter(|(_, a)| scope::within(a, p)).map(|(i, _)| i).collect() };

    // Households visited on site at branch level within the cadence.
    let mut visited: HashSet<String> = HashSet::new();
    tx.each(
        "SELECT DISTINCT household_id FROM visits WHERE path >= ?1 AND path < ?2 AND visitor_level = 'branch' AND verdict = 'on_site'
         AND amends_visit_id IS NULL AND started_at_ms >= ?3",
        params![node.path, upper, since],
        |r| {
            visited.insert(r.get(0)?);
            Ok(())
        },
    )?;
    let mut points = Vec::new();
    let mut points_by_path: HashMap<String, [f64; 2]> = HashMap::new();
    tx.each("SELECT id, path, lat, lon FROM households WHERE path >= ?1 AND path < ?2", params![node.path, upper], |r| {
        let (id, path): (String, String) = (r.get(0)?, r.get(1)?);
        let seen = visited.contains(&id);
        for i in area_of(&path, &paths) {
            areas[i].households += 1;
            areas[i].visited += u32::from(seen);
        }
        if let (Some(lat), Some(lon)) = (r.get::<Option<f64>>(2)?, r.get::<Option<f64>>(3)?) {
            points.push([lon, lat, if seen { 1.0 } else { 0.0 }]);
            points_by_path.insert(path, [lon, lat]);
        }
        Ok(())
    })?;

    // Open issues: at their household's point, else at the report's GPS fix.
    let open = tx.query_map(
        &format!("SELECT id, path, title, state FROM issues WHERE path >= ?1 AND path < ?2 AND {} ORDER BY reported_at_ms DESC, id", super::issues::open_sql()),
        params![node.path, upper],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?)),
    )?;
    let mut issues = Vec::new();
    for (id, path, title, state) in open {
        for i in area_of(&path, &paths) {
            areas[i].open_issues += 1;
        }
        let at = match points_by_path.get(&path) {
            Some(p) => Some(*p),
            None => {
                let body: Option<String> =
                    tx.query_opt("SELECT body FROM issue_events WHERE issue_id = ?1 AND action = 'report' LIMIT 1", params![id], |r| r.get(0))?;
                body.and_then(|b| serde_json::from_str::<IssueEvent>(&b).ok()).and_then(|e| match e.action {
                    IssueAction::Report(rep) => rep.location.map(|f| [f.lon, f.lat]),
                    _ => None,
                })
            }
        };
        if let Some(at) = at {
            issues.push(MapIssue { id, title, state, at });
        }
    }
    Ok((areas, points, issues, cadence_days))
}

async fn map(
    State(state): State<AppState>,
    who: ConsoleUser,
    params: Result<Query<MapParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<axum::Json<MapData>> {
    let Query(params) = params?;
    let node = match params.node.as_deref() {
        None => who.node.clone(),
        Some(id) => who.node_in_scope(&state, id).await?,
    };
    let now = crate::api::now_ms();
    let n = node.clone();
    let (areas, households, issues, cadence_days) = super::read(&state, move |tx| load(tx, &n, now)).await?;
    Ok(axum::Json(MapData { node: (&node).into(), areas, households, issues, cadence_days, tile_url: state.config.console.tile_url.clone() }))
}

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(MethodFilter::GET, MAP_PATH, map)
}

pub(crate) fn docs(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let mut errors = super::session::console_errors();
    errors.push((400, vec![linkage_protocol::sync::ErrorCode::InvalidInput], "a query parameter is malformed"));
    errors.push((404, vec![linkage_protocol::sync::ErrorCode::NotFound], "the node is not in the caller's area, or unknown (one answer)"));
    errors.sort_by_key(|e| e.0);
    vec![Route {
        method: "get",
        path: MAP_PATH,
        id: "consoleMap",
        summary: "The map (地图): boundaries, household points (visited or not) and open issues of a node's area",
        description: "Default node: the user's; any node of the user's area may be asked for (others, and unknown ids: 404, one answer). \
                      Coordinates are WGS-84 `[lon, lat]`.",
        auth: true,
        query: Some(<MapParams as JsonSchema>::json_schema(gen).to_value()),
        hash: false,
        body: Body::None,
        ok: Success::json("the map's data", gen.subschema_for::<MapData>().to_value()),
        errors,
    }]
}
