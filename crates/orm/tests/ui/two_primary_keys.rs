use orm::prelude::*;

#[derive(Model)]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(primary_key)]
    pub other_id: i64,
}

fn main() {}
