use orm::prelude::*;

pub struct NotAModel {
    pub id: i64,
}

#[derive(Model)]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub owner: ForeignKey<NotAModel>,
}

fn main() {}
