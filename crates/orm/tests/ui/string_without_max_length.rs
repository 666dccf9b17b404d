use orm::prelude::*;

#[derive(Model)]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub text: String,
}

fn main() {}
