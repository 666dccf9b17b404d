//! A to-do service on orm: an HTTP JSON API (axum) over lists and their items, on
//! embedded SQLite by default or PostgreSQL / MariaDB by `DATABASE_URL`. The schema comes
//! from the migrations in `examples/todo-api/migrations/`, made and applied by
//! `cargo xtask migrate ... --app todo-api`. See the README beside this crate.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | 200 while the database answers |
//! | `GET /lists`, `GET /items` | a keyset page; filters by name (allow-listed), `q`, `order`, `limit`, `after`, `before` |
//! | `POST /lists` | a list with its first items, in one transaction |
//! | `GET /lists/{id}`, `DELETE /lists/{id}` | one list; deleting it deletes its items |
//! | `POST /items` | an item, and its list's `item_count` raised, in one transaction |
//! | `GET /items/{id}`, `PATCH /items/{id}`, `DELETE /items/{id}` | one item; an update names the version it read |
//! | `GET /stats` | per list: items, top and mean priority (an aggregate by name) |

pub mod error;
pub mod extract;
pub mod handlers;
pub mod listing;
pub mod models;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use orm::{Database, ManageSchema, MigrationDir};
use tower::ServiceBuilder;

use crate::error::ApiError;

/// The database the service uses when `DATABASE_URL` is not set: a SQLite file in the
/// working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://todo.db";

/// The address the service listens on when `BIND` is not set.
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

/// The largest request body accepted (a larger one is a 413).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The directory of the service's migrations (one directory per backend inside), made
/// by `cargo xtask migrate make NAME --app todo-api`.
pub const MIGRATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");

/// [`MIGRATIONS_DIR`] as orm takes it.
pub fn migrations() -> MigrationDir {
    MigrationDir::new(MIGRATIONS_DIR)
}

/// The service's routes over `db`, with the body limit, the timeout and a log line per
/// request (`tracing`, target `todo_api`).
pub fn app(db: Database) -> Router {
    use handlers::*;
    Router::new()
        .route("/health", get(health))
        .route("/lists", get(list_lists).post(create_list))
        .route("/lists/{id}", get(get_list).delete(delete_list))
        .route("/items", get(list_items).post(create_item))
        .route(
            "/items/{id}",
            get(get_item).patch(update_item).delete(delete_item),
        )
        .route("/stats", get(stats))
        .fallback(not_found)
        .with_state(db)
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(log_request))
                .layer(HandleErrorLayer::new(timed_out))
                .timeout(REQUEST_TIMEOUT),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Why the service could not start.
#[derive(Debug)]
pub enum StartError {
    /// The database could not be reached, or its migrations read.
    Database(orm::Error),
    /// The schema is behind the migrations: the message says what to run.
    Pending(Vec<String>),
    /// The address could not be bound.
    Bind(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Database(e) => write!(f, "database: {e}"),
            StartError::Pending(versions) => write!(
                f,
                "{} migration(s) not applied ({}); run `cargo xtask migrate apply --app todo-api` \
                 with the same DATABASE_URL first",
                versions.len(),
                versions.join(", ")
            ),
            StartError::Bind(e) => write!(f, "cannot listen: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Connects to `url` and checks that every migration is applied.
pub async fn connect(url: &str) -> Result<Database, StartError> {
    let db = Database::connect(url).await.map_err(StartError::Database)?;
    let pending: Vec<String> = db
        .migration_status(&migrations())
        .await
        .map_err(StartError::Database)?
        .into_iter()
        .filter(|m| !m.applied)
        .map(|m| m.version)
        .collect();
    if pending.is_empty() {
        Ok(db)
    } else {
        Err(StartError::Pending(pending))
    }
}

/// Serves [`app`] over `db` on `addr` (port 0: any free port) in a task; returns the
/// address it listens on.
pub async fn spawn(db: Database, addr: &str) -> Result<SocketAddr, StartError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(StartError::Bind)?;
    let local = listener.local_addr().map_err(StartError::Bind)?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app(db)).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(local)
}

/// A JSON 404 for a path no route has.
async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

/// The answer when a request took longer than [`REQUEST_TIMEOUT`].
async fn timed_out(e: tower::BoxError) -> ApiError {
    if e.is::<tower::timeout::error::Elapsed>() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long",
        )
    } else {
        tracing::error!(error = %e, "middleware error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request failed on the server",
        )
    }
}

/// One `tracing` event per request: method, path, status, time taken.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_us = start.elapsed().as_micros() as u64,
        "request"
    );
    response
}
