//! A QuerySet as the value of a by-name `in` (Django's `filter(album__in=Album.objects
//! .filter(...))`): `album IN (SELECT albums.id FROM albums WHERE ...)`, one statement.
//!
//! The other QuerySet's query is kept as a [`Subquery`]: a diesel query that renders on
//! every enabled backend, behind a trait object, so a by-name condition (whose type does
//! not name it) can hold it. Its ordering and slice do not apply (MySQL refuses a LIMIT
//! inside `IN (...)`), as for the typed `subquery()`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::dsl;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::query_dsl::methods::SelectDsl;
use diesel::result::QueryResult;
use orm_schema::{FieldMeta, Model};

use super::input::LookupValue;
use super::render::run_time_expression;
use crate::queryset::QuerySet;

/// The primary key of `M`'s table (`"albums"."id"`), as a selection.
#[derive(Debug, Clone, Copy)]
pub struct PkOf<M>(PhantomData<fn() -> M>);

impl<M> PkOf<M> {
    /// The primary key of `M`.
    pub fn new() -> Self {
        PkOf(PhantomData)
    }
}

impl<M> Default for PkOf<M> {
    fn default() -> Self {
        Self::new()
    }
}

run_time_expression!([M] PkOf<M>, sql_type = diesel::sql_types::Untyped, grouping = ());

impl<M: Model, DB: Backend> QueryFragment<DB> for PkOf<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let meta = M::meta();
        let pk = meta.primary_key().map_or("id", |f| f.column);
        out.push_identifier(meta.table)?;
        out.push_sql(".");
        out.push_identifier(pk)
    }
}

/// Declares `$name`: `QueryFragment<$db>` when the backend's cargo feature `$feature` is
/// on, nothing otherwise.
macro_rules! renders_on {
    ($name:ident, $feature:literal, $db:ty) => {
        #[doc = concat!("Renders on `", stringify!($db), "` (when its feature is on).")]
        #[cfg(feature = $feature)]
        pub trait $name: QueryFragment<$db> {}
        #[cfg(feature = $feature)]
        impl<T: QueryFragment<$db>> $name for T {}
        #[doc = concat!("Renders on `", stringify!($db), "` (when its feature is on).")]
        #[cfg(not(feature = $feature))]
        pub trait $name {}
        #[cfg(not(feature = $feature))]
        impl<T> $name for T {}
    };
}

renders_on!(OnSqlite, "sqlite", diesel::sqlite::Sqlite);
renders_on!(OnPg, "postgres", diesel::pg::Pg);
renders_on!(OnMysql, "mysql", diesel::mysql::Mysql);
renders_on!(OnMariadb, "mysql", diesel::mariadb::Mariadb);

/// A query that renders on every enabled backend: the SELECT inside a by-name `in`.
pub trait Subquery: OnSqlite + OnPg + OnMysql + OnMariadb + Send + Sync + 'static {}
impl<T: OnSqlite + OnPg + OnMysql + OnMariadb + Send + Sync + 'static> Subquery for T {}

/// A [`Subquery`] held by a by-name value, with the key field it selects (checked against
/// the compared field's kind).
#[derive(Clone)]
pub struct SubqueryValue {
    pub(crate) query: Arc<dyn Subquery>,
    /// The field the subquery selects (the primary key, or the one field of records);
    /// `None`: not one field, refused by the condition.
    pub(crate) key: Option<&'static FieldMeta>,
    /// The model it reads, for errors.
    pub(crate) model: &'static str,
}

impl fmt::Debug for SubqueryValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.key.map_or("primary key", |k| k.name);
        write!(f, "QuerySet<{}> (its {key})", self.model)
    }
}

/// The same subquery (the same value, shared).
impl PartialEq for SubqueryValue {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.query, &other.query)
    }
}

/// A QuerySet as a by-name value: the primary keys of its rows, for `in`
/// (`filter_by("album__in", Album::objects().filter_by("name__startswith", "b")?)`).
impl<M, W, O> From<QuerySet<M, W, O>> for LookupValue
where
    M: Model,
    W: SelectDsl<PkOf<M>>,
    dsl::Select<W, PkOf<M>>: Subquery,
{
    fn from(qs: QuerySet<M, W, O>) -> Self {
        let meta = M::meta();
        let (query, _) = qs.into_parts();
        LookupValue::Query(SubqueryValue {
            query: Arc::new(query.select(PkOf::new())),
            key: meta.primary_key(),
            model: meta.name,
        })
    }
}

/// Renders `sub` on backend `Self`: each enabled backend calls the subquery's own
/// `QueryFragment` for it.
pub trait RenderSubquery: Backend {
    /// Renders `sub` into `out`.
    fn subquery<'b>(out: &mut AstPass<'_, 'b, Self>, sub: &'b dyn Subquery) -> QueryResult<()>;
}

macro_rules! render_subquery {
    ($($feature:literal => $db:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl RenderSubquery for $db {
            fn subquery<'b>(
                out: &mut AstPass<'_, 'b, Self>,
                sub: &'b dyn Subquery,
            ) -> QueryResult<()> {
                QueryFragment::<$db>::walk_ast(sub, out.reborrow())
            }
        }
    )*};
}

render_subquery!(
    "sqlite" => diesel::sqlite::Sqlite,
    "postgres" => diesel::pg::Pg,
    "mysql" => diesel::mysql::Mysql,
    "mysql" => diesel::mariadb::Mariadb
);
