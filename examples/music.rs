//! Albums and their tracks: a ForeignKey with ON DELETE CASCADE, select_related (one JOIN),
//! filters across the relation, a sparse key filled with load(), prefetch of every album's
//! tracks in one extra query, and the cascade. Runs on embedded SQLite; set DATABASE_URL
//! to run it on a server.
//!
//! ```text
//! cargo run --example music
//! ```

use orm::prelude::*;
use orm::ForeignKeyLoad;
use orm_suite::models::{albums, all_models, tracks, Album, NewAlbum, NewTrack, Track};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let mut conn = orm::Connection::establish(&url)?;
    let conn = &mut conn;
    println!(
        "connected to {} ({})",
        conn.backend(),
        orm::url::masked(&url)
    );
    conn.drop_all(&all_models())?;
    conn.create_all(&all_models())?;

    let discography = [
        (
            "Blue Train",
            &["Blue Train", "Moment's Notice", "Locomotion"][..],
        ),
        (
            "Giant Steps",
            &["Giant Steps", "Cousin Mary", "Naima", "Mr. P.C."][..],
        ),
    ];
    for (name, titles) in discography {
        let album = Album::objects().create(&mut *conn, NewAlbum::new(name))?;
        let tracks: Vec<NewTrack> = titles
            .iter()
            .enumerate()
            .map(|(i, title)| NewTrack::new(album.id, *title, i as i32 + 1))
            .collect();
        let created = Track::objects().bulk_create(&mut *conn, tracks)?;
        println!(
            "created album #{} {name:?} with {} tracks",
            album.id,
            created.len()
        );
    }

    // One query with a JOIN: every track arrives with its album loaded.
    let listing = Track::objects()
        .select_related::<Album>()
        .order_by(tracks::id.asc())
        .all(&mut *conn)?;
    println!("all tracks, with their album (one query):");
    for track in &listing {
        let album = track.album.get().expect("select_related loads the album");
        println!("  {:<16} on {}", track.title, album.name);
    }

    // A filter across the relation.
    let on_giant_steps = Track::objects()
        .select_related::<Album>()
        .filter(albums::name.eq("Giant Steps"))
        .count(&mut *conn)?;
    println!("tracks on \"Giant Steps\": {on_giant_steps}");

    // Without select_related the key is sparse: just the album's pk, until load().
    let mut naima = Track::objects().get(&mut *conn, tracks::title.eq("Naima"))?;
    println!(
        "\"Naima\" references album #{} (loaded: {})",
        naima.album.pk(),
        naima.album.is_loaded()
    );
    let album = naima.album.load(&mut *conn)?;
    println!("loaded it: {:?}", album.name);

    // Every album's tracks in one extra query, not one per album.
    let albums = Album::objects()
        .order_by(albums::id.asc())
        .all(&mut *conn)?;
    for (album, tracks) in orm::prefetch::<Track, Album, _>(&mut *conn, albums)? {
        let titles: Vec<&str> = tracks.iter().map(|t| t.title.as_str()).collect();
        println!("{}: {}", album.name, titles.join(", "));
    }

    // ON DELETE CASCADE: deleting an album deletes its tracks, on every backend.
    let blue = Album::objects().get(&mut *conn, albums::name.eq("Blue Train"))?;
    blue.delete(&mut *conn)?;
    println!(
        "deleted \"Blue Train\"; {} tracks left",
        Track::objects().count(&mut *conn)?
    );
    conn.drop_all(&all_models())?;
    Ok(())
}
