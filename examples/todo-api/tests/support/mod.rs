//! The service under test: a fresh database per test on one backend (the workspace's
//! `orm_test_support::TestDb`: a temporary SQLite file, a PostgreSQL schema, a MariaDB
//! database, each `orm_t_*`, removed at the end), the migrations applied, and the service
//! listening on 127.0.0.1 on a free port, driven over real HTTP by reqwest.
//!
//! PostgreSQL and MariaDB run when `PG_DATABASE_URL` / `MYSQL_DATABASE_URL` are set; a
//! test prints `skipped` otherwise, or fails when `ORM_REQUIRE_ALL_BACKENDS=1`.

#![allow(dead_code)]

use std::future::Future;

use orm::{Backend, ManageSchema};
use orm_test_support::TestDb;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// Runs `body` against a fresh service on `backend`: once per test and backend.
pub fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Service) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let database = orm::Database::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", db.name));
        database
            .run_pending_migrations(&todo_api::migrations())
            .await
            .unwrap_or_else(|e| panic!("cannot migrate {}: {e}", db.name));
        let addr = todo_api::spawn(database.clone(), "127.0.0.1:0")
            .await
            .expect("the service listens");
        let service = Service {
            base: format!("http://{addr}"),
            client: Client::new(),
            db: database,
        };
        body(service).await;
    });
    // The runtime (and with it the service and its connections) goes before the database.
    drop(runtime);
    drop(db);
}

/// Generates one `#[test]` per backend that runs the async fn `$name(Service)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    $crate::support::run(orm::Backend::Sqlite, super::$name);
                }
                #[test]
                fn postgres() {
                    $crate::support::run(orm::Backend::Postgres, super::$name);
                }
                #[test]
                fn mysql() {
                    $crate::support::run(orm::Backend::Mysql, super::$name);
                }
            }
        )*
    };
}

/// The running service and a client for it.
#[derive(Debug, Clone)]
pub struct Service {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The HTTP client.
    pub client: Client,
    /// The service's database, to check what was written.
    pub db: orm::Database,
}

/// A response: its status and its JSON body (`Null` when it has none).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Value,
}

impl Service {
    /// Sends `method path` with `body` as JSON (none when `Null`).
    pub async fn call(&self, method: Method, path: &str, body: Value) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if !body.is_null() {
            request = request.json(&body);
        }
        answer(request.send().await.expect("the service answers")).await
    }

    /// Sends `method path` with `body` as it is, with `content_type` when given.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        answer(request.send().await.expect("the service answers")).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, Value::Null).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, body).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, body).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, Value::Null).await
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let bytes = response.bytes().await.expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "status {status}: the body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Answer { status, body }
}
