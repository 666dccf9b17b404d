//! [`RawStatement`]: a raw SQL string and its bound values as a diesel query, for every
//! enabled backend.
//!
//! Each placeholder is written by diesel's own query builder (`?` on SQLite and MySQL,
//! `$1`, `$2`, ... on PostgreSQL) with its value bound next to it, so values never enter
//! the SQL text. Like diesel's `sql_query`, raw statements are not kept in the prepared
//! statement cache (raw SQL is often built at run time and would grow it without bound).

use diesel::backend::Backend as DieselBackend;
use diesel::query_builder::{AstPass, Query, QueryFragment};
use diesel::result::{Error as DieselError, QueryResult};
use diesel::sql_types::Untyped;
use diesel::RunQueryDsl;

use super::bind::ErasedBind;
use super::placeholders::{self, Piece};

/// A raw SQL string split at its placeholders, with the values bound so far.
pub(crate) struct RawStatement<'a> {
    pub(crate) sql: &'a str,
    pub(crate) pieces: Vec<Piece>,
    pub(crate) binds: Vec<Box<dyn ErasedBind + 'a>>,
}

impl<'a> RawStatement<'a> {
    /// Writes the SQL and the binds into one of diesel's passes over a query, with `push`
    /// pushing a bound value on the backend at hand.
    fn walk<'b, DB: DieselBackend>(
        &'b self,
        out: &mut AstPass<'_, 'b, DB>,
        push: impl Fn(&'b (dyn ErasedBind + 'a), &mut AstPass<'_, 'b, DB>) -> QueryResult<()>,
    ) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        let expected = placeholders::count(&self.pieces);
        if expected != self.binds.len() {
            return Err(DieselError::QueryBuilderError(
                format!(
                    "the sql has {expected} placeholder(s) but {} value(s) are bound",
                    self.binds.len()
                )
                .into(),
            ));
        }
        let mut binds = self.binds.iter();
        for piece in &self.pieces {
            match piece {
                Piece::Sql(range) => out.push_sql(&self.sql[range.clone()]),
                Piece::Bind => {
                    let Some(bind) = binds.next() else {
                        unreachable!("the number of binds was checked");
                    };
                    push(&**bind, out)?;
                }
            }
        }
        Ok(())
    }
}

/// Implements `QueryFragment` on each backend: the statement walked with the push of that
/// backend's bind values.
macro_rules! walk_on {
    ($( $feature:literal $db:path => $push:ident ),* $(,)?) => {$(
        #[cfg(feature = $feature)]
        impl QueryFragment<$db> for RawStatement<'_> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> QueryResult<()> {
                self.walk(&mut out, |bind, out| bind.$push(out))
            }
        }
    )*};
}

walk_on! {
    "sqlite" diesel::sqlite::Sqlite => push_sqlite,
    "postgres" diesel::pg::Pg => push_pg,
    "mysql" diesel::mysql::Mysql => push_mysql,
    "mysql" diesel::mariadb::Mariadb => push_mariadb,
}

orm_schema::query_id_by_text!([] RawStatement<'_>);

impl Query for RawStatement<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for RawStatement<'_> {}
