//! Scope by materialized path: a user sees an entity when the entity's path lies under the user's node path.
//! Paths are `/id/id/.../` with a trailing slash, so a prefix test never confuses `/t1/` with `/t10/`.

/// True when `path` is at or under `scope` (both materialized paths ending in `/`).
pub fn within(scope: &str, path: &str) -> bool {
    path.starts_with(scope)
}

/// The exclusive upper bound for a range scan of every path under `scope`:
/// `path >= scope AND path < upper_bound(scope)`. Works because ids never contain `/` and `'0'` follows `'/'`.
pub fn upper_bound(scope: &str) -> String {
    let mut s = scope.trim_end_matches('/').to_string();
    s.push('0');
    s
}

/// The path of a child node.
pub fn child_path(parent_path: &str, id: &str) -> String {
    format!("{parent_path}{id}/")
}

/// The strict ancestors' paths of a materialized path: `/c/t/b/` → `["/c/", "/c/t/"]`.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (1..segments.len()).map(|i| format!("/{}/", segments[..i].join("/"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_a_path() {
        assert_eq!(ancestor_paths("/c/t/b/"), vec!["/c/".to_string(), "/c/t/".to_string()]);
        assert!(ancestor_paths("/c/").is_empty());
    }

    #[test]
    fn prefix_respects_segment_boundaries() {
        assert!(within("/c/t1/", "/c/t1/b1/"));
        assert!(within("/c/t1/", "/c/t1/"));
        assert!(!within("/c/t1/", "/c/t10/b1/"));
        assert!(!within("/c/t1/b1/", "/c/t1/"));
    }

    #[test]
    fn upper_bound_orders_after_every_descendant() {
        let ub = upper_bound("/c/t1/");
        assert_eq!(ub, "/c/t10");
        for p in ["/c/t1/", "/c/t1/b1/", "/c/t1/zzzz/ZZ/", "/c/t1/~/"] {
            assert!(p >= "/c/t1/" && p < ub.as_str(), "{p}");
        }
        assert!("/c/t10/" >= ub.as_str());
        assert!("/c/t2/" >= ub.as_str());
    }
}

/// The node that first owns an issue at `path`: the township on the path (segment 2), or the county when the
/// issue sits at county level. Paths always start at the county (the bundle loader enforces it).
pub fn first_owner(path: &str) -> Option<&str> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let county = segments.next()?;
    Some(segments.next().unwrap_or(county))
}

#[cfg(test)]
mod owner_tests {
    #[test]
    fn first_owner_is_the_township() {
        assert_eq!(super::first_owner("/c/t1/b1/g1/h1/"), Some("t1"));
        assert_eq!(super::first_owner("/c/t1/"), Some("t1"));
        assert_eq!(super::first_owner("/c/"), Some("c"));
        assert_eq!(super::first_owner("/"), None);
    }
}
