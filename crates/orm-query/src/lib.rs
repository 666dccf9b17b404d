//! # orm-query: the query interface
//!
//! [`QuerySet<M, W, O>`](QuerySet): an immutable, cloneable query over model `M` whose
//! typed part `W` is the very diesel query a user would write by hand (`notes::table.filter(..)
//! .order(..).limit(..)`), so a typed QuerySet costs nothing over diesel and keeps diesel's
//! prepared-statement cache hitting.
//!
//! Where to find things:
//! - [`queryset`]: the `QuerySet` type and its builder methods (filter, exclude, order_by,
//!   then_order_by, limit, offset).
//! - [`lookups`]: Django's lookups as methods on diesel columns (`exact`, `iexact`,
//!   `contains`, `icontains`, `startswith`, `endswith`, `in_`, `gte`, `lte`, `isnull`;
//!   `gt` and `lt` are diesel's), with LIKE wildcards escaped the same way on every backend.
//! - [`by_name`]: `filter_by("text__icontains", v)`, `order_by_names`, `search`, checked
//!   against the model's metadata.
//! - [`executor`]: [`RunQuerySet`], the terminal operations (`all`, `first`, `one`, `get`,
//!   `count`, `exists`) with the same names blocking (`&mut Connection`) and async
//!   (`&Database`, `&mut PooledConnection`).
//! - [`locking`]: `select_for_update()` with `skip_locked()` / `nowait()`.
//! - [`projection`]: `select((col_a, col_b))`, rows loaded as the selection's tuple.
//! - [`records`]: `values(&["id", "album__name"])`, `values_list`, `aggregate` and
//!   `values(..).annotate(..)` by name, rows loaded as [`Record`]s (JSON-convertible).
//! - [`run`]: the statements of those operations (`Ops<M, C>`, one trait implemented per
//!   connection type, blocking and async) and the bounds they need.
//! - [`show_sql`]: [`QuerySet::to_sql`], the SQL and binds `all` runs on a backend.
//! - [`stream`]: `iter` / `stream` in bounded batches (keyset on the primary key when
//!   unordered, LIMIT/OFFSET when ordered).
//! - [`relations`]: `select_related` (one JOIN), `prefetch` (one extra query), `related`.
//! - [`related_names`]: `select_related_names(&["team__org"])`, relations named at run
//!   time, one query per level.
//!
//! **Architecture invariant:** query building here is pure; only the terminal operations
//! touch a connection, through orm-exec.

#![deny(missing_docs)]

pub mod by_name;
pub mod executor;
pub mod keyset;
pub mod locking;
pub mod lookups;
pub mod pinned;
pub mod projection;
pub mod queryset;
pub mod records;
pub mod related_names;
pub mod relations;
pub mod run;
pub mod show_sql;
pub mod stream;

pub use by_name::{ByName, NameError, OrderByName};
pub use executor::{Executor, Reads, Run, RunQuerySet};
pub use keyset::{Keyset, Page};
pub use lookups::{Lookups, TextLookups};
pub use projection::Values;
pub use queryset::{NoOrder, Objects, ObjectsExt, OrderBy, QuerySet};
pub use records::{Agg, Cell, Record, Records};
pub use related_names::{RelatedByName, SelectRelatedNames};
pub use relations::{prefetch, BelongsTo, ForeignKeyField, RelatedExt, SelectRelated};
pub use stream::{RowIter, RowStream, StreamSource};
