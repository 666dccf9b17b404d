//! The raw SQL escape hatch: [`Connection::raw`] runs a SQL string with bound values and
//! loads typed rows.
//!
//! **Placeholders:** write `?` for each value on every backend; orm sends each backend its
//! own form (`$1`, `$2`, ... on PostgreSQL). A `?` inside a string literal, a quoted
//! identifier or a comment is text, and `??` is a literal `?` (PostgreSQL's JSON operators
//! `?`, `?|`, `?&` are written `??`, `??|`, `??&`). Values are always sent as bound
//! parameters, never written into the SQL, whatever they contain; a count of placeholders
//! different from the count of bound values fails before anything runs.
//!
//! Table and column names cannot be bound: never build them from user input.
//!
//! ```
//! # #[cfg(not(feature = "sqlite"))] fn main() {}
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> orm_exec::Result<()> {
//! use diesel::sql_types::{BigInt, Text};
//!
//! #[derive(diesel::QueryableByName, Debug, PartialEq)]
//! struct Note {
//!     #[diesel(sql_type = BigInt)]
//!     id: i64,
//!     #[diesel(sql_type = Text)]
//!     text: String,
//! }
//!
//! let mut conn = orm_exec::Connection::establish("sqlite::memory:")?;
//! conn.batch_execute("CREATE TABLE notes (id BIGINT PRIMARY KEY, text TEXT NOT NULL)")?;
//! let inserted = conn
//!     .raw("INSERT INTO notes (id, text) VALUES (?, ?), (?, ?)")
//!     .bind::<BigInt, _>(1)
//!     .bind::<Text, _>("it's")
//!     .bind::<BigInt, _>(2)
//!     .bind::<Text, _>("'; DROP TABLE notes; --")
//!     .execute()?;
//! assert_eq!(inserted, 2);
//! let notes: Vec<Note> = conn
//!     .raw("SELECT id, text FROM notes WHERE id > ? ORDER BY id")
//!     .bind::<BigInt, _>(1)
//!     .load()?;
//! assert_eq!(notes, [Note { id: 2, text: "'; DROP TABLE notes; --".into() }]);
//! # Ok(())
//! # }
//! ```

mod bind;
mod placeholders;
mod statement;

use std::fmt;

pub use bind::{
    BindValue, MariadbBind, MariadbRow, MysqlBind, MysqlRow, PgBind, PgRow, RawRow, SqliteBind,
    SqliteRow,
};

use crate::connection::Connection;
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use bind::Bound;
use statement::RawStatement;

impl Connection {
    /// Starts a raw statement: `sql` with a `?` for each value, bound with
    /// [`RawQuery::bind`] (see the [module docs](crate::raw) for placeholders).
    pub fn raw<'a>(&'a mut self, sql: &'a str) -> RawQuery<'a> {
        let pieces = placeholders::split(sql, self.backend());
        RawQuery {
            conn: self,
            statement: RawStatement {
                sql,
                pieces,
                binds: Vec::new(),
            },
        }
    }
}

/// A raw SQL statement with its bound values, ready to run on its connection. Made by
/// [`Connection::raw`].
#[must_use = "a raw statement runs only when `load`, `get_result` or `execute` is called"]
pub struct RawQuery<'a> {
    conn: &'a mut Connection,
    statement: RawStatement<'a>,
}

impl<'a> RawQuery<'a> {
    /// Binds the value of the next `?` as SQL type `ST` (from `diesel::sql_types`):
    /// `.bind::<BigInt, _>(5)`, `.bind::<Text, _>("x")`,
    /// `.bind::<Nullable<Text>, _>(None::<String>)`.
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        V: BindValue<ST> + 'a,
        ST: 'a,
    {
        self.statement
            .binds
            .push(Box::new(Bound::<ST, V>::new(value)));
        self
    }

    /// Runs the query and returns its rows as `R`, a struct deriving
    /// `diesel::QueryableByName` (columns are matched by name).
    ///
    /// # Errors
    ///
    /// The database's error; an [`Error::Database`] when the placeholders and the bound
    /// values do not match in number, or a column is missing or of another type.
    pub fn load<R: RawRow>(self) -> Result<Vec<R>> {
        let conn = self.conn;
        let statement = self.statement;
        let result =
            crate::dispatch!(&mut *conn, c => diesel::RunQueryDsl::load::<R>(statement, c));
        conn.classify(result)
    }

    /// Runs the query and returns its first row.
    ///
    /// # Errors
    ///
    /// [`Error::NoMatch`] when it returns no row; otherwise as [`RawQuery::load`].
    pub fn get_result<R: RawRow>(self) -> Result<R> {
        let conn = self.conn;
        let statement = self.statement;
        let result =
            crate::dispatch!(&mut *conn, c => diesel::RunQueryDsl::get_result::<R>(statement, c));
        conn.classify(result)
    }

    /// Runs the statement and returns the number of rows it affected.
    ///
    /// # Errors
    ///
    /// The database's error, or an [`Error::Database`] when the placeholders and the bound
    /// values do not match in number.
    pub fn execute(self) -> Result<usize> {
        let conn = self.conn;
        let statement = self.statement;
        let result = crate::dispatch!(&mut *conn, c => diesel::RunQueryDsl::execute(statement, c));
        conn.classify(result)
    }
}

impl fmt::Debug for RawQuery<'_> {
    /// The SQL and the number of bound values (never the values).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawQuery")
            .field("backend", &self.conn.backend())
            .field("sql", &self.statement.sql)
            .field("binds", &self.statement.binds.len())
            .finish()
    }
}
