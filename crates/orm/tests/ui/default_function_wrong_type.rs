use orm::prelude::*;

pub fn make_string() -> String {
    String::from("seven")
}

#[derive(Model)]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(default = make_string)]
    pub n: i64,
}

fn main() {}
