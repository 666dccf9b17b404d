use orm::prelude::*;

// A `Related` field must hold a relation the model declares, and that relation's rows.
#[derive(Model, Clone)]
#[orm(table = "lists")]
pub struct List {
    #[orm(primary_key)]
    pub id: i64,
    pub entries: Related<Entry>,
}

#[derive(Model, Clone)]
#[orm(table = "tags", related(entries = Entry))]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub entries: Related<Tag>,
}

#[derive(Model, Clone)]
pub struct Entry {
    #[orm(primary_key)]
    pub id: i64,
    pub tag: ForeignKey<Tag>,
}

fn main() {}
