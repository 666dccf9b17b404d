use orm::prelude::*;

#[derive(Model)]
pub struct Upload {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(pattern = "[a-z]+")]
    pub data: Vec<u8>,
}

fn main() {}
