use orm::prelude::*;

#[derive(Model)]
pub struct Article {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(text, index)]
    pub body: String,
}

fn main() {}
