use orm::prelude::*;

#[derive(Model)]
pub struct Task {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(default = "yes")]
    pub done: bool,
}

fn main() {}
