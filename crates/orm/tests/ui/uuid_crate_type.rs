use orm::prelude::*;

#[derive(Model)]
pub struct Session {
    #[orm(primary_key)]
    pub id: i64,
    pub token: uuid::Uuid,
}

fn main() {}
