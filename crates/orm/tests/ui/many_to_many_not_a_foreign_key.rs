use orm::prelude::*;

// `Entry.note` is text, not a foreign key; and `Entry` has no foreign key to `Tag`.
#[derive(Model)]
#[orm(table = "lists", many_to_many(tags = Entry.note))]
pub struct List {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[orm(table = "tags", many_to_many(lists = Entry.list))]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[orm(table = "entries")]
pub struct Entry {
    #[orm(primary_key)]
    pub id: i64,
    pub list: ForeignKey<List>,
    #[orm(max_length = 20)]
    pub note: String,
}

fn main() {}
