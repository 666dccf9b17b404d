use orm::prelude::*;

#[derive(Model)]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Track {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(on_delete = "set_null")]
    pub album: ForeignKey<Album>,
}

fn main() {}
