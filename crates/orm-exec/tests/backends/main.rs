//! Integration tests of orm-exec against real databases: SQLite always, PostgreSQL and
//! MariaDB when `PG_DATABASE_URL` / `MYSQL_DATABASE_URL` are set (required when
//! `ORM_REQUIRE_ALL_BACKENDS=1`). One binary, a module per area.

// The shared harness is written against the facade's names (`orm::Connection`, ...).
extern crate orm_exec as orm;

#[path = "../../../../tests/support/mod.rs"]
mod support;

mod async_support;
mod async_tx;
mod blocking_pool;
mod common;
mod connect;
mod ddl;
mod errors;
mod isolation;
mod pool;
mod raw;
mod secrets;
mod test_mode;
mod tls;
mod tracing;
mod transactions;
