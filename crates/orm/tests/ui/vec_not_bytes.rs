use orm::prelude::*;

#[derive(Model)]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub tags: Vec<String>,
}

fn main() {}
