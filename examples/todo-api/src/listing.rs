//! A listing's query string: filters by name through an allow-list, a search term, an
//! ordering and a keyset page.
//!
//! ```text
//! GET /items?list=3&done=false&title__icontains=milk&priority__gte=2
//!           &q=shop&order=-priority,title&limit=20&after=<cursor>
//! ```
//!
//! `q` searches every text field; `order` is a comma list of field names (`-` for
//! descending; `id` is appended so the order is total); `limit` is the page size (1 to
//! [`MAX_PAGE`], default [`DEFAULT_PAGE`]); `after` / `before` take a page's `next` /
//! `previous` cursor. Every other name is a filter: a field path from the endpoint's
//! allow-list, then optionally a date part and a lookup (`updated__year__gte`). A name
//! outside the list is a 400 naming it, before orm sees it; a lookup or value orm refuses
//! is a 400 naming the field.

use orm::by_name::{DatePart, LookupKind};
use orm::{ByName, Model};

use crate::error::{name_error, ApiError};

/// The page size when `limit` is not given.
pub const DEFAULT_PAGE: u32 = 20;
/// The largest page size `limit` may ask for.
pub const MAX_PAGE: u32 = 100;

/// What an endpoint lets a client filter and order by.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// Field paths a filter may name (`title`, `list__name`).
    pub filter: &'static [&'static str],
    /// Fields `order` may name (fields of the model itself that are not nullable, as a
    /// keyset page needs).
    pub order: &'static [&'static str],
}

/// A parsed listing request for model `M`.
#[derive(Debug)]
pub struct Listing<M> {
    /// Every filter and the search term, ANDed.
    pub filter: ByName<M>,
    /// The ordering, ending with `id`.
    pub order: Vec<String>,
    /// The page size.
    pub size: u32,
    /// `after` or `before`, with the cursor.
    pub cursor: Option<(Direction, String)>,
}

/// Which side of a cursor a page is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The rows after the cursor (`after=`).
    After,
    /// The rows before it (`before=`).
    Before,
}

impl<M: Model> Listing<M> {
    /// Parses the query string's pairs against `allowed`.
    pub fn parse(pairs: &[(String, String)], allowed: Allowed) -> Result<Listing<M>, ApiError> {
        // The condition every row meets: the start of the AND.
        let mut filter = ByName::<M>::all_rows();
        let mut order = Vec::new();
        let mut size = DEFAULT_PAGE;
        let mut cursor = None;
        for (name, value) in pairs {
            match name.as_str() {
                "q" => filter = filter & ByName::search(value),
                "order" => order = parse_order(value, allowed.order)?,
                "limit" => size = parse_limit(value)?,
                "after" | "before" => {
                    if cursor.is_some() {
                        return Err(ApiError::bad_query(
                            name,
                            "give at most one of `after` and `before`",
                        ));
                    }
                    let direction = if name == "after" {
                        Direction::After
                    } else {
                        Direction::Before
                    };
                    cursor = Some((direction, value.clone()));
                }
                path => {
                    check_filter(path, allowed.filter)?;
                    filter = filter & ByName::lookup(path, value.as_str()).map_err(name_error)?;
                }
            }
        }
        if !matches!(order.last().map(String::as_str), Some("id" | "-id")) {
            order.push("id".to_string());
        }
        Ok(Listing {
            filter,
            order,
            size,
            cursor,
        })
    }

    /// The ordering as orm's `keyset` takes it.
    pub fn order_names(&self) -> Vec<&str> {
        self.order.iter().map(String::as_str).collect()
    }
}

/// `path` is an allowed field path followed by at most a date part and a lookup.
fn check_filter(path: &str, allowed: &[&str]) -> Result<(), ApiError> {
    let segments: Vec<&str> = path.split("__").collect();
    let is_lookup = |s: &str| LookupKind::from_name(s).is_some();
    let is_part = |s: &str| DatePart::from_name(s).is_some();
    // The longest allowed prefix: `list__name__icontains` is the field path `list__name`.
    let n = (1..=segments.len())
        .rev()
        .find(|&n| allowed.contains(&segments[..n].join("__").as_str()))
        .unwrap_or(0);
    let rest = &segments[n..];
    // After a foreign key with allowed paths through it (`list`, for `list__name`), a
    // word that is no lookup is a field of the other model.
    let through = format!("{}__", segments[..n].join("__"));
    let relation = n > 0 && allowed.iter().any(|a| a.starts_with(&through));
    let names_field = rest
        .first()
        .is_some_and(|s| relation && !is_lookup(s) && !is_part(s));
    if n == 0 || names_field {
        // A field, or a path through a foreign key, that is not on the list.
        let field = segments[..=n.min(segments.len() - 1)].join("__");
        return Err(ApiError::bad_query(
            path,
            format!(
                "cannot filter on `{field}`; allowed fields: {}",
                allowed.join(", ")
            ),
        )
        .with("field", field));
    }
    let ok = match rest {
        [] => true,
        [one] => is_lookup(one) || is_part(one),
        [part, lookup] => is_part(part) && is_lookup(lookup),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let field = segments[..n].join("__");
        Err(ApiError::bad_query(
            path,
            format!(
                "unknown lookup `{}` for field `{field}`; lookups: {}",
                rest.join("__"),
                LookupKind::names().collect::<Vec<_>>().join(", ")
            ),
        )
        .with("field", field))
    }
}

/// `order=-priority,title`: each name must be in `allowed`.
fn parse_order(value: &str, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            let field = name.strip_prefix('-').unwrap_or(name);
            if allowed.contains(&field) {
                Ok(name.to_string())
            } else {
                Err(ApiError::bad_query(
                    "order",
                    format!(
                        "cannot order by `{field}`; allowed fields: {}",
                        allowed.join(", ")
                    ),
                )
                .with("field", field))
            }
        })
        .collect()
}

/// `limit=N`, 1 to [`MAX_PAGE`].
fn parse_limit(value: &str) -> Result<u32, ApiError> {
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_query(
            "limit",
            format!("`limit` must be a number from 1 to {MAX_PAGE}, not {value:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[&str] = &["id", "title", "list", "list__name", "updated"];

    /// The `field` a refused filter is reported on, or `None` when it passes.
    fn refused(path: &str) -> Option<String> {
        check_filter(path, ALLOWED)
            .err()
            .map(|e| e.body["field"].as_str().unwrap().to_string())
    }

    #[test]
    fn filters_pass_only_allowed_paths_with_lookups_and_parts() {
        for path in [
            "id",
            "title__icontains",
            "list",
            "list__in",
            "list__name",
            "list__name__startswith",
            "updated__year",
            "updated__year__gte",
            "updated__date__lt",
        ] {
            assert_eq!(refused(path), None, "{path}");
        }
        // Fields outside the list, also through an allowed foreign key.
        assert_eq!(refused("secret").as_deref(), Some("secret"));
        assert_eq!(refused("secret__gte").as_deref(), Some("secret"));
        assert_eq!(
            refused("list__item_count").as_deref(),
            Some("list__item_count")
        );
        assert_eq!(refused("list__name__x__y").as_deref(), Some("list__name"));
        // Unknown lookups are reported on the field.
        assert_eq!(refused("title__like").as_deref(), Some("title"));
        assert_eq!(refused("updated__year__like").as_deref(), Some("updated"));
        assert_eq!(refused("title__gte__lte").as_deref(), Some("title"));
    }

    #[test]
    fn order_and_limit_are_checked() {
        assert_eq!(
            parse_order("-title, id,", &["id", "title"]).unwrap(),
            ["-title", "id"]
        );
        assert!(parse_order("-secret", &["id"]).is_err());
        assert_eq!(parse_limit("100").unwrap(), 100);
        for bad in ["0", "101", "-1", "ten"] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
