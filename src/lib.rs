//! The example models shared by `examples/`, `tests/` and `cargo xtask schema`.
//!
//! This package (`orm-suite`) is the workspace's test-and-example package; applications
//! depend on the `orm` crate (`crates/orm`) instead.

pub mod models;
