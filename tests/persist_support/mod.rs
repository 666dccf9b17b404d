//! Shared by tests/persist.rs and tests/persist_async.rs: two small models of their own
//! (a counter, a tag with a unique name) and form builders.

#![allow(dead_code)]

use chrono::NaiveTime;
use orm::prelude::*;
use orm::{IpAddress, ModelMeta, Uuid};
use orm_suite::models::*;

/// A counter for atomic increments.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "persist_counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 40, unique)]
    pub name: String,
    #[orm(default = 0)]
    pub value: i64,
}

/// A tag with a unique name: the lookup of the get_or_create tests.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "persist_tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 60, unique)]
    pub name: String,
    #[orm(default = 0, minimum = 0)]
    pub uses: i32,
}

/// Every example model and the two of these tests.
pub fn models() -> Vec<&'static ModelMeta> {
    let mut models = all_models();
    models.extend([Counter::meta(), Tag::meta()]);
    models
}

pub fn kitchen_form(note: i64, slug: &str, email: &str) -> NewKitchen {
    NewKitchen::new(
        3,
        slug,
        "small",
        "9.99".parse::<orm::Decimal>().unwrap(),
        NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
        Uuid::new_v4(),
        email,
        IpAddress("10.0.0.1".parse().unwrap()),
        note,
    )
}

pub fn tag(name: &str) -> NewTag {
    NewTag::new(name)
}

/// Checks that `err`, a unique violation from a persistence write, carries the server's
/// code: SQLSTATE 23505 on PostgreSQL, error 1062 on MySQL/MariaDB (asked of the server
/// after the failure), none on SQLite (diesel does not keep it).
pub fn assert_unique_code(err: &orm::Error, backend: orm::Backend) {
    assert!(err.is_unique_violation(), "{err:?}");
    let code = err.code();
    match backend {
        orm::Backend::Sqlite => assert_eq!(code, None),
        orm::Backend::Postgres => {
            assert_eq!(code.map(orm::ErrorCode::sqlstate), Some("23505"), "{err:?}")
        }
        orm::Backend::Mysql => assert_eq!(
            code.and_then(orm::ErrorCode::mysql_number),
            Some(1062),
            "{err:?}"
        ),
    }
}
