use orm::prelude::*;

#[derive(Model)]
pub struct Picture {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 4096, unique)]
    pub thumbnail: Vec<u8>,
}

fn main() {}
