//! `cargo xtask migrate make NAME | apply | revert [N] | status | check`: the migration
//! workflow for the example models (`orm_suite::models::all_models`), or with `--app
//! todo-api` the example service's, with the migration files under `--dir` (default
//! `migrations`, for todo-api `examples/todo-api/migrations`, one directory per backend
//! inside).
//!
//! `apply`, `revert` and `status` work on the database at `--database-url` (default
//! `$DATABASE_URL`; for todo-api then `sqlite://todo.db`). `make` and `check` work from
//! the files alone unless `--database-url` is given: each backend's migrations are
//! replayed into a scratch database (SQLite in memory always; PostgreSQL and
//! MySQL/MariaDB on the server of `--postgres-url` / `--mysql-url`, default
//! `$PG_DATABASE_URL` / `$MYSQL_DATABASE_URL`, in a scratch schema or database dropped
//! afterwards), `make` writes one migration of one version to every such backend, and
//! `check` compares each with the models and the directories with each other. With
//! `--database-url` they diff that live database instead, for its backend only.

use orm::{Backend, Connection, DataLoss, Drift, ManageSchema, MigrationDir, Scratch};

use crate::app::{take_app, App};

/// A parsed `migrate` command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    /// `make`, `apply`, `revert`, `status` or `check`, with its positional arguments.
    pub command: Command,
    /// `--database-url`: the live database; for `apply`, `revert` and `status` else
    /// `$DATABASE_URL` (read when run); `make` and `check` work from the files without it.
    pub url: Option<String>,
    /// `--postgres-url`: the PostgreSQL server `make`/`check` replay into, else
    /// `$PG_DATABASE_URL` (read when run).
    pub postgres_url: Option<String>,
    /// `--mysql-url`: the MySQL/MariaDB server `make`/`check` replay into, else
    /// `$MYSQL_DATABASE_URL` (read when run).
    pub mysql_url: Option<String>,
    /// `--dir`.
    pub dir: String,
    /// `--allow-data-loss` (for `make`).
    pub allow_data_loss: bool,
    /// `--app`: whose models and migrations (default the example models).
    pub app: App,
}

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Write a new migration named so.
    Make(String),
    /// Apply the pending migrations.
    Apply,
    /// Revert that many migrations.
    Revert(usize),
    /// List the migrations and whether each is applied.
    Status,
    /// Fail unless every migration is applied and the models need no new one.
    Check,
}

/// Parses the words after `migrate`.
pub fn parse(args: &[String]) -> Result<Args, String> {
    let (app, args) = take_app(args)?;
    let mut positional = Vec::new();
    let mut url = None;
    let mut postgres_url = None;
    let mut mysql_url = None;
    let mut dir = None;
    let mut allow_data_loss = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--database-url" => url = Some(it.next().ok_or("--database-url needs a URL")?.clone()),
            "--postgres-url" => {
                postgres_url = Some(it.next().ok_or("--postgres-url needs a URL")?.clone());
            }
            "--mysql-url" => mysql_url = Some(it.next().ok_or("--mysql-url needs a URL")?.clone()),
            "--dir" => dir = Some(it.next().ok_or("--dir needs a directory")?.clone()),
            "--allow-data-loss" => allow_data_loss = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            word => positional.push(word),
        }
    }
    let command = match positional.as_slice() {
        ["make", name] => Command::Make(name.to_string()),
        ["apply"] => Command::Apply,
        ["revert"] => Command::Revert(1),
        ["revert", n] => Command::Revert(
            n.parse()
                .map_err(|_| format!("`revert {n}`: the count must be a number"))?,
        ),
        ["status"] => Command::Status,
        ["check"] => Command::Check,
        other => return Err(format!("unknown migrate command {other:?}")),
    };
    let replaying = matches!(command, Command::Make(_) | Command::Check);
    if !replaying && (postgres_url.is_some() || mysql_url.is_some()) {
        return Err("--postgres-url and --mysql-url are for `make` and `check`".into());
    }
    if url.is_some() && (postgres_url.is_some() || mysql_url.is_some()) {
        return Err(
            "--database-url (a live database) and --postgres-url/--mysql-url (scratch \
             databases for the files) exclude each other"
                .into(),
        );
    }
    Ok(Args {
        command,
        url,
        postgres_url,
        mysql_url,
        dir: dir.unwrap_or_else(|| app.default_dir()),
        allow_data_loss,
        app,
    })
}

/// The variables `--postgres-url` and `--mysql-url` default to (the test suite's).
pub const SERVER_VARS: [(Backend, &str); 2] = [
    (Backend::Postgres, "PG_DATABASE_URL"),
    (Backend::Mysql, "MYSQL_DATABASE_URL"),
];

/// Runs a parsed command; `Err` carries the message to print before exiting non-zero.
pub fn run(args: Args) -> Result<(), String> {
    let dir = MigrationDir::new(&args.dir);
    let models = args.app.models();
    let text = |e: orm::Error| e.to_string();
    let data_loss = if args.allow_data_loss {
        DataLoss::Allow
    } else {
        DataLoss::Refuse
    };
    if args.url.is_none() {
        match &args.command {
            Command::Make(name) => {
                let scratches = scratches(&args, |var| std::env::var(var).ok())?;
                let made = dir
                    .make(&scratches, name, &models, data_loss)
                    .map_err(text)?;
                for m in made {
                    match m.migration {
                        None => println!(
                            "{}: the migrations match the models; nothing to write",
                            m.backend
                        ),
                        Some(migration) => {
                            let path = dir.path(m.backend).join(&migration.name);
                            println!("{}: wrote {}", m.backend, path.display());
                            for line in migration.up.lines().take_while(|l| l.starts_with("--")) {
                                println!("{line}");
                            }
                        }
                    }
                }
                return Ok(());
            }
            Command::Check => {
                let scratches = scratches(&args, |var| std::env::var(var).ok())?;
                let drifts = dir.check(&scratches, &models).map_err(text)?;
                if !drifts.is_empty() {
                    let list: Vec<String> = drifts.iter().map(Drift::to_string).collect();
                    return Err(format!(
                        "the migrations differ (cargo xtask migrate make NAME):\n{}",
                        list.join("\n")
                    ));
                }
                for s in &scratches {
                    println!("{}: the migrations match the models", s.backend());
                }
                return Ok(());
            }
            _ => {}
        }
    }
    let url = args.app.url(args.url)?;
    let mut conn = Connection::establish(&url).map_err(|e| e.to_string())?;
    let backend = conn.backend();
    match args.command {
        Command::Make(name) => {
            match conn
                .make_migration(&dir, &name, &models, data_loss)
                .map_err(text)?
            {
                None => println!("{backend}: the database matches the models; nothing to write"),
                Some(m) => {
                    let path = dir.path(backend).join(&m.name);
                    println!("{backend}: wrote {}", path.display());
                    for line in m.up.lines().take_while(|l| l.starts_with("--")) {
                        println!("{line}");
                    }
                }
            }
        }
        Command::Apply => {
            let done = conn.run_pending_migrations(&dir).map_err(text)?;
            println!("{backend}: applied {} migration(s) {done:?}", done.len());
        }
        Command::Revert(n) => {
            let done = conn.revert_migrations(&dir, n).map_err(text)?;
            println!("{backend}: reverted {} migration(s) {done:?}", done.len());
        }
        Command::Status => {
            for s in conn.migration_status(&dir).map_err(text)? {
                let mark = if s.applied { "applied" } else { "pending" };
                let name = s.name.as_deref().unwrap_or("(no directory)");
                let problem = s.problem.map(|p| format!(" ({p})")).unwrap_or_default();
                println!("{mark:8} {} {name}{problem}", s.version);
            }
        }
        Command::Check => {
            let status = conn.migration_status(&dir).map_err(text)?;
            let pending: Vec<&str> = status
                .iter()
                .filter(|s| !s.applied)
                .map(|s| s.version.as_str())
                .collect();
            if !pending.is_empty() {
                return Err(format!("{backend}: migrations not applied: {pending:?}"));
            }
            if let Some(s) = status.iter().find(|s| s.problem.is_some()) {
                let problem = s.problem.as_deref().unwrap_or_default();
                return Err(format!("{backend}: migration {}: {problem}", s.version));
            }
            let ops = conn.plan_migration(&models).map_err(text)?;
            if !ops.is_empty() {
                let list: Vec<String> = ops.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "{backend}: the models need a new migration (cargo xtask migrate make NAME):\n  {}",
                    list.join("\n  ")
                ));
            }
            println!("{backend}: the migrations are applied and match the models");
        }
    }
    Ok(())
}

/// The scratch databases `make` and `check` replay into without `--database-url`:
/// SQLite in memory, then PostgreSQL and MySQL/MariaDB where `--postgres-url` /
/// `--mysql-url` or their variable (read through `env`) names a server. Prints the
/// backends left out.
pub fn scratches(
    args: &Args,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Scratch>, String> {
    let mut out = vec![Scratch::sqlite()];
    for (backend, var) in SERVER_VARS {
        let flag = match backend {
            Backend::Postgres => &args.postgres_url,
            _ => &args.mysql_url,
        };
        let url = flag
            .clone()
            .or_else(|| env(var).filter(|u| !u.trim().is_empty()));
        match url {
            Some(url) => {
                let scratch = Scratch::server(&url).map_err(|e| e.to_string())?;
                if scratch.backend() != backend {
                    return Err(format!(
                        "the {backend} server URL names {} (--{}-url or {var})",
                        scratch.backend(),
                        backend.name()
                    ));
                }
                out.push(scratch);
            }
            None => println!(
                "{backend}: left out (no --{}-url and {var} is not set)",
                backend.name()
            ),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &str) -> Result<Args, String> {
        parse(
            &words
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn parses_each_command() {
        let a = args("make add_tags --dir db/migrations --allow-data-loss").unwrap();
        assert_eq!(a.command, Command::Make("add_tags".into()));
        assert_eq!(a.dir, "db/migrations");
        assert!(a.allow_data_loss);
        assert_eq!(args("revert").unwrap().command, Command::Revert(1));
        assert_eq!(
            args("revert 3 --database-url sqlite://x.db")
                .unwrap()
                .url
                .as_deref(),
            Some("sqlite://x.db")
        );
        assert_eq!(args("check").unwrap().command, Command::Check);
        assert!(args("revert many").unwrap_err().contains("number"));
        assert!(args("make").is_err());
        assert!(args("apply --force").unwrap_err().contains("--force"));
        assert_eq!(args("apply").unwrap().app, App::Examples);
        assert_eq!(args("apply").unwrap().dir, "migrations");
        let todo = args("status --app todo-api").unwrap();
        assert_eq!(todo.app, App::TodoApi);
        assert_eq!(todo.dir, todo_api::MIGRATIONS_DIR);
        assert_eq!(args("check --app todo-api --dir d").unwrap().dir, "d");
        assert!(args("apply --app nope").unwrap_err().contains("nope"));
    }

    #[test]
    fn parses_the_scratch_servers() {
        let a = args("make add_tags --postgres-url postgres://p@h/db --mysql-url mysql://m@h/db")
            .unwrap();
        assert_eq!(a.postgres_url.as_deref(), Some("postgres://p@h/db"));
        assert_eq!(a.mysql_url.as_deref(), Some("mysql://m@h/db"));
        assert_eq!(a.url, None);
        let c = args("check --postgres-url postgres://p@h/db").unwrap();
        assert_eq!(c.command, Command::Check);
        assert_eq!(c.mysql_url, None);
        assert!(args("make x --postgres-url")
            .unwrap_err()
            .contains("needs a URL"));
        assert!(args("apply --postgres-url postgres://p@h/db")
            .unwrap_err()
            .contains("for `make` and `check`"));
        assert!(
            args("make x --database-url sqlite://x.db --mysql-url mysql://m@h/db")
                .unwrap_err()
                .contains("exclude each other")
        );
        // The live database alone is still accepted for make and check.
        assert_eq!(
            args("check --database-url sqlite://x.db")
                .unwrap()
                .url
                .as_deref(),
            Some("sqlite://x.db")
        );
    }

    #[test]
    fn scratches_come_from_the_flags_then_the_variables() {
        let none = |_: &str| None;
        let only_sqlite = scratches(&args("make x").unwrap(), none).unwrap();
        assert_eq!(
            only_sqlite.iter().map(Scratch::backend).collect::<Vec<_>>(),
            [Backend::Sqlite]
        );
        let env = |var: &str| match var {
            "PG_DATABASE_URL" => Some("postgres://p@h/db".to_string()),
            "MYSQL_DATABASE_URL" => Some("   ".to_string()),
            _ => None,
        };
        let from_env = scratches(&args("check").unwrap(), env).unwrap();
        assert_eq!(
            from_env.iter().map(Scratch::backend).collect::<Vec<_>>(),
            [Backend::Sqlite, Backend::Postgres]
        );
        let flags = args("make x --mysql-url mariadb://m@h/db").unwrap();
        let all = scratches(&flags, env).unwrap();
        assert_eq!(
            all.iter().map(Scratch::backend).collect::<Vec<_>>(),
            [Backend::Sqlite, Backend::Postgres, Backend::Mysql]
        );
        let crossed = args("make x --postgres-url mysql://m@h/db").unwrap();
        assert!(scratches(&crossed, none)
            .unwrap_err()
            .contains("names mysql"));
        let bad = args("make x --mysql-url nope://h").unwrap();
        assert!(scratches(&bad, none).is_err());
    }
}
