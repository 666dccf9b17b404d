//! `cargo xtask`: project automation, run the same way by developers and CI.
//!
//! ```text
//! cargo xtask schema sql    --database-url URL   print the DDL of the example models
//! cargo xtask schema create --database-url URL   create their tables (idempotent)
//! cargo xtask schema drop   --database-url URL   drop their tables
//! ```
//!
//! `--database-url` defaults to the `DATABASE_URL` environment variable.

use std::process::ExitCode;

use orm::{ddl, DatabaseUrl};
use orm_suite::models::all_models;

const USAGE: &str = "usage: cargo xtask schema <sql|create|drop> [--database-url URL]\n\
the URL defaults to $DATABASE_URL; schemes: sqlite://path, sqlite::memory:, postgres://, mysql://, mariadb://";

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
            let order = ddl::creation_order(&all_models()).map_err(|e| e.to_string())?;
            for meta in order {
                for statement in ddl::create_table(meta, backend) {
                    println!("{statement};\n");
                }
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

fn database_url(args: &[String]) -> Result<String, String> {
    match args {
        [flag, url] if flag == "--database-url" => Ok(url.clone()),
        [] => std::env::var("DATABASE_URL")
            .map_err(|_| format!("no --database-url given and DATABASE_URL is not set\n{USAGE}")),
        _ => Err(format!("unexpected arguments {args:?}\n{USAGE}")),
    }
}
