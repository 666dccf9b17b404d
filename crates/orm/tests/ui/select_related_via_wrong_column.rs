use orm::prelude::*;

#[derive(Model, Clone)]
#[orm(table = "albums")]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model, Clone)]
#[orm(table = "tracks")]
pub struct Track {
    #[orm(primary_key)]
    pub id: i64,
    pub album: ForeignKey<Album>,
}

// The foreign-key column of another model: albums are not joined through `tracks.album`.
fn other_model(conn: &mut Connection) {
    let _ = Album::objects().select_related_via(tracks::album).all(conn);
}

// A column that is no foreign key.
fn not_a_foreign_key(conn: &mut Connection) {
    let _ = Track::objects().select_related_via(tracks::id).all(conn);
}

fn main() {}
