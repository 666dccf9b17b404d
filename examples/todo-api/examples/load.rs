//! The load run: N concurrent HTTP clients send a fixed number of requests to the
//! service, half creating items (`POST /items`: a transaction over two tables) and half
//! listing them (`GET /items?list=..&order=-priority&limit=20`: a filtered, ordered keyset
//! page), and it prints the throughput, the p50 and p99 latencies and the error count.
//! Not a test: timings never go in tests. `cargo xtask load` runs it in release and saves
//! its output in `benches/results/`; BENCHMARKS.md quotes it.
//!
//! ```text
//! cargo run -p todo-api --release --example load -- [--clients 32] [--requests 5000]
//!     [--database-url URL]   the service's database (default: a new SQLite file in the
//!                            temporary directory); migrated, then emptied
//!     [--target http://...]  an already running service instead of one started here
//! ```
//!
//! Exits non-zero when any request failed (a transport error or a status other than
//! 2xx).

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use orm::prelude::*;
use serde_json::{json, Value};
use todo_api::models::{Item, TodoList};

/// The lists the items go into.
const LISTS: usize = 8;
/// Items each list starts with.
const ITEMS_PER_LIST: usize = 20;

struct Options {
    clients: usize,
    requests: usize,
    database_url: Option<String>,
    target: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        clients: 32,
        requests: 5000,
        database_url: None,
        target: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--clients" => options.clients = number(arg, value()?)?,
            "--requests" => options.requests = number(arg, value()?)?,
            "--database-url" => options.database_url = Some(value()?.clone()),
            "--target" => options.target = Some(value()?.clone()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} takes a number above 0, not {value:?}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(run(options)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One request's outcome.
#[derive(Clone, Copy)]
struct Sample {
    create: bool,
    latency: Duration,
    ok: bool,
}

/// Runs the load; returns the number of failed requests.
async fn run(options: Options) -> Result<usize, Box<dyn std::error::Error>> {
    let temp_file = std::env::temp_dir().join(format!("todo-load-{}.db", std::process::id()));
    let (base, backend, db) = match &options.target {
        Some(target) => (
            target.trim_end_matches('/').to_string(),
            "external".to_string(),
            None,
        ),
        None => {
            let url = options
                .database_url
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}", temp_file.display()));
            let db = orm::Database::connect(&url).await?;
            db.run_pending_migrations(&todo_api::migrations()).await?;
            Item::objects().delete(&db).await?;
            TodoList::objects().delete(&db).await?;
            let backend = format!("{} ({})", db.backend(), orm::url::masked(&url));
            let addr = todo_api::spawn(db.clone(), "127.0.0.1:0").await?;
            (format!("http://{addr}"), backend, Some(db))
        }
    };
    let client = reqwest::Client::new();

    // The lists, each with its first items.
    let mut lists = Vec::new();
    for n in 0..LISTS {
        let items: Vec<Value> = (0..ITEMS_PER_LIST)
            .map(|i| json!({ "title": format!("seed {n}.{i}"), "priority": (i % 6) as i64 }))
            .collect();
        let name = format!("load list {n} {}", std::process::id());
        let response = client
            .post(format!("{base}/lists"))
            .json(&json!({ "name": name, "items": items }))
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::CREATED {
            return Err(format!("creating a list: {}", response.text().await?).into());
        }
        let body: Value = response.json().await?;
        lists.push(body["list"]["id"].as_i64().ok_or("no list id")?);
    }
    let lists = Arc::new(lists);

    // A short warm-up (connections opened, statements prepared), not counted.
    let warm_up = options.clients * 4;
    drive(&client, &base, &lists, options.clients, 0..warm_up).await;

    let started = Instant::now();
    let samples = drive(
        &client,
        &base,
        &lists,
        options.clients,
        warm_up..warm_up + options.requests,
    )
    .await;
    let wall = started.elapsed();

    println!(
        "todo-api load: backend={backend} clients={} requests={} (half POST /items, half GET /items?list=..&order=-priority&limit=20)",
        options.clients, options.requests
    );
    println!(
        "{:<8} {:>9} {:>7} {:>9} {:>9} {:>9}",
        "op", "requests", "errors", "p50_ms", "p99_ms", "max_ms"
    );
    let mut errors = 0;
    for (name, pick) in [("create", Some(true)), ("list", Some(false)), ("all", None)] {
        let mut latencies: Vec<Duration> = samples
            .iter()
            .filter(|s| pick.is_none_or(|create| s.create == create))
            .map(|s| s.latency)
            .collect();
        let failed = samples
            .iter()
            .filter(|s| pick.is_none_or(|create| s.create == create) && !s.ok)
            .count();
        if pick.is_none() {
            errors = failed;
        }
        latencies.sort_unstable();
        println!(
            "{name:<8} {:>9} {failed:>7} {:>9.2} {:>9.2} {:>9.2}",
            latencies.len(),
            ms(percentile(&latencies, 50)),
            ms(percentile(&latencies, 99)),
            ms(latencies.last().copied().unwrap_or_default()),
        );
    }
    println!(
        "throughput: {:.1} requests/s ({} requests in {:.2} s)",
        samples.len() as f64 / wall.as_secs_f64(),
        samples.len(),
        wall.as_secs_f64()
    );
    println!("errors: {errors}");

    // Every create raised its list's count in the same transaction: the counts add up.
    if let Some(db) = &db {
        let rows = Item::objects().count(db).await?;
        let counted: i64 = TodoList::objects()
            .all(db)
            .await?
            .iter()
            .map(|l| l.item_count)
            .sum();
        println!(
            "check: {rows} item rows, lists' item_count sum {counted}: {}",
            if rows == counted {
                "equal"
            } else {
                "DIFFERENT"
            }
        );
        if rows != counted {
            errors += 1;
        }
    }
    let _ = std::fs::remove_file(&temp_file);
    for suffix in ["-wal", "-shm"] {
        let mut file = temp_file.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    Ok(errors)
}

/// Sends requests numbered `range` from `clients` concurrent tasks (even numbers create,
/// odd ones list); returns each one's outcome.
async fn drive(
    client: &reqwest::Client,
    base: &str,
    lists: &Arc<Vec<i64>>,
    clients: usize,
    range: std::ops::Range<usize>,
) -> Vec<Sample> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, lists, next) = (
            client.clone(),
            base.to_string(),
            lists.clone(),
            next.clone(),
        );
        let end = range.end;
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= end {
                    return samples;
                }
                let list = lists[n % lists.len()];
                let create = n % 2 == 0;
                let start = Instant::now();
                let request = if create {
                    client.post(format!("{base}/items")).json(&json!({
                        "list": list,
                        "title": format!("load {n}"),
                        "priority": (n % 6) as i64,
                    }))
                } else {
                    client.get(format!("{base}/items?list={list}&order=-priority&limit=20"))
                };
                let ok = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        let ok = status.is_success() && body.is_ok();
                        if !ok {
                            let text = body.map(|b| String::from_utf8_lossy(&b).into_owned());
                            eprintln!("request {n}: {status}: {text:?}");
                        }
                        ok
                    }
                    Err(e) => {
                        eprintln!("request {n}: {e}");
                        false
                    }
                };
                samples.push(Sample {
                    create,
                    latency: start.elapsed(),
                    ok,
                });
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("a client task"));
    }
    all
}

/// The `p`th percentile of sorted `latencies` (nearest rank).
fn percentile(latencies: &[Duration], p: usize) -> Duration {
    if latencies.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * latencies.len()).div_ceil(100).max(1);
    latencies[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
