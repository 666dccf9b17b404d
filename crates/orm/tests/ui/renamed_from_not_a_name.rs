use orm::prelude::*;

#[derive(Model)]
pub struct Article {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 10, renamed_from = "old title")]
    pub title: String,
}

fn main() {}
