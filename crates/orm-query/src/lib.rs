//! # orm-query: the query interface
//!
//! [`QuerySet<M, Q>`](QuerySet): an immutable, cloneable query over model `M` whose typed
//! part `Q` is the very diesel query a user would write by hand (`notes::table.filter(..)
//! .order(..).limit(..)`), so a typed QuerySet costs nothing over diesel and keeps diesel's
//! prepared-statement cache hitting.
//!
//! Where to find things:
//! - [`queryset`]: the `QuerySet` type and its builder methods (filter, exclude, order_by,
//!   then_order_by, limit, offset).
//! - [`lookups`]: Django's lookups as methods on diesel columns (`exact`, `iexact`,
//!   `contains`, `icontains`, `startswith`, `endswith`, `in_`, `gte`, `lte` (`gt`, `lt` are diesel's),
//!   `isnull`), with LIKE wildcards escaped the same way on every backend.
//! - [`run`]: the terminal operations on a blocking [`orm_exec::Connection`] (`all`, `get`,
//!   `first`, `count`, `exists`) and the per-backend bounds they need.
//!
//! **Architecture invariant:** query building here is pure; only the terminal operations
//! touch a connection, through orm-exec.

#![deny(missing_docs)]

pub mod by_name;
pub mod lookups;
pub mod queryset;
pub mod run;

pub use by_name::{ByName, NameError, OrderByName};
pub use lookups::{Lookups, TextLookups};
pub use queryset::{NoOrder, Objects, ObjectsExt, OrderBy, QuerySet};
