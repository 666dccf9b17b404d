//! `cargo xtask migrate make NAME | apply | revert [N] | status | check`: the migration
//! workflow for the example models (`orm_suite::models::all_models`), or with `--app
//! todo-api` the example service's, on the database at `--database-url` (default
//! `$DATABASE_URL`; for todo-api then `sqlite://todo.db`), with the migration files under
//! `--dir` (default `migrations`, for todo-api `examples/todo-api/migrations`, one
//! directory per backend inside).

use orm::{Connection, DataLoss, MigrationDir};

use crate::app::{take_app, App};

/// A parsed `migrate` command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    /// `make`, `apply`, `revert`, `status` or `check`, with its positional arguments.
    pub command: Command,
    /// `--database-url`, else `$DATABASE_URL` (read when run).
    pub url: Option<String>,
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
    let mut dir = None;
    let mut allow_data_loss = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--database-url" => url = Some(it.next().ok_or("--database-url needs a URL")?.clone()),
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
    Ok(Args {
        command,
        url,
        dir: dir.unwrap_or_else(|| app.default_dir()),
        allow_data_loss,
        app,
    })
}

/// Runs a parsed command; `Err` carries the message to print before exiting non-zero.
pub fn run(args: Args) -> Result<(), String> {
    let url = args.app.url(args.url)?;
    let mut conn = Connection::establish(&url).map_err(|e| e.to_string())?;
    let dir = MigrationDir::new(&args.dir);
    let models = args.app.models();
    let backend = conn.backend();
    let text = |e: orm::Error| e.to_string();
    match args.command {
        Command::Make(name) => {
            let data_loss = if args.allow_data_loss {
                DataLoss::Allow
            } else {
                DataLoss::Refuse
            };
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
}
