//! The service over real HTTP, on SQLite, PostgreSQL and MariaDB: the happy paths, every
//! error status with its JSON body, bad input that writes nothing, and 64 clients
//! creating and updating items at once.

mod support;

use orm::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{Answer, Service};
use todo_api::models::{Item, TodoList};

backend_tests!(
    migrations_match_models,
    lists_and_items,
    listing_filters_order_and_pages,
    error_statuses,
    bad_input_writes_nothing,
    concurrent_clients,
);

/// Asserts the status, showing the body when it differs.
#[track_caller]
fn expect(answer: &Answer, status: StatusCode) -> &Value {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    &answer.body
}

/// Creates a list named `name` with items of these titles; returns (list id, item ids).
async fn make_list(s: &Service, name: &str, titles: &[&str]) -> (i64, Vec<i64>) {
    let items: Vec<Value> = titles.iter().map(|t| json!({ "title": t })).collect();
    let a = s
        .post("/lists", json!({ "name": name, "items": items }))
        .await;
    let body = expect(&a, StatusCode::CREATED);
    let ids = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    (body["list"]["id"].as_i64().unwrap(), ids)
}

/// The ids of a page's results.
fn ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The service's migrations (applied by `support::run`, as `cargo xtask migrate apply
/// --app todo-api` applies them) give exactly the models' schema, and reverting them
/// leaves no table behind.
async fn migrations_match_models(s: Service) {
    let models = todo_api::models::models();
    let pending = s.db.plan_migration(&models).await.unwrap();
    assert!(
        pending.is_empty(),
        "the models need a migration: {pending:?}"
    );
    let status =
        s.db.migration_status(&todo_api::migrations())
            .await
            .unwrap();
    assert!(
        !status.is_empty() && status.iter().all(|m| m.applied),
        "{status:?}"
    );
    expect(&s.get("/health").await, StatusCode::OK);
    let reverted =
        s.db.revert_migrations(&todo_api::migrations(), status.len())
            .await
            .unwrap();
    assert_eq!(reverted.len(), status.len());
    let tables: Vec<String> =
        s.db.introspect()
            .await
            .unwrap()
            .tables
            .iter()
            .map(|t| t.name.clone())
            .filter(|name| name.starts_with("todo_"))
            .collect();
    assert!(tables.is_empty(), "left behind: {tables:?}");
}

async fn lists_and_items(s: Service) {
    expect(&s.get("/health").await, StatusCode::OK);

    // A list with its items, in one transaction.
    let a = s
        .post(
            "/lists",
            json!({ "name": "home", "items": [{ "title": "milk" }, { "title": "eggs", "priority": 3, "done": true }] }),
        )
        .await;
    let body = expect(&a, StatusCode::CREATED);
    let list = body["list"]["id"].as_i64().unwrap();
    assert_eq!(body["list"]["name"], "home");
    assert_eq!(body["list"]["item_count"], 2);
    assert_eq!(body["items"][1]["priority"], 3);
    assert_eq!(body["items"][1]["done"], true);
    assert_eq!(body["items"][0]["list"], list);
    assert_eq!(body["items"][0]["version"], 1);

    // An item alone raises its list's count in the same transaction.
    let a = s
        .post(
            "/items",
            json!({ "list": list, "title": "bread", "priority": 1 }),
        )
        .await;
    let bread = expect(&a, StatusCode::CREATED).clone();
    assert_eq!(bread["title"], "bread");
    assert_eq!(bread["done"], false);
    let bread_id = bread["id"].as_i64().unwrap();
    let a = s.get(&format!("/lists/{list}")).await;
    assert_eq!(expect(&a, StatusCode::OK)["item_count"], 3);

    // Get, then update at the version read.
    let a = s.get(&format!("/items/{bread_id}")).await;
    assert_eq!(expect(&a, StatusCode::OK), &bread);
    let a = s
        .patch(
            &format!("/items/{bread_id}"),
            json!({ "version": 1, "done": true, "title": "rye bread" }),
        )
        .await;
    let updated = expect(&a, StatusCode::OK);
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["done"], true);
    assert_eq!(updated["title"], "rye bread");
    assert_eq!(updated["priority"], 1);
    let stored = Item::objects()
        .get(&s.db, todo_api::models::todo_items::id.eq(bread_id))
        .await
        .unwrap();
    assert_eq!((stored.version, stored.done), (2, true));
    assert_eq!(stored.title, "rye bread");

    // The aggregate: one record per list, the fullest first.
    let (other, _) = make_list(&s, "work", &["mail"]).await;
    let a = s.get("/stats").await;
    let stats = expect(&a, StatusCode::OK).as_array().unwrap().clone();
    assert_eq!(stats.len(), 2, "{stats:?}");
    let mean = |row: &Value| -> f64 { row["mean_priority"].as_str().unwrap().parse().unwrap() };
    for (row, (id, name, n, top, avg)) in stats
        .iter()
        .zip([(list, "home", 3, 3, 4.0 / 3.0), (other, "work", 1, 0, 0.0)])
    {
        assert_eq!(row["list"], id, "{row}");
        assert_eq!(row["list__name"], name, "{row}");
        assert_eq!(row["items"], n, "{row}");
        assert_eq!(row["top_priority"], top, "{row}");
        // A decimal, as exact text; each backend gives it its own number of places
        // (MariaDB 4).
        assert!((mean(row) - avg).abs() < 1e-3, "{row}");
    }
    let a = s.get("/stats?done=false").await;
    let open = expect(&a, StatusCode::OK);
    assert_eq!(open[0]["list"], list);
    assert_eq!(open[0]["items"], 1); // milk; eggs and bread are done

    // Deleting an item lowers the count; deleting the list deletes its items.
    expect(
        &s.delete(&format!("/items/{bread_id}")).await,
        StatusCode::NO_CONTENT,
    );
    let a = s.get(&format!("/lists/{list}")).await;
    assert_eq!(expect(&a, StatusCode::OK)["item_count"], 2);
    expect(
        &s.get(&format!("/items/{bread_id}")).await,
        StatusCode::NOT_FOUND,
    );
    expect(
        &s.delete(&format!("/lists/{list}")).await,
        StatusCode::NO_CONTENT,
    );
    expect(
        &s.get(&format!("/lists/{list}")).await,
        StatusCode::NOT_FOUND,
    );
    let left = Item::objects().count(&s.db).await.unwrap();
    assert_eq!(left, 1, "only the other list's item is left");
}

async fn listing_filters_order_and_pages(s: Service) {
    let titles: Vec<String> = (0..25).map(|i| format!("task {i:02}")).collect();
    let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
    let (list, item_ids) = make_list(&s, "big", &refs).await;
    let (other, _) = make_list(&s, "small", &["Buy MILK", "call"]).await;
    // Priorities 0..5 by position; every third done.
    for (i, id) in item_ids.iter().enumerate() {
        let a = s
            .patch(
                &format!("/items/{id}"),
                json!({ "version": 1, "priority": (i % 6) as i64, "done": i % 3 == 0 }),
            )
            .await;
        expect(&a, StatusCode::OK);
    }

    // Filters by name, through the allow-list, on the list's own field and through the
    // foreign key.
    let a = s.get(&format!("/items?list={list}&limit=100")).await;
    assert_eq!(ids(expect(&a, StatusCode::OK)), item_ids);
    let a = s.get("/items?list__name=small").await;
    assert_eq!(ids(expect(&a, StatusCode::OK)).len(), 2);
    let a = s
        .get(&format!(
            "/items?list={list}&done=true&priority__gte=3&limit=100"
        ))
        .await;
    let want: Vec<i64> = item_ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 0 && i % 6 >= 3)
        .map(|(_, id)| *id)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(expect(&a, StatusCode::OK)), want);
    let a = s.get("/items?title__in=call,task%2003").await;
    assert_eq!(ids(expect(&a, StatusCode::OK)).len(), 2);

    // Search over the text fields, ignoring case.
    let a = s.get("/items?q=milk").await;
    let found = expect(&a, StatusCode::OK);
    assert_eq!(found["results"][0]["title"], "Buy MILK");
    assert_eq!(found["results"][0]["list"], other);
    assert_eq!(ids(found).len(), 1);

    // Ordering by name: priority descending, then the key.
    let a = s
        .get(&format!("/items?list={list}&order=-priority&limit=100"))
        .await;
    let got = ids(expect(&a, StatusCode::OK));
    let mut want: Vec<(usize, i64)> = item_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (i % 6, *id))
        .collect();
    want.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());

    // Keyset pages of 10: every item exactly once, then back.
    let base = format!("/items?list={list}&order=title&limit=10");
    let mut seen = Vec::new();
    let mut page = expect(&s.get(&base).await, StatusCode::OK).clone();
    let mut pages = vec![page.clone()];
    while let Some(next) = page["next"].as_str() {
        seen.extend(ids(&page));
        page = expect(
            &s.get(&format!("{base}&after={next}")).await,
            StatusCode::OK,
        )
        .clone();
        pages.push(page.clone());
    }
    seen.extend(ids(&page));
    assert_eq!(pages.len(), 3);
    assert_eq!(seen, item_ids, "titles sort as the ids were made");
    let previous = pages[2]["previous"].as_str().expect("a previous cursor");
    let back = s.get(&format!("{base}&before={previous}")).await;
    assert_eq!(ids(expect(&back, StatusCode::OK)), ids(&pages[1]));

    // Lists have their own allow-list.
    let a = s.get("/lists?order=-item_count&limit=1").await;
    assert_eq!(expect(&a, StatusCode::OK)["results"][0]["name"], "big");
    let a = s.get("/lists?name__startswith=sm").await;
    assert_eq!(ids(expect(&a, StatusCode::OK)), vec![other]);
}

async fn error_statuses(s: Service) {
    let (list, items) = make_list(&s, "home", &["milk"]).await;
    let item = items[0];

    // 404: no such row, no such route.
    let a = s.get("/lists/999999").await;
    assert_eq!(expect(&a, StatusCode::NOT_FOUND)["error"], "not_found");
    expect(&s.get("/items/999999").await, StatusCode::NOT_FOUND);
    expect(&s.delete("/items/999999").await, StatusCode::NOT_FOUND);
    expect(&s.delete("/lists/999999").await, StatusCode::NOT_FOUND);
    let a = s
        .patch("/items/999999", json!({ "version": 1, "done": true }))
        .await;
    expect(&a, StatusCode::NOT_FOUND);
    assert_eq!(
        expect(&s.get("/nope").await, StatusCode::NOT_FOUND)["error"],
        "no_route"
    );

    // 422: one entry per bad field, with orm's codes and messages.
    let a = s
        .post(
            "/lists",
            json!({ "name": "", "items": [{ "title": "ok" }, { "title": "x".repeat(201), "priority": 9 }] }),
        )
        .await;
    let body = expect(&a, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "validation");
    let fields: Vec<(&str, &str)> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("name", "blank"),
            ("items[1].title", "max_length"),
            ("items[1].priority", "maximum"),
        ]
    );
    assert_eq!(
        body["fields"][1]["message"],
        "ensure this value has at most 200 characters"
    );
    let a = s
        .post(
            "/items",
            json!({ "list": list, "title": "", "priority": -1 }),
        )
        .await;
    let body = expect(&a, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"].as_array().unwrap().len(), 2, "{body}");
    let a = s
        .patch(
            &format!("/items/{item}"),
            json!({ "version": 1, "priority": 6 }),
        )
        .await;
    assert_eq!(
        expect(&a, StatusCode::UNPROCESSABLE_ENTITY)["fields"][0]["field"],
        "priority"
    );
    let a = s
        .post("/items", json!({ "list": 999999, "title": "orphan" }))
        .await;
    let body = expect(&a, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "list");
    assert_eq!(body["fields"][0]["code"], "does_not_exist");

    // 409: a unique violation names the field; an update at an old version is refused.
    let a = s.post("/lists", json!({ "name": "home" })).await;
    let body = expect(&a, StatusCode::CONFLICT);
    assert_eq!(body["error"], "conflict");
    assert_eq!(body["field"], "name");
    expect(
        &s.patch(
            &format!("/items/{item}"),
            json!({ "version": 1, "done": true }),
        )
        .await,
        StatusCode::OK,
    );
    let a = s
        .patch(
            &format!("/items/{item}"),
            json!({ "version": 1, "done": false }),
        )
        .await;
    let body = expect(&a, StatusCode::CONFLICT);
    assert_eq!(body["error"], "version_conflict");
    assert_eq!(body["current_version"], 2);

    // 400: query strings outside the allow-list or that orm refuses, naming the field.
    for (query, field) in [
        ("/items?secret=1", "secret"),
        ("/items?list__item_count=1", "list__item_count"),
        ("/items?title__like=m", "title"),
        ("/items?updated__year__like=1", "updated"),
        ("/items?priority=high", "priority"),
        ("/items?done=maybe", "done"),
        ("/items?updated__hour__gte=x", "updated"),
        ("/items?order=-secret", "secret"),
        ("/lists?item_count__icontains=1", "item_count"),
    ] {
        let a = s.get(query).await;
        let body = expect(&a, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "bad_query", "{query}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    for query in [
        "/items?limit=0",
        "/items?limit=many",
        "/items?after=garbage",
        "/items?before=garbage",
        "/items?after=a&before=b",
    ] {
        let a = s.get(query).await;
        assert_eq!(
            expect(&a, StatusCode::BAD_REQUEST)["error"],
            "bad_query",
            "{query}"
        );
    }
    // A cursor of another ordering is refused too.
    make_list(&s, "second", &["a", "b"]).await;
    let a = s.get("/items?order=title&limit=1").await;
    let cursor = expect(&a, StatusCode::OK)["next"]
        .as_str()
        .unwrap()
        .to_string();
    let a = s
        .get(&format!("/items?order=title&limit=1&after={cursor}"))
        .await;
    assert_eq!(ids(expect(&a, StatusCode::OK)).len(), 1);
    let a = s
        .get(&format!("/items?order=-priority&after={cursor}"))
        .await;
    assert_eq!(expect(&a, StatusCode::BAD_REQUEST)["parameter"], "after");

    // 400 an id that is not a number.
    let a = s.get("/items/abc").await;
    let body = expect(&a, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_path");
    assert_eq!(body["parameter"], "id");
    expect(&s.delete("/lists/1x").await, StatusCode::BAD_REQUEST);

    expect(&s.get("/health").await, StatusCode::OK);
}

/// A request that must be refused with `status` and an `error` code, and whose message
/// names `names`.
async fn refused(s: &Service, a: Answer, status: StatusCode, code: &str, names: &str) {
    let body = expect(&a, status);
    assert_eq!(body["error"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(names), "{message:?} should name {names:?}");
    // The service keeps serving.
    expect(&s.get("/health").await, StatusCode::OK);
}

async fn bad_input_writes_nothing(s: Service) {
    let (list, items) = make_list(&s, "home", &["milk"]).await;
    let item = items[0];
    let json_ct = Some("application/json");

    // Malformed JSON.
    let a = s
        .send_raw(Method::POST, "/lists", json_ct, br#"{"name": "x""#.to_vec())
        .await;
    refused(&s, a, StatusCode::BAD_REQUEST, "malformed_json", "EOF").await;
    // A wrong type in a field, named by its path.
    let a = s
        .post(
            "/items",
            json!({ "list": list, "title": "t", "priority": "high" }),
        )
        .await;
    refused(
        &s,
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_field",
        "priority",
    )
    .await;
    let a = s
        .post("/lists", json!({ "name": "n", "items": [{ "title": 7 }] }))
        .await;
    refused(
        &s,
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_field",
        "items[0].title",
    )
    .await;
    // A missing required field.
    let a = s.post("/items", json!({ "list": list })).await;
    refused(
        &s,
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_field",
        "title",
    )
    .await;
    let a = s
        .patch(&format!("/items/{item}"), json!({ "done": true }))
        .await;
    refused(
        &s,
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_field",
        "version",
    )
    .await;
    // A field the client may not set.
    let a = s
        .post("/lists", json!({ "name": "n", "item_count": 5 }))
        .await;
    refused(
        &s,
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_field",
        "item_count",
    )
    .await;
    // An oversized body.
    let big = format!(r#"{{"name": "{}"}}"#, "a".repeat(todo_api::BODY_LIMIT));
    let a = s
        .send_raw(Method::POST, "/lists", json_ct, big.into_bytes())
        .await;
    refused(&s, a, StatusCode::PAYLOAD_TOO_LARGE, "too_large", "limit").await;
    // Not JSON at all.
    let a = s
        .send_raw(
            Method::POST,
            "/lists",
            Some("text/plain"),
            b"name=x".to_vec(),
        )
        .await;
    refused(
        &s,
        a,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_json",
        "Content-Type",
    )
    .await;
    // An id that is not a number.
    let a = s
        .patch("/items/one", json!({ "version": 1, "done": true }))
        .await;
    refused(&s, a, StatusCode::BAD_REQUEST, "bad_path", "one").await;
    // A filter on a field not allowed.
    let a = s
        .get("/items?version__gt=0&title=milk&list__secret=1")
        .await;
    refused(&s, a, StatusCode::BAD_REQUEST, "bad_query", "list__secret").await;
    // A new list with one bad item: neither the list nor its good items are written.
    let a = s
        .post(
            "/lists",
            json!({ "name": "partial", "items": [{ "title": "fine" }, { "title": "" }] }),
        )
        .await;
    refused(
        &s,
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
        "invalid",
    )
    .await;

    // Nothing was written: the one list and its one unchanged item.
    let lists = TodoList::objects().all(&s.db).await.unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!((lists[0].id, lists[0].item_count), (list, 1));
    let all = Item::objects().all(&s.db).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].id, all[0].version, all[0].done), (item, 1, false));
}

/// 64 clients at once, each creating an item in one shared list, then changing a shared
/// item by read-and-update at the version read (retrying on 409). No answer is a 5xx;
/// the list's count matches its items (no increment lost), and the shared item's version
/// is one more per client (no update lost).
async fn concurrent_clients(s: Service) {
    const CLIENTS: i64 = 64;
    let (list, shared) = make_list(&s, "shared", &["counter"]).await;
    let shared = shared[0];
    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            let a = s
                .post(
                    "/items",
                    json!({ "list": list, "title": format!("client {n}") }),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "client {n}: {}", a.body);
            let own = a.body["id"].as_i64().unwrap();
            let a = s
                .patch(
                    &format!("/items/{own}"),
                    json!({ "version": 1, "priority": n % 6 }),
                )
                .await;
            assert_eq!(a.status, StatusCode::OK, "client {n}: {}", a.body);
            loop {
                let a = s.get(&format!("/items/{shared}")).await;
                assert_eq!(a.status, StatusCode::OK, "client {n}: {}", a.body);
                let version = a.body["version"].as_i64().unwrap();
                let a = s
                    .patch(
                        &format!("/items/{shared}"),
                        json!({ "version": version, "title": format!("last written by {n}") }),
                    )
                    .await;
                match a.status {
                    StatusCode::OK => break,
                    StatusCode::CONFLICT => conflicts += 1,
                    other => panic!("client {n}: {other} {}", a.body),
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.expect("a client task");
    }
    println!("{CLIENTS} clients: {conflicts} version conflicts retried");

    let stored = TodoList::objects()
        .get(&s.db, todo_api::models::todo_lists::id.eq(list))
        .await
        .unwrap();
    let items = Item::objects()
        .filter(todo_api::models::todo_items::list.eq(list))
        .all(&s.db)
        .await
        .unwrap();
    assert_eq!(items.len() as i64, CLIENTS + 1);
    assert_eq!(stored.item_count, CLIENTS + 1, "an increment was lost");
    let counter = items.iter().find(|i| i.id == shared).unwrap();
    assert_eq!(counter.version, CLIENTS + 1, "an update was lost");
    for item in items.iter().filter(|i| i.id != shared) {
        assert_eq!(item.version, 2, "{item:?}");
    }
}
