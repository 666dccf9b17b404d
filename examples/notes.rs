//! encode/orm's quickstart in Rust, async: declare a model, create its table, then create,
//! filter, order, update, delete and get_or_create notes. Runs on embedded SQLite; set
//! DATABASE_URL (postgres://..., mysql://...) to run it on a server.
//!
//! ```text
//! cargo run --example notes
//! ```
//! The same program with the blocking API: `examples/notes_blocking.rs`.

use orm::prelude::*;
use orm_suite::models::{all_models, notes, NewNote, Note, NoteChanges};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let db = orm::Database::connect(&url).await?;
    println!("connected to {} ({})", db.backend(), orm::url::masked(&url));

    // Start clean: earlier runs of the examples may have left their tables (some of them
    // reference `notes`, so drop them all).
    db.drop_all(&all_models()).await?;
    db.create_all(&[Note::meta()]).await?;
    println!("created table `{}`", Note::meta().table);

    // Input is validated before anything is written; every bad field is reported.
    if let Err(e) = Note::objects()
        .create(&db, NewNote::new("x".repeat(101)))
        .await
    {
        println!("refused: {e}");
    }

    for text in ["Buy the groceries.", "Call Mum.", "Send invoices."] {
        let note = Note::objects().create(&db, NewNote::new(text)).await?;
        println!("created note #{} {:?}", note.id, note.text);
    }

    // Mark one done: the instance is updated to the stored row.
    let mut call = Note::objects()
        .get(&db, notes::text.eq("Call Mum."))
        .await?;
    call.update(
        &db,
        NoteChanges {
            completed: Some(true),
            ..Default::default()
        },
    )
    .await?;
    println!("completed note #{}", call.id);

    let open = Note::objects()
        .filter(notes::completed.eq(false))
        .order_by(notes::id.desc())
        .all(&db)
        .await?;
    println!("open notes, newest first:");
    for note in &open {
        println!("  #{} {:?}", note.id, note.text);
    }

    // By name, as an HTTP query string would give it.
    let found = Note::objects()
        .filter_by("text__icontains", "INVOICES")?
        .all(&db)
        .await?;
    println!("search for \"INVOICES\": {} note(s)", found.len());

    // get_or_create: the second call finds the row the first created.
    for _ in 0..2 {
        let (note, created) = Note::objects()
            .get_or_create(
                &db,
                notes::text.eq("Water the plants."),
                NewNote::new("Water the plants."),
            )
            .await?;
        println!(
            "get_or_create #{} {:?}: created = {created}",
            note.id, note.text
        );
    }

    let deleted = Note::objects()
        .filter(notes::completed.eq(true))
        .delete(&db)
        .await?;
    println!(
        "deleted {deleted} completed note(s); {} left",
        Note::objects().count(&db).await?
    );
    Ok(())
}
