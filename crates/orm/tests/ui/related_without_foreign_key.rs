use orm::prelude::*;

#[derive(Model)]
#[orm(table = "albums", related(tracks = Track, titled = Track.title))]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
}

// Track has no foreign key to Album.
#[derive(Model)]
#[orm(table = "tracks")]
pub struct Track {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 50)]
    pub title: String,
}

fn main() {}
