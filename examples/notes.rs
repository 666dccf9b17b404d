//! encode/orm's quickstart, as far as the foundation goes: declare a model, create its
//! table, validate input, and write and read rows with the typed columns the derive
//! generates. Runs on embedded SQLite; set DATABASE_URL (postgres://..., mysql://...) to
//! run it on a server.
//!
//! ```text
//! cargo run --example notes
//! ```

use diesel::prelude::*;
use orm::prelude::*;
use orm_suite::models::{notes, NewNote, Note};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let mut conn = orm::Connection::establish(&url)?;
    println!("connected to {} ({})", conn.backend(), redact(&url));

    conn.drop_all(&[Note::meta()])?;
    conn.create_all(&[Note::meta()])?;
    println!("created table `{}`", Note::meta().table);

    // Input is validated before anything is written; every bad field is reported.
    let too_long = NewNote::new("x".repeat(101));
    if let Err(e) = too_long.validate() {
        println!("refused: {e}");
    }

    let backend = conn.backend();
    for (text, completed) in [
        ("Buy the groceries.", false),
        ("Call Mum.", true),
        ("Send invoices.", true),
    ] {
        let form = NewNote::new(text);
        form.validate()?;
        orm::dispatch!(&mut conn, c => diesel::insert_into(notes::table)
            .values((notes::text.eq(&form.text), notes::completed.eq(completed)))
            .execute(c))
        .map_err(|e| orm::Error::from_diesel(e, backend))?;
        println!("created note {text:?}");
    }

    let done: Vec<Note> = orm::dispatch!(&mut conn, c => notes::table
        .filter(notes::completed.eq(true))
        .order(notes::id.asc())
        .select(Note::as_select())
        .load(c))
    .map_err(|e| orm::Error::from_diesel(e, backend))?;
    println!("completed notes:");
    for note in &done {
        println!("  #{} {:?}", note.id, note.text);
    }
    assert_eq!(done.len(), 2);
    Ok(())
}

/// The URL without its password, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..scheme], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
