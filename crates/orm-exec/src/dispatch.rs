//! [`dispatch!`](crate::dispatch!): one body, run on whichever backend a
//! [`Connection`](crate::Connection) holds.
//!
//! A diesel query is typed by its backend (`Model::as_select()` is a different type for
//! SQLite and for PostgreSQL), so a query for a run-time backend is built inside each
//! backend's arm. `dispatch!` writes the arms: it repeats the body once per backend, with
//! the connection bound to the given name and the type alias `DB` naming diesel's backend
//! type (`diesel::sqlite::Sqlite`, `diesel::pg::Pg`, `diesel::mysql::Mysql`,
//! `diesel::mariadb::Mariadb`).
//!
//! Every [`Connection`](crate::Connection) variant exists whatever the cargo features; a
//! backend whose feature is off holds [`Disabled`], a type with no values, and its arm
//! expands to nothing but proof that it cannot run. Code that dispatches therefore needs
//! no `#[cfg]` of its own, and the body is only compiled for the backends that are on.

/// Stands in for the connection of a backend whose cargo feature is off. It has no values,
/// so a [`Connection`](crate::Connection) variant holding it can never be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disabled {}

/// Declares each `pub type Name = Type;` when the cargo feature named before it is on, and
/// as [`Disabled`] when it is off (with the same docs), so code naming a backend's
/// connection type needs no `#[cfg]`.
macro_rules! backend_type {
    ($( $(#[doc = $doc:literal])* $feature:literal $name:ident = $ty:ty; )*) => {$(
        $(#[doc = $doc])*
        #[cfg(feature = $feature)]
        pub type $name = $ty;
        $(#[doc = $doc])*
        #[cfg(not(feature = $feature))]
        pub type $name = $crate::dispatch::Disabled;
    )*};
}
pub(crate) use backend_type;

/// Implemented by [`Disabled`] and references to it: a value of this type cannot exist.
#[doc(hidden)]
pub trait Uninhabited {
    /// Proves the code holding `self` cannot run.
    fn unreachable(&self) -> !;
}

impl Uninhabited for Disabled {
    fn unreachable(&self) -> ! {
        match *self {}
    }
}

impl<T: Uninhabited + ?Sized> Uninhabited for &T {
    fn unreachable(&self) -> ! {
        (**self).unreachable()
    }
}

impl<T: Uninhabited + ?Sized> Uninhabited for &mut T {
    fn unreachable(&self) -> ! {
        (**self).unreachable()
    }
}

/// The arm of a disabled backend.
#[doc(hidden)]
pub fn unreachable_backend<T: Uninhabited>(connection: T) -> ! {
    connection.unreachable()
}

/// Runs the same body on whichever backend connection a [`Connection`](crate::Connection)
/// holds.
///
/// `dispatch!(conn, c => body)` matches `conn` (a `Connection`, `&Connection` or
/// `&mut Connection`) and evaluates `body` with `c` bound to the backend's diesel connection
/// (by value or by reference, following `conn`). Inside `body` the type alias `DB` names the
/// diesel backend. The body is compiled once per enabled backend, so it may use generic
/// diesel code whose types depend on the backend.
///
/// ```
/// # #[cfg(not(feature = "sqlite"))] fn main() {}
/// # #[cfg(feature = "sqlite")]
/// # fn main() -> orm_exec::Result<()> {
/// use orm_exec::{dispatch, Connection, Error};
///
/// let mut conn = Connection::establish("sqlite::memory:")?;
/// let backend = conn.backend();
/// let rows = dispatch!(&mut conn, c => {
///     diesel::RunQueryDsl::execute(diesel::sql_query("CREATE TABLE t (id INTEGER)"), c)
/// })
/// .map_err(|e| Error::from_diesel(e, backend))?;
/// assert_eq!(rows, 0);
/// # Ok(())
/// # }
/// ```
#[macro_export]
macro_rules! dispatch {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Connection::Sqlite($c) => {
                $crate::__arm!(__on_sqlite, $c, sqlite::Sqlite, $body)
            }
            $crate::Connection::Postgres($c) => $crate::__arm!(__on_postgres, $c, pg::Pg, $body),
            $crate::Connection::Mysql($c) => $crate::__arm!(__on_mysql, $c, mysql::Mysql, $body),
            $crate::Connection::Mariadb($c) => {
                $crate::__arm!(__on_mysql, $c, mariadb::Mariadb, $body)
            }
        }
    };
}

/// One backend's arm of `dispatch!` and `async_dispatch!`: `body` with `DB` naming diesel's
/// backend `$db` (a path under `diesel::`), behind the feature gate `$on`.
#[doc(hidden)]
#[macro_export]
macro_rules! __arm {
    ($on:ident, $c:ident, $($db:ident)::+, $body:expr) => {
        $crate::dispatch::$on!($c, {
            #[allow(dead_code)]
            type DB = $crate::__private::diesel::$($db)::+;
            $body
        })
    };
}

/// The arm of a backend whose cargo feature is on: `body`.
#[doc(hidden)]
#[macro_export]
macro_rules! __on_enabled {
    ($c:ident, $body:expr) => {
        $body
    };
}

/// The arm of a backend whose cargo feature is off: proof from `conn` (a `Disabled`)
/// that the arm cannot run, so `body` is not compiled.
#[doc(hidden)]
#[macro_export]
macro_rules! __on_disabled {
    ($c:ident, $body:expr) => {
        $crate::__private::unreachable_backend($c)
    };
}

/// Names, for each cargo feature, the gate of its backend's arm in `dispatch!` and
/// `async_dispatch!`: `__on_<feature>!(conn, body)` is `__on_enabled!` when orm-exec's
/// feature of that name is on, and `__on_disabled!` when it is off.
macro_rules! arm_gates {
    ($( $feature:literal $gate:ident ),*) => {$(
        #[cfg(feature = $feature)]
        #[doc(hidden)]
        pub use crate::__on_enabled as $gate;
        #[cfg(not(feature = $feature))]
        #[doc(hidden)]
        pub use crate::__on_disabled as $gate;
    )*};
}

arm_gates!("sqlite" __on_sqlite, "postgres" __on_postgres, "mysql" __on_mysql);
