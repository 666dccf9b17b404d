use orm::prelude::*;

#[derive(Model)]
#[orm(many_to_many(tags = Entry.tag))]
pub struct List {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Entry {
    #[orm(primary_key)]
    pub id: i64,
    pub list: ForeignKey<List>,
    pub tag: ForeignKey<Tag>,
}

// A list's tags are tags: linking another list is a type error.
fn link(conn: &mut Connection, list: &List, other: &List) {
    let _ = list.tags().add(conn, [other], NewEntry::new);
}

fn main() {}
