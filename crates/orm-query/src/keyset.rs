//! Keyset pagination: pages that start after (or end before) the last row seen, so page
//! 10 000 costs the same as page 1 (an index seek instead of an `OFFSET` that reads and
//! drops every earlier row).
//!
//! ```ignore
//! let pages = Note::objects().filter_by("completed", false)?.keyset(&["-created", "id"])?;
//! let first = pages.page(&mut conn, 20)?;
//! if let Some(next) = &first.next {
//!     let second = pages.after(next)?.page(&mut conn, 20)?;    // a browser sent `next` back
//! }
//! ```
//!
//! The ordering is given by names (`"-created"` descending), fields of the model itself,
//! not nullable, the last one unique (the primary key or a unique field), so that the
//! ordering is total and no row is skipped or repeated between pages. A page's `next`
//! cursor names its last row's keys, `previous` its first row's; `after(cursor)` and
//! `before(cursor)` continue from there. A row inserted or deleted between two requests
//! moves nothing else: each row is on exactly one page.
//!
//! A cursor is opaque text safe in a URL (base64url): the model, the ordering and the key
//! values, with a checksum. When it comes back it is checked: a cursor that is corrupted,
//! edited, or from another model or ordering is [`NameError::InvalidCursor`], and each
//! value must convert to its field's type. The checksum catches accidents, not a forger
//! who knows the format; a forged cursor can only choose where a page starts, since its
//! values are bound parameters and the QuerySet's filters still apply.

use diesel::dsl;
use diesel::query_dsl::methods::FilterDsl;
use orm_schema::{Model, NameError};

use crate::by_name::{ByName, Clause, Condition, LookupKind, OrderByName, Value};
use crate::executor::Reads;
use crate::queryset::{OrderBy, QuerySet};
use crate::run::Slice;

/// Where a page starts or ends: after or before the row with these key values.
#[derive(Debug, Clone)]
enum Position {
    After(Vec<Value>),
    Before(Vec<Value>),
}

/// The query of one keyset page: the QuerySet's filters and the cursor's condition, in the
/// keyset's order (reversed for a page before a cursor).
pub type PageQuery<M, W> = (dsl::Filter<W, ByName<M>>, OrderBy<OrderByName<M>>);

/// A QuerySet paged by keys: what [`QuerySet::keyset`] returns. See the
/// [module documentation](self).
pub struct Keyset<M, W> {
    query: W,
    sliced: bool,
    order: OrderByName<M>,
    position: Option<Position>,
}

impl<M, W: Clone> Clone for Keyset<M, W> {
    fn clone(&self) -> Self {
        Keyset {
            query: self.query.clone(),
            sliced: self.sliced,
            order: self.order.clone(),
            position: self.position.clone(),
        }
    }
}

impl<M, W> std::fmt::Debug for Keyset<M, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyset")
            .field("order", &self.order)
            .field("position", &self.position)
            .finish()
    }
}

/// One page of rows, with the cursors to the pages around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<M> {
    /// The rows, in the keyset's order.
    pub rows: Vec<M>,
    /// The cursor for the next page (`after(next)`), when there are rows after these.
    pub next: Option<String>,
    /// The cursor for the previous page (`before(previous)`), when this page started
    /// from a cursor and has rows (or when a page before a cursor found more rows before).
    pub previous: Option<String>,
}

impl<M: Model, W, O> QuerySet<M, W, O> {
    /// Pages through the QuerySet's rows in the order `names` gives (`"name"` ascending,
    /// `"-created"` descending, `"pk"` the key), replacing any ordering. Every field must
    /// be the model's own and not nullable, and the last one unique (the primary key or a
    /// unique field): otherwise [`NameError::Keyset`] naming it. See [`crate::keyset`].
    pub fn keyset(self, names: &[&str]) -> Result<Keyset<M, W>, NameError> {
        let order = OrderByName::<M>::parse(names)?;
        for (key, name) in order.keys.iter().zip(names) {
            let reason = if !key.hops.is_empty() {
                Some("a field of another model (a path through a foreign key)")
            } else if key.field.nullable {
                Some("the field is nullable, and NULLs sort differently on each backend")
            } else if matches!(key.field.kind, orm_schema::FieldKind::Json) {
                Some("JSON has no order")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(NameError::Keyset {
                    field: name.to_string(),
                    reason,
                });
            }
        }
        let unique_last = order.keys.last().is_some_and(|k| {
            k.field.primary_key
                || k.field.unique
                || k.field.foreign_key.as_ref().is_some_and(|fk| fk.one_to_one)
        });
        if !unique_last {
            return Err(NameError::Keyset {
                field: names.last().unwrap_or(&"").to_string(),
                reason: "the last key must be the primary key or a unique field, so that \
                         the order is total",
            });
        }
        let sliced = self.is_sliced();
        let (query, _) = self.into_parts();
        Ok(Keyset {
            query,
            sliced,
            order,
            position: None,
        })
    }
}

impl<M: Model, W> Keyset<M, W> {
    /// The page of rows after the row `cursor` names (a page's `next`). A cursor this
    /// keyset did not give out is [`NameError::InvalidCursor`].
    pub fn after(mut self, cursor: &str) -> Result<Self, NameError> {
        self.position = Some(Position::After(self.decode(cursor)?));
        Ok(self)
    }

    /// The page of rows before the row `cursor` names (a page's `previous`).
    pub fn before(mut self, cursor: &str) -> Result<Self, NameError> {
        self.position = Some(Position::Before(self.decode(cursor)?));
        Ok(self)
    }

    /// One page of at most `size` rows (`size` at least 1). A QuerySet with a limit or an
    /// offset cannot be paged: `Error::Usage`.
    pub fn page<'a, E>(&self, executor: E, size: u32) -> E::Output<Page<M>>
    where
        M: Send + 'static,
        W: FilterDsl<ByName<M>> + Clone,
        E: Reads<'a, M, PageQuery<M, W>>,
    {
        if self.sliced || size == 0 {
            let message = if size == 0 {
                format!(
                    "a keyset page of {} needs a size of at least 1",
                    M::meta().name
                )
            } else {
                format!(
                    "cannot page a sliced QuerySet of {} (limit or offset set): the page \
                     size is the limit",
                    M::meta().name
                )
            };
            return E::ready(Err(orm_exec::Error::Usage { message }));
        }
        let (values, before) = match &self.position {
            None => (None, false),
            Some(Position::After(values)) => (Some(values.as_slice()), false),
            Some(Position::Before(values)) => (Some(values.as_slice()), true),
        };
        let condition = match values {
            Some(values) => self.beyond(values, before),
            None => ByName::new(Vec::new()),
        };
        let order = if before {
            self.order.reversed()
        } else {
            self.order.clone()
        };
        let query = (
            FilterDsl::filter(self.query.clone(), condition),
            OrderBy(order),
        );
        let size = size as usize;
        let from_cursor = self.position.is_some();
        let order = self.order.clone();
        E::map(
            executor.rows(query, Slice::new(Some(size as i64 + 1), None, None)),
            move |mut rows| {
                let more = rows.len() > size;
                rows.truncate(size);
                if before {
                    rows.reverse();
                }
                let cursor = |row: Option<&M>| row.map(|row| encode(&order, row));
                let (next, previous) = if before {
                    (cursor(rows.last()), cursor(rows.first()).filter(|_| more))
                } else {
                    (
                        cursor(rows.last()).filter(|_| more),
                        cursor(rows.first()).filter(|_| from_cursor),
                    )
                };
                Ok(Page {
                    rows,
                    next,
                    previous,
                })
            },
        )
    }

    /// The rows beyond the key `values` in the keyset's order (after them, or before them
    /// when `before`): `k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...`, with `<` for a
    /// descending key (and the other way round before).
    fn beyond(&self, values: &[Value], before: bool) -> ByName<M> {
        let keys = &self.order.keys;
        let condition = |i: usize, lookup: LookupKind| {
            Clause::Is(Condition {
                hops: Vec::new(),
                field: keys[i].field,
                part: None,
                lookup,
                value: values[i].clone(),
            })
        };
        let mut any: Option<ByName<M>> = None;
        for i in 0..keys.len() {
            let mut all: Vec<Clause> = (0..i).map(|j| condition(j, LookupKind::Exact)).collect();
            let lookup = if keys[i].descending != before {
                LookupKind::Lt
            } else {
                LookupKind::Gt
            };
            all.push(condition(i, lookup));
            let this = ByName::new(all);
            any = Some(match any {
                Some(earlier) => earlier | this,
                None => this,
            });
        }
        any.unwrap_or_else(|| ByName::new(Vec::new()))
    }

    /// The key values `cursor` carries, checked against this keyset.
    fn decode(&self, cursor: &str) -> Result<Vec<Value>, NameError> {
        let invalid = |reason| NameError::InvalidCursor { reason };
        let bytes = base64url::decode(cursor).ok_or(invalid("not a cursor this API gave out"))?;
        let (payload, sum) = bytes
            .split_last_chunk::<8>()
            .ok_or(invalid("not a cursor this API gave out"))?;
        if checksum(payload) != u64::from_le_bytes(*sum) {
            return Err(invalid("its checksum does not match (corrupted or edited)"));
        }
        let parts = unpack(payload).ok_or(invalid("not a cursor this API gave out"))?;
        let keys = &self.order.keys;
        let [version, table, ordering, values @ ..] = parts.as_slice() else {
            return Err(invalid("not a cursor this API gave out"));
        };
        if version != VERSION || table != M::meta().table || *ordering != signature(&self.order) {
            return Err(invalid("it belongs to another model or ordering"));
        }
        if values.len() != keys.len() {
            return Err(invalid("it holds the wrong number of keys"));
        }
        keys.iter()
            .zip(values)
            .map(|(key, text)| Value::parse(key.field, text))
            .collect()
    }
}

/// The format of a cursor's payload.
const VERSION: &str = "k1";

/// The ordering as a cursor records it: `-created,id`.
fn signature<M>(order: &OrderByName<M>) -> String {
    let keys: Vec<String> = order
        .keys
        .iter()
        .map(|k| format!("{}{}", if k.descending { "-" } else { "" }, k.field.name))
        .collect();
    keys.join(",")
}

/// The cursor naming `row`'s position in `order`.
fn encode<M: Model>(order: &OrderByName<M>, row: &M) -> String {
    let mut parts = vec![
        VERSION.to_string(),
        M::meta().table.to_string(),
        signature(order),
    ];
    parts.extend(
        order
            .keys
            .iter()
            .map(|k| row.field_text(k.field.name).unwrap_or_default()),
    );
    let mut bytes = pack(&parts);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    base64url::encode(&bytes)
}

/// Parts as `<length>:<text>` each, so any text fits.
fn pack(parts: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("{}:", part.len()).as_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The parts [`pack`] wrote, or `None`.
fn unpack(mut bytes: &[u8]) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    while !bytes.is_empty() {
        let colon = bytes.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(&bytes[..colon]).ok()?.parse().ok()?;
        let rest = &bytes[colon + 1..];
        if rest.len() < len {
            return None;
        }
        parts.push(String::from_utf8(rest[..len].to_vec()).ok()?);
        bytes = &rest[len..];
    }
    Some(parts)
}

/// FNV-1a (64 bits) of `bytes`: detects a changed byte, not a deliberate forgery.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5).
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        let digits: Vec<u32> = text
            .bytes()
            .map(|c| ALPHABET.iter().position(|&a| a == c).map(|d| d as u32))
            .collect::<Option<_>>()?;
        if digits.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(digits.len() * 3 / 4);
        for chunk in digits.chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..20u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
            let text = base64url::encode(&bytes);
            assert!(!text.contains(['+', '/', '=']), "{text}");
            assert_eq!(base64url::decode(&text), Some(bytes));
        }
        assert_eq!(base64url::encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url::encode(b"fo"), "Zm8");
        assert_eq!(base64url::decode("Zm9v!"), None);
        assert_eq!(base64url::decode("Z"), None);
    }

    #[test]
    fn packed_parts_round_trip_any_text() {
        let parts = vec!["k1".to_string(), "a:b".into(), String::new(), "é,\n".into()];
        assert_eq!(unpack(&pack(&parts)), Some(parts));
        assert_eq!(unpack(b"5:ab"), None);
        assert_eq!(unpack(b"x:ab"), None);
    }

    #[test]
    fn the_checksum_sees_one_changed_byte() {
        assert_ne!(checksum(b"k1 notes 7"), checksum(b"k1 notes 8"));
    }
}
