use orm::prelude::*;

#[derive(Model)]
pub struct Note {
    pub id: i64,
    #[orm(max_length = 100)]
    pub text: String,
}

fn main() {}
