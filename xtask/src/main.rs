//! `cargo xtask`: project automation, run the same way by developers and CI.
//!
//! ```text
//! cargo xtask schema sql    --database-url URL   print the DDL of the example models
//! cargo xtask schema create --database-url URL   create their tables (idempotent)
//! cargo xtask schema drop   --database-url URL   drop their tables
//! cargo xtask test [ARGS...]                     cargo test --workspace on every backend
//!                                                 whose server answers
//! cargo xtask bench                               the ORM against hand-written diesel
//!                                                 (SQLite file; PostgreSQL if it answers):
//!                                                 W1-W5, W6 (pool throughput), A1 (async
//!                                                 API on SQLite), M1 (peak RSS streaming)
//! ```
//!
//! `--database-url` defaults to the `DATABASE_URL` environment variable.

use std::process::{Command, ExitCode};

use orm::{ddl, DatabaseUrl};
use orm_suite::models::all_models;

const USAGE: &str = "usage: cargo xtask schema <sql|create|drop> [--database-url URL]\n\
       cargo xtask test [extra cargo test arguments]\n\
       cargo xtask bench\n\
the URL defaults to $DATABASE_URL; schemes: sqlite://path, sqlite::memory:, postgres://, mysql://, mariadb://";

/// How long `cargo xtask test` waits for a server to answer.
const PROBE_TIMEOUT_SECS: u64 = 3;

/// The servers `cargo xtask test` tries when their variables are not set.
const SERVERS: [(&str, &str); 2] = [
    ("PG_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
    ("MYSQL_DATABASE_URL", "mysql://root@127.0.0.1:3306/test"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (command, rest) = match args {
        [test, rest @ ..] if test == "test" => return test_all(rest),
        [bench] if bench == "bench" => return bench_all(),
        [group, command, rest @ ..] if group == "schema" => (command.as_str(), rest),
        [help] if help == "help" || help == "--help" || help == "-h" => {
            println!("{USAGE}");
            return Ok(());
        }
        _ => return Err(format!("unknown command\n{USAGE}")),
    };
    let url = database_url(rest)?;
    match command {
        "sql" => {
            let backend = DatabaseUrl::parse(&url)
                .map_err(|e| e.to_string())?
                .backend();
            let statements =
                ddl::create_all_statements(&all_models(), backend, ddl::MysqlFlavor::default())
                    .map_err(|e| e.to_string())?;
            for statement in statements {
                if let Some(check) = &statement.when {
                    let state = if check.exists { "exists" } else { "is missing" };
                    println!("-- when constraint {} {state}", check.constraint);
                }
                println!("{};\n", statement.sql);
            }
            Ok(())
        }
        "create" | "drop" => {
            let mut conn = orm::Connection::establish(&url).map_err(|e| e.to_string())?;
            if command == "create" {
                conn.create_all(&all_models()).map_err(|e| e.to_string())?;
                println!(
                    "created {} tables on {}",
                    all_models().len(),
                    conn.backend()
                );
            } else {
                conn.drop_all(&all_models()).map_err(|e| e.to_string())?;
                println!(
                    "dropped {} tables on {}",
                    all_models().len(),
                    conn.backend()
                );
            }
            Ok(())
        }
        other => Err(format!("unknown schema command `{other}`\n{USAGE}")),
    }
}

/// Runs `cargo test --workspace` with the URL of every server that answers within a few
/// seconds; says which backends run and why the others do not.
fn test_all(extra: &[String]) -> Result<(), String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["test", "--workspace"]).args(extra);
    println!("sqlite: always tested (bundled)");
    for (var, default) in SERVERS {
        let url = std::env::var(var).unwrap_or_else(|_| default.to_string());
        match probe(&url) {
            Ok(()) => {
                println!("{var}: {} answers, testing it", orm::url::redact(&url));
                cmd.env(var, &url);
            }
            Err(e) => {
                println!("{var}: not tested: {e}");
                cmd.env_remove(var);
            }
        }
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo test failed ({status})"))
    }
}

/// Runs the benchmark (release build) on a SQLite file, and on PostgreSQL when it answers.
fn bench_all() -> Result<(), String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args([
        "bench",
        "--package",
        "orm-suite",
        "--bench",
        "orm_vs_diesel",
    ]);
    let (var, default) = SERVERS[0];
    let url = std::env::var(var).unwrap_or_else(|_| default.to_string());
    match probe(&url) {
        Ok(()) => {
            cmd.env(var, &url);
        }
        Err(e) => {
            println!("PostgreSQL not benchmarked: {e}");
            cmd.env_remove(var);
        }
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo bench failed ({status})"))
    }
}

/// Connects once with a short timeout: a server that does not answer is a message, not a
/// hang.
fn probe(url: &str) -> Result<(), String> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}connect_timeout={PROBE_TIMEOUT_SECS}");
    orm::Connection::establish(&url)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn database_url(args: &[String]) -> Result<String, String> {
    match args {
        [flag, url] if flag == "--database-url" => Ok(url.clone()),
        [] => std::env::var("DATABASE_URL")
            .map_err(|_| format!("no --database-url given and DATABASE_URL is not set\n{USAGE}")),
        _ => Err(format!("unexpected arguments {args:?}\n{USAGE}")),
    }
}
