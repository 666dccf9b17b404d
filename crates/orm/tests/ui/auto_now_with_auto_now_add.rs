use orm::prelude::*;

#[derive(Model)]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(auto_now, auto_now_add)]
    pub stamped: chrono::NaiveDateTime,
}

fn main() {}
