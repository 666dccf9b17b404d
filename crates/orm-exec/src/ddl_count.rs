//! The one row of a `SELECT COUNT(*) AS n` run by `create_all` / `drop_all` to check a
//! constraint before altering it.

/// `n`: a count.
#[derive(diesel::QueryableByName)]
pub(crate) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}
