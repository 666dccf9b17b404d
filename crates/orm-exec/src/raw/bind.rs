//! What a raw statement accepts on every enabled backend: bound values ([`BindValue`]) and
//! row types ([`RawRow`]).
//!
//! A raw statement's backend is chosen at run time, so a value must be bindable, and a row
//! loadable, on each backend compiled in. One trait per backend states it for that backend
//! (and is implemented by everything when the backend's feature is off); [`BindValue`] and
//! [`RawRow`] combine them. All are implemented automatically.

use diesel::query_builder::AstPass;
use diesel::result::QueryResult;

/// Writes the per-backend traits of each backend, and [`ErasedBind`], which pushes a bound
/// value on each (implemented by [`Bound`]).
macro_rules! backend_traits {
    ($( $feature:literal, $name:literal, $db:path, $bind:ident, $push:ident, $row:ident );* $(;)?) => {$(
        #[doc = concat!("A value bindable as SQL type `ST` on ", $name, " (diesel's `ToSql`).")]
        #[cfg(feature = $feature)]
        pub trait $bind<ST> {
            /// Pushes the value as a bind parameter (with its placeholder).
            fn $push<'b>(&'b self, out: &mut AstPass<'_, 'b, $db>) -> QueryResult<()>;
        }

        #[cfg(feature = $feature)]
        impl<ST, V> $bind<ST> for V
        where
            V: diesel::serialize::ToSql<ST, $db>,
            $db: diesel::sql_types::HasSqlType<ST>,
        {
            fn $push<'b>(&'b self, out: &mut AstPass<'_, 'b, $db>) -> QueryResult<()> {
                out.push_bind_param::<ST, V>(self)
            }
        }

        #[doc = concat!("Every value (", $name, " support is not compiled in).")]
        #[cfg(not(feature = $feature))]
        pub trait $bind<ST> {}

        #[cfg(not(feature = $feature))]
        impl<ST, V> $bind<ST> for V {}

        #[doc = concat!("A row type loadable from ", $name, " (diesel's `QueryableByName`).")]
        #[cfg(feature = $feature)]
        pub trait $row: diesel::QueryableByName<$db> {}

        #[cfg(feature = $feature)]
        impl<R: diesel::QueryableByName<$db>> $row for R {}

        #[doc = concat!("Every type (", $name, " support is not compiled in).")]
        #[cfg(not(feature = $feature))]
        pub trait $row {}

        #[cfg(not(feature = $feature))]
        impl<R> $row for R {}
    )*

        /// A bound value, type-erased: pushes itself on whichever backend the statement runs.
        pub(crate) trait ErasedBind {$(
            #[doc = concat!("Pushes the value on ", $name, ".")]
            #[cfg(feature = $feature)]
            fn $push<'b>(&'b self, out: &mut AstPass<'_, 'b, $db>) -> QueryResult<()>;
        )*}

        impl<ST, V: BindValue<ST>> ErasedBind for Bound<ST, V> {$(
            #[cfg(feature = $feature)]
            fn $push<'b>(&'b self, out: &mut AstPass<'_, 'b, $db>) -> QueryResult<()> {
                $bind::$push(&self.value, out)
            }
        )*}
    };
}

backend_traits! {
    "sqlite", "SQLite", diesel::sqlite::Sqlite, SqliteBind, push_sqlite, SqliteRow;
    "postgres", "PostgreSQL", diesel::pg::Pg, PgBind, push_pg, PgRow;
    "mysql", "MySQL", diesel::mysql::Mysql, MysqlBind, push_mysql, MysqlRow;
    "mysql", "MariaDB (`mariadb://`)", diesel::mariadb::Mariadb, MariadbBind, push_mariadb, MariadbRow;
}

/// A value a raw statement can bind as SQL type `ST` (a type of `diesel::sql_types`, such as
/// `BigInt` or `Text`) on every backend compiled in: `i64` as `BigInt`, `&str` or `String`
/// as `Text`, `Option<T>` as `Nullable<_>`, and so on. Implemented automatically.
pub trait BindValue<ST>: SqliteBind<ST> + PgBind<ST> + MysqlBind<ST> + MariadbBind<ST> {}

impl<ST, V> BindValue<ST> for V where
    V: SqliteBind<ST> + PgBind<ST> + MysqlBind<ST> + MariadbBind<ST>
{
}

/// A row type a raw query can load on every backend compiled in: a struct deriving
/// `diesel::QueryableByName`, with `#[diesel(sql_type = ...)]` on each field. Implemented
/// automatically.
pub trait RawRow: SqliteRow + PgRow + MysqlRow + MariadbRow + 'static {}

impl<R> RawRow for R where R: SqliteRow + PgRow + MysqlRow + MariadbRow + 'static {}

/// A value with the SQL type it is bound as.
pub(crate) struct Bound<ST, V> {
    value: V,
    sql_type: std::marker::PhantomData<fn() -> ST>,
}

impl<ST, V> Bound<ST, V> {
    /// `value`, to be bound as `ST`.
    pub(crate) fn new(value: V) -> Self {
        Bound {
            value,
            sql_type: std::marker::PhantomData,
        }
    }
}
