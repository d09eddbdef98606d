//! The county and township web console's API, `/v1/console/...` (DESIGN §1, issue #14): staff-only queries and
//! actions judged by the same shared rules and scopes as the phones. Each area is a module with its routes and
//! their OpenAPI descriptions; this router merges them.

pub mod directives;
pub mod issues;
pub mod staff;

use crate::api::Routes;
use crate::openapi::Route;

/// Every console route, added to the API's router (registered, so the OpenAPI test sees them).
pub(crate) fn routes(r: Routes) -> Routes {
    let r = issues::routes(r);
    directives::routes(r)
}

/// The OpenAPI descriptions of the console routes.
pub(crate) fn openapi_routes(gen: &mut schemars::SchemaGenerator) -> Vec<Route> {
    let mut out = issues::openapi_routes(gen);
    out.extend(directives::openapi_routes(gen));
    out
}
