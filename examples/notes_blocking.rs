//! encode/orm's quickstart with the blocking API: the same program as `examples/notes.rs`
//! without async. Runs on embedded SQLite; set DATABASE_URL to run it on a server.
//!
//! ```text
//! cargo run --example notes_blocking
//! ```

use orm::prelude::*;
use orm_suite::models::{all_models, notes, NewNote, Note, NoteChanges};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let mut conn = orm::Connection::establish(&url)?;
    println!(
        "connected to {} ({})",
        conn.backend(),
        orm::url::masked(&url)
    );
    let conn = &mut conn;

    // Start clean: earlier runs of the examples may have left their tables (some of them
    // reference `notes`, so drop them all).
    conn.drop_all(&all_models())?;
    conn.create_all(&[Note::meta()])?;
    println!("created table `{}`", Note::meta().table);

    if let Err(e) = Note::objects().create(&mut *conn, NewNote::new("x".repeat(101))) {
        println!("refused: {e}");
    }

    for text in ["Buy the groceries.", "Call Mum.", "Send invoices."] {
        let note = Note::objects().create(&mut *conn, NewNote::new(text))?;
        println!("created note #{} {:?}", note.id, note.text);
    }

    let mut call = Note::objects().get(&mut *conn, notes::text.eq("Call Mum."))?;
    call.update(
        &mut *conn,
        NoteChanges {
            completed: Some(true),
            ..Default::default()
        },
    )?;
    println!("completed note #{}", call.id);

    let open = Note::objects()
        .filter(notes::completed.eq(false))
        .order_by(notes::id.desc())
        .all(&mut *conn)?;
    println!("open notes, newest first:");
    for note in &open {
        println!("  #{} {:?}", note.id, note.text);
    }

    let found = Note::objects()
        .filter_by("text__icontains", "INVOICES")?
        .all(&mut *conn)?;
    println!("search for \"INVOICES\": {} note(s)", found.len());

    for _ in 0..2 {
        let (note, created) = Note::objects().get_or_create(
            &mut *conn,
            notes::text.eq("Water the plants."),
            NewNote::new("Water the plants."),
        )?;
        println!(
            "get_or_create #{} {:?}: created = {created}",
            note.id, note.text
        );
    }

    let deleted = Note::objects()
        .filter(notes::completed.eq(true))
        .delete(&mut *conn)?;
    println!(
        "deleted {deleted} completed note(s); {} left",
        Note::objects().count(&mut *conn)?
    );
    Ok(())
}
