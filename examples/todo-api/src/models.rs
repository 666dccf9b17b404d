//! The service's models: to-do lists and their items. `cargo xtask migrate ... --app
//! todo-api` makes and applies their migrations (`examples/todo-api/migrations/`).

use orm::prelude::*;
use orm::ModelMeta;

/// A to-do list. Its name is unique; `item_count` is kept by the item endpoints, in the
/// same transaction as the item they create or delete.
#[derive(Model, Debug, Clone, PartialEq, serde::Serialize)]
#[orm(table = "todo_lists")]
pub struct TodoList {
    /// The key.
    #[orm(primary_key)]
    pub id: i64,
    /// The list's name, unique.
    #[orm(max_length = 100, unique)]
    pub name: String,
    /// How many items the list holds.
    #[orm(default = 0, minimum = 0)]
    pub item_count: i64,
    /// When the list was created.
    #[orm(auto_now_add)]
    pub created: chrono::NaiveDateTime,
}

/// One item of a list. `version` starts at 1 and grows by one with each update; an
/// update names the version it read, and is refused (409) when the item moved on.
#[derive(Model, Debug, Clone, PartialEq, serde::Serialize)]
#[orm(table = "todo_items")]
pub struct Item {
    /// The key.
    #[orm(primary_key)]
    pub id: i64,
    /// The list the item belongs to; deleting the list deletes its items.
    #[orm(on_delete = "cascade")]
    pub list: ForeignKey<TodoList>,
    /// What to do.
    #[orm(max_length = 200)]
    pub title: String,
    /// Whether it is done.
    #[orm(default = false)]
    pub done: bool,
    /// 0 (none) to 5 (urgent).
    #[orm(default = 0, minimum = 0, maximum = 5)]
    pub priority: i32,
    /// The number of writes this item has seen (1 when created).
    #[orm(default = 1, minimum = 1)]
    pub version: i64,
    /// When the item was last written.
    #[orm(auto_now)]
    pub updated: chrono::NaiveDateTime,
}

/// The service's models, for `create_all`, the migrations and `cargo xtask`.
pub fn models() -> Vec<&'static ModelMeta> {
    vec![TodoList::meta(), Item::meta()]
}
