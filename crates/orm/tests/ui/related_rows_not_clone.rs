use orm::prelude::*;

// A row related to several is copied into each list: the rows a `Related` field holds
// must be `Clone`.
#[derive(Model, Clone)]
#[orm(table = "tags", related(entries = Entry))]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub entries: Related<Entry>,
}

#[derive(Model)]
#[orm(table = "entries")]
pub struct Entry {
    #[orm(primary_key)]
    pub id: i64,
    pub tag: ForeignKey<Tag>,
}

fn main() {}
