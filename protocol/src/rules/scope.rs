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

#[cfg(test)]
mod tests {
    use super::*;

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
