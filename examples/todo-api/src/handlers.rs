//! The endpoints. Each takes the shared [`orm::Database`] and awaits it: no blocking
//! call runs on the runtime's threads.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use orm::prelude::*;
use orm::Agg::{Avg, Count, Max};
use orm::{Database, Record};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{field_errors, name_error, ApiError};
use crate::extract::{Id, JsonBody, QueryPairs};
use crate::listing::{Allowed, Direction, Listing};
use crate::models::{todo_items, todo_lists, Item, ItemChanges, NewItem, NewTodoList, TodoList};

/// What `GET /lists` may filter and order by.
const LIST_FIELDS: Allowed = Allowed {
    filter: &["id", "name", "item_count", "created"],
    order: &["id", "name", "item_count", "created"],
};

/// What `GET /items` and `GET /stats` may filter by, and `GET /items` order by.
const ITEM_FIELDS: Allowed = Allowed {
    filter: &[
        "id",
        "list",
        "list__name",
        "title",
        "done",
        "priority",
        "version",
        "updated",
    ],
    order: &["id", "title", "done", "priority", "version", "updated"],
};

/// The body of `POST /lists`: a name, and the list's first items, created with it in one
/// transaction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewListBody {
    /// The list's name (unique).
    pub name: String,
    /// Items to create in the list.
    #[serde(default)]
    pub items: Vec<ItemFields>,
}

/// An item's fields a client sets when creating it inside a new list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFields {
    /// What to do.
    pub title: String,
    /// Done already (default false).
    pub done: Option<bool>,
    /// 0 to 5 (default 0).
    pub priority: Option<i32>,
}

/// The body of `POST /items`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItemBody {
    /// The list's id.
    pub list: i64,
    /// What to do.
    pub title: String,
    /// Done already (default false).
    pub done: Option<bool>,
    /// 0 to 5 (default 0).
    pub priority: Option<i32>,
}

/// The body of `PATCH /items/{id}`: the version the client read, and the fields to
/// change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    /// The item's `version` as the client last read it.
    pub version: i64,
    /// A new title.
    pub title: Option<String>,
    /// Done or not.
    pub done: Option<bool>,
    /// A new priority.
    pub priority: Option<i32>,
}

impl ItemFields {
    /// The insert form of this item in list `list`.
    fn form(self, list: i64) -> NewItem {
        NewItem {
            done: self.done,
            priority: self.priority,
            ..NewItem::new(list, self.title)
        }
    }
}

/// The row a get by id found, or the error answer: orm's `NoMatch` is a 404 naming `model`
/// and the `id` the client asked for; any other error maps as every orm error does
/// (`ApiError`'s `From<orm::Error>`: 422, 409, 503, 500).
fn found<T>(result: orm::Result<T>, model: &str, id: i64) -> Result<T, ApiError> {
    match result {
        Err(orm::Error::NoMatch { .. }) => Err(ApiError::not_found(model, id)),
        other => Ok(other?),
    }
}

/// `GET /health`: 200 while the database answers.
pub async fn health(State(db): State<Database>) -> Result<Json<Value>, ApiError> {
    let lists = TodoList::objects().count(&db).await?;
    Ok(Json(
        json!({ "status": "ok", "backend": db.backend().to_string(), "lists": lists }),
    ))
}

/// A keyset page of `$model`'s QuerySet `$qs` as the listing asks, as JSON.
macro_rules! page_json {
    ($db:expr, $qs:expr, $listing:expr) => {{
        let listing = $listing;
        let mut pages = $qs
            .filter(listing.filter.clone())
            .keyset(&listing.order_names())
            .map_err(name_error)?;
        pages = match &listing.cursor {
            Some((Direction::After, c)) => pages
                .after(c)
                .map_err(|e| name_error(e).with("parameter", "after"))?,
            Some((Direction::Before, c)) => pages
                .before(c)
                .map_err(|e| name_error(e).with("parameter", "before"))?,
            None => pages,
        };
        let page = pages.page($db, listing.size).await?;
        Json(json!({ "results": page.rows, "next": page.next, "previous": page.previous }))
    }};
}

/// `GET /lists`: a page of lists (filters, `q`, `order`, `limit`, `after`, `before`).
pub async fn list_lists(
    State(db): State<Database>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Value>, ApiError> {
    let listing = Listing::<TodoList>::parse(&pairs, LIST_FIELDS)?;
    Ok(page_json!(&db, TodoList::objects(), listing))
}

/// `POST /lists`: a list and its first items, in one transaction: an invalid item or a
/// taken name writes nothing.
pub async fn create_list(
    State(db): State<Database>,
    JsonBody(body): JsonBody<NewListBody>,
) -> Result<impl IntoResponse, ApiError> {
    let list_form = NewTodoList {
        item_count: Some(body.items.len() as i64),
        ..NewTodoList::new(body.name)
    };
    // Every bad field of the list and of each item, before anything is written. The items
    // are checked with a placeholder list key: the list's key is not known yet.
    let mut bad = match list_form.validate() {
        Ok(()) => Vec::new(),
        Err(invalid) => field_errors("", &invalid),
    };
    let forms: Vec<ItemFields> = body.items;
    let mut item_forms = Vec::with_capacity(forms.len());
    for (i, fields) in forms.into_iter().enumerate() {
        let form = fields.form(0);
        if let Err(invalid) = form.validate() {
            bad.extend(field_errors(&format!("items[{i}]."), &invalid));
        }
        item_forms.push(form);
    }
    if !bad.is_empty() {
        return Err(ApiError::invalid(bad));
    }
    let (list, items) = db
        .transaction(async |conn| {
            let list = TodoList::objects().create(&mut *conn, list_form).await?;
            let forms = item_forms
                .into_iter()
                .map(|f| NewItem { list: list.id, ..f })
                .collect();
            let items = Item::objects().bulk_create(&mut *conn, forms).await?;
            Ok::<_, ApiError>((list, items))
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "list": list, "items": items })),
    ))
}

/// `GET /lists/{id}`.
pub async fn get_list(State(db): State<Database>, Id(id): Id) -> Result<Json<TodoList>, ApiError> {
    let list = TodoList::objects().get(&db, todo_lists::id.eq(id)).await;
    Ok(Json(found(list, "list", id)?))
}

/// `DELETE /lists/{id}`: the list and (ON DELETE CASCADE) its items.
pub async fn delete_list(State(db): State<Database>, Id(id): Id) -> Result<StatusCode, ApiError> {
    let n = TodoList::objects()
        .filter(todo_lists::id.eq(id))
        .delete(&db)
        .await?;
    if n == 0 {
        return Err(ApiError::not_found("list", id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /items`: a page of items (filters, `q`, `order`, `limit`, `after`, `before`).
pub async fn list_items(
    State(db): State<Database>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Value>, ApiError> {
    let listing = Listing::<Item>::parse(&pairs, ITEM_FIELDS)?;
    Ok(page_json!(&db, Item::objects(), listing))
}

/// `POST /items`: a new item, and its list's `item_count` raised by one, in one
/// transaction (two models). The count is raised by the database (`item_count + 1`), so
/// concurrent creations lose no increment.
pub async fn create_item(
    State(db): State<Database>,
    JsonBody(body): JsonBody<NewItemBody>,
) -> Result<impl IntoResponse, ApiError> {
    // Spelled out rather than `#[serde(flatten)]` over ItemFields: serde's flatten loses
    // the field's name from a type error and ignores deny_unknown_fields.
    let fields = ItemFields {
        title: body.title,
        done: body.done,
        priority: body.priority,
    };
    let form = fields.form(body.list);
    form.validate()?;
    let list = body.list;
    let item = db
        .transaction(async |conn| {
            let raised = TodoList::objects()
                .filter(todo_lists::id.eq(list))
                .update_with(
                    &mut *conn,
                    todo_lists::item_count.eq(todo_lists::item_count + 1),
                )
                .await?;
            if raised == 0 {
                return Err(ApiError::invalid_field(
                    "list",
                    "does_not_exist",
                    &format!("no list with id {list}"),
                ));
            }
            Ok(Item::objects().create(&mut *conn, form).await?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// `GET /items/{id}`.
pub async fn get_item(State(db): State<Database>, Id(id): Id) -> Result<Json<Item>, ApiError> {
    let item = Item::objects().get(&db, todo_items::id.eq(id)).await;
    Ok(Json(found(item, "item", id)?))
}

/// `PATCH /items/{id}`: changes the fields given, if the item is still at the version
/// the client names (`UPDATE ... WHERE id = ? AND version = ?`); otherwise 409 with the
/// item's current version. The answer is the stored item.
pub async fn update_item(
    State(db): State<Database>,
    Id(id): Id,
    JsonBody(patch): JsonBody<ItemPatch>,
) -> Result<Json<Item>, ApiError> {
    let changes = ItemChanges {
        title: patch.title,
        done: patch.done,
        priority: patch.priority,
        version: Some(patch.version + 1),
        ..Default::default()
    };
    changes.validate()?;
    let version = patch.version;
    let item = db
        .transaction(async |conn| {
            let n = Item::objects()
                .filter(todo_items::id.eq(id))
                .filter(todo_items::version.eq(version))
                .update(&mut *conn, changes)
                .await?;
            let current = Item::objects().get(&mut *conn, todo_items::id.eq(id)).await;
            let current = found(current, "item", id)?;
            if n == 0 {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "version_conflict",
                    format!(
                        "item {id} is at version {}, not {version}; read it again",
                        current.version
                    ),
                )
                .with("field", "version")
                .with("current_version", current.version));
            }
            Ok(current)
        })
        .await?;
    Ok(Json(item))
}

/// `DELETE /items/{id}`: the item, and its list's `item_count` lowered by one, in one
/// transaction.
pub async fn delete_item(State(db): State<Database>, Id(id): Id) -> Result<StatusCode, ApiError> {
    db.transaction(async |conn| {
        let item = Item::objects().get(&mut *conn, todo_items::id.eq(id)).await;
        let item = found(item, "item", id)?;
        let n = Item::objects()
            .filter(todo_items::id.eq(id))
            .delete(&mut *conn)
            .await?;
        if n == 0 {
            // Deleted by a concurrent request since the read above.
            return Err(ApiError::not_found("item", id));
        }
        TodoList::objects()
            .filter(todo_lists::id.eq(*item.list.pk()))
            .update_with(
                &mut *conn,
                todo_lists::item_count.eq(todo_lists::item_count - 1),
            )
            .await?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /stats`: per list, its items counted and their priorities' maximum and mean
/// (GROUP BY in the database), the fullest list first; the items may be filtered as in
/// `GET /items` (`/stats?done=false`).
pub async fn stats(
    State(db): State<Database>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Value>, ApiError> {
    let listing = Listing::<Item>::parse(&pairs, ITEM_FIELDS)?;
    let rows: Vec<Record> = Item::objects()
        .filter(listing.filter)
        .values(&["list", "list__name"])
        .and_then(|v| {
            v.annotate(&[
                ("items", Count("id")),
                ("top_priority", Max("priority")),
                ("mean_priority", Avg("priority")),
            ])
        })
        .and_then(|v| v.order_by(&["-items", "list"]))
        .map_err(name_error)?
        .limit(listing.size.into())
        .all(&db)
        .await?;
    Ok(Json(Value::Array(
        rows.into_iter().map(Value::from).collect(),
    )))
}
