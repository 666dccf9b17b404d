use orm::prelude::*;

#[derive(Model)]
pub struct Shelf {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(default = 40000)]
    pub level: i16,
}

fn main() {}
