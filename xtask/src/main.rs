//! `cargo xtask`: project automation, run the same way by developers and CI.
//!
//! ```text
//! cargo xtask schema sql    --database-url URL   print the DDL of the example models
//! cargo xtask schema create --database-url URL   create their tables (idempotent)
//! cargo xtask schema drop   --database-url URL   drop their tables
//! cargo xtask migrate make NAME [--allow-data-loss] [--postgres-url URL] [--mysql-url URL]
//!                                                 write a migration taking every backend's
//!                                                 migrations to the example models, one
//!                                                 version for all (files under --dir,
//!                                                 default migrations/<backend>/); each
//!                                                 backend's files replayed into a scratch
//!                                                 database: SQLite in memory, PostgreSQL
//!                                                 and MySQL/MariaDB on the server of
//!                                                 --postgres-url/--mysql-url (default
//!                                                 $PG_DATABASE_URL/$MYSQL_DATABASE_URL);
//!                                                 with --database-url, against that live
//!                                                 database, for its backend only
//! cargo xtask migrate apply | revert [N] | status apply the pending migrations, revert
//!                                                 the last N (1), list them
//! cargo xtask migrate check [--postgres-url URL] [--mysql-url URL]
//!                                                 exit 1 when the models differ from a
//!                                                 backend's migrations (replayed as for
//!                                                 make) or a backend's directory lacks a
//!                                                 migration another's has; with
//!                                                 --database-url, unless every migration
//!                                                 is applied there and the models need no
//!                                                 new one
//! cargo xtask test [ARGS...]                     cargo test --workspace on every backend
//!                                                 whose server answers
//! cargo xtask bench                               the ORM against hand-written diesel
//!                                                 (SQLite file; PostgreSQL if it answers):
//!                                                 W1-W5, W6 (pool throughput), A1 (async
//!                                                 API on SQLite), M1 (peak RSS streaming);
//!                                                 saves the raw output with the machine's
//!                                                 facts in benches/results/, then runs
//!                                                 bench-report on it
//! cargo xtask load [--clients N] [--requests N] [--database-url URL]
//!                                                 the todo-api service under N concurrent
//!                                                 HTTP clients (release build): throughput,
//!                                                 p50, p99, errors; saves the raw output
//!                                                 with the machine's facts in
//!                                                 benches/results/
//! cargo xtask bench-report LOG                    BENCHMARKS.md's generated part from a
//!                                                 saved benchmark log
//! cargo xtask reliability                         the reliability tests on all three
//!                                                 backends; saves their figures lines in
//!                                                 tests/results/, then reliability-report
//! cargo xtask reliability-report FILE             RELIABILITY.md's tables from a saved
//!                                                 figures file
//! ```
//!
//! `--database-url` defaults to the `DATABASE_URL` environment variable (not for `migrate
//! make` and `check`, which use the files without it). `--app todo-api`
//! (on `schema` and `migrate`) works on the example service's models instead
//! (`examples/todo-api`): its migrations are under `examples/todo-api/migrations`, and
//! its database defaults to the service's own, `sqlite://todo.db`.

mod app;
mod migrate;
mod report;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use orm::{ddl, DatabaseUrl, ManageSchema};

const USAGE: &str = "usage: cargo xtask schema <sql|create|drop> [--app examples|todo-api] [--database-url URL]\n\
       cargo xtask migrate <make NAME|apply|revert [N]|status|check> [--app examples|todo-api] [--database-url URL | --postgres-url URL --mysql-url URL] [--dir DIR] [--allow-data-loss]\n\
       cargo xtask test [extra cargo test arguments]\n\
       cargo xtask bench\n\
       cargo xtask load [--clients N] [--requests N] [--database-url URL]\n\
       cargo xtask bench-report <benches/results/LOG>\n\
       cargo xtask reliability\n\
       cargo xtask reliability-report <tests/results/FILE>\n\
the URL defaults to $DATABASE_URL (migrate make/check: the files, replayed in scratch databases, without --database-url); schemes: sqlite://path, sqlite::memory:, postgres://, mysql://, mariadb://";

/// How long `cargo xtask test` waits for a server to answer.
const PROBE_TIMEOUT_SECS: u64 = 3;

/// The servers `cargo xtask test` tries when their variables are not set.
const SERVERS: [(&str, &str); 3] = [
    ("PG_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
    ("MYSQL_DATABASE_URL", "mysql://root@127.0.0.1:3306/test"),
    ("MARIADB_DATABASE_URL", "mariadb://root@127.0.0.1:3306/test"),
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
        [group, rest @ ..] if group == "migrate" => return migrate::run(migrate::parse(rest)?),
        [bench] if bench == "bench" => return bench_all(),
        [load, rest @ ..] if load == "load" => return load_run(rest),
        [report, log] if report == "bench-report" => return bench_report(Path::new(log)),
        [rel] if rel == "reliability" => return reliability_all(),
        [report, file] if report == "reliability-report" => {
            return reliability_report(Path::new(file))
        }
        [group, command, rest @ ..] if group == "schema" => (command.as_str(), rest),
        [help] if help == "help" || help == "--help" || help == "-h" => {
            println!("{USAGE}");
            return Ok(());
        }
        _ => return Err(format!("unknown command\n{USAGE}")),
    };
    let (app, rest) = app::take_app(rest)?;
    let url = database_url(app, &rest)?;
    let models = app.models();
    match command {
        "sql" => {
            let backend = DatabaseUrl::parse(&url)
                .map_err(|e| e.to_string())?
                .backend();
            let statements =
                ddl::create_all_statements(&models, backend, ddl::MysqlFlavor::default())
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
                conn.create_all(&models).map_err(|e| e.to_string())?;
                println!("created {} tables on {}", models.len(), conn.backend());
            } else {
                conn.drop_all(&models).map_err(|e| e.to_string())?;
                println!("dropped {} tables on {}", models.len(), conn.backend());
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
                println!("{var}: {} answers, testing it", orm::url::masked(&url));
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

/// Runs the benchmark (release build) on a SQLite file, and on PostgreSQL when it answers;
/// saves its output with the machine's facts in `benches/results/`, then regenerates
/// BENCHMARKS.md's tables from that log.
fn bench_all() -> Result<(), String> {
    const ARGS: [&str; 5] = [
        "bench",
        "--package",
        "orm-suite",
        "--bench",
        "orm_vs_diesel",
    ];
    // Build first, so the compiler's load is not part of the recorded load.
    run_cargo(&[&ARGS[..], &["--no-run"]].concat(), &[])?;
    let mut cmd = cargo();
    cmd.args(ARGS);
    let (var, default) = SERVERS[0];
    let url = std::env::var(var).unwrap_or_else(|_| default.to_string());
    let postgres = match probe(&url) {
        Ok(()) => {
            cmd.env(var, &url);
            format!("benchmarked ({})", orm::url::masked(&url))
        }
        Err(e) => {
            println!("PostgreSQL not benchmarked: {e}");
            cmd.env_remove(var);
            format!("not benchmarked: {e}")
        }
    };
    let started = report::utc(now_secs());
    let mut facts = machine_facts(&started);
    facts.push(("command".into(), format!("cargo {}", ARGS.join(" "))));
    facts.push(("postgres".into(), postgres));
    facts.push(("loadavg at start".into(), loadavg()));
    let (stop, sampler) = sample_load(Duration::from_secs(5));
    let output = tee(cmd)?;
    let _ = stop.send(());
    let samples = sampler.join().unwrap_or_default();
    facts.push(("loadavg at end".into(), loadavg()));
    facts.push((
        "loadavg 1 min, sampled every 5 s during the run".into(),
        samples.join(" "),
    ));
    let name = format!("{}-{}.log", &started[..16].replace(':', ""), short_rev());
    let log = root().join("benches/results").join(name);
    std::fs::create_dir_all(log.parent().unwrap()).map_err(|e| e.to_string())?;
    let text = format!("{}{output}", report::Log::header_text(&facts));
    std::fs::write(&log, text).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    println!("saved {}", log.display());
    bench_report(&log)
}

/// Runs the todo-api load run (`examples/todo-api/examples/load.rs`, release build) with
/// `args`; saves its output with the machine's facts in
/// `benches/results/<date>-<rev>-todo-api-load.log` (BENCHMARKS.md quotes it). Fails when
/// the run counted an error.
fn load_run(args: &[String]) -> Result<(), String> {
    let mut cargo_args = vec![
        "run",
        "--quiet",
        "--release",
        "--package",
        "todo-api",
        "--example",
        "load",
    ];
    // Build first, so the compiler's load is not part of the recorded load.
    run_cargo(
        &[
            "build",
            "--release",
            "--package",
            "todo-api",
            "--example",
            "load",
        ],
        &[],
    )?;
    cargo_args.push("--");
    cargo_args.extend(args.iter().map(String::as_str));
    let started = report::utc(now_secs());
    let mut facts = machine_facts(&started);
    facts.push(("command".into(), format!("cargo {}", cargo_args.join(" "))));
    facts.push(("loadavg at start".into(), loadavg()));
    let mut cmd = cargo();
    cmd.args(&cargo_args);
    let output = tee(cmd);
    facts.push(("loadavg at end".into(), loadavg()));
    let output = output?;
    let name = format!(
        "{}-{}-todo-api-load.log",
        &started[..16].replace(':', ""),
        short_rev()
    );
    let log = root().join("benches/results").join(name);
    std::fs::create_dir_all(log.parent().unwrap()).map_err(|e| e.to_string())?;
    let text = format!("{}{output}", report::Log::header_text(&facts));
    std::fs::write(&log, text).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    println!("saved {}", log.display());
    Ok(())
}

/// Regenerates BENCHMARKS.md's part between `<!-- bench:begin -->` and
/// `<!-- bench:end -->` from the saved log `log`.
fn bench_report(log: &Path) -> Result<(), String> {
    let (rel, text) = read_saved(log)?;
    let generated = report::bench_markdown(&rel, &text)?;
    rewrite("BENCHMARKS.md", |doc| {
        report::splice(doc, "bench", &generated)
    })
}

/// Runs the reliability tests on SQLite, PostgreSQL and MariaDB (every backend required),
/// saves their `figures:` lines with the machine's facts in `tests/results/`, then
/// regenerates RELIABILITY.md's tables from that file.
fn reliability_all() -> Result<(), String> {
    const TESTS: [&str; 4] = [
        "reliability_faults",
        "reliability_input",
        "reliability_load",
        "reliability_props",
    ];
    let figures = std::env::temp_dir().join(format!("orm-figures-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&figures);
    let mut args = vec!["test"];
    for test in TESTS {
        args.extend(["--test", test]);
    }
    let mut env: Vec<(String, String)> = vec![
        ("ORM_REQUIRE_ALL_BACKENDS".into(), "1".into()),
        (
            "ORM_RELIABILITY_FIGURES".into(),
            figures.display().to_string(),
        ),
    ];
    for (var, default) in SERVERS {
        env.push((
            var.into(),
            std::env::var(var).unwrap_or_else(|_| default.to_string()),
        ));
    }
    let started = report::utc(now_secs());
    let mut facts = machine_facts(&started);
    facts.push(("command".into(), format!("cargo {}", args.join(" "))));
    facts.push((
        "backends".into(),
        "sqlite, postgres, mysql, mariadb (ORM_REQUIRE_ALL_BACKENDS=1)".into(),
    ));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (&**k, &**v)).collect();
    facts.push(("loadavg at start".into(), loadavg()));
    run_cargo(&args, &env_refs)?;
    facts.push(("loadavg at end".into(), loadavg()));
    let text = std::fs::read_to_string(&figures)
        .map_err(|e| format!("no figures written to {}: {e}", figures.display()))?;
    let _ = std::fs::remove_file(&figures);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let file = root().join("tests/results").join(format!(
        "{}-{}.figures",
        &started[..16].replace(':', ""),
        short_rev()
    ));
    std::fs::create_dir_all(file.parent().unwrap()).map_err(|e| e.to_string())?;
    let saved = format!("{}{}\n", report::Log::header_text(&facts), lines.join("\n"));
    std::fs::write(&file, saved).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("saved {}", file.display());
    reliability_report(&file)
}

/// Regenerates RELIABILITY.md's figures tables from the saved figures file `file`.
fn reliability_report(file: &Path) -> Result<(), String> {
    let (rel, text) = read_saved(file)?;
    rewrite("RELIABILITY.md", |doc| {
        report::reliability_doc(doc, &rel, &text)
    })
}

/// The repository's root (xtask's parent directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

/// A saved file's path as the docs name it (relative to the root) and its text.
fn read_saved(path: &Path) -> Result<(String, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let absolute = std::fs::canonicalize(path).map_err(|e| e.to_string())?;
    let root = std::fs::canonicalize(root()).map_err(|e| e.to_string())?;
    let rel = absolute
        .strip_prefix(&root)
        .map_err(|_| format!("{} is not inside the repository", path.display()))?;
    Ok((rel.display().to_string(), text))
}

/// Rewrites the root's document `name` through `edit`.
fn rewrite(name: &str, edit: impl FnOnce(&str) -> Result<String, String>) -> Result<(), String> {
    let path = root().join(name);
    let doc = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let doc = edit(&doc).map_err(|e| format!("{name}: {e}"))?;
    std::fs::write(&path, doc).map_err(|e| format!("cannot write {name}: {e}"))?;
    println!("regenerated {name}");
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run_cargo(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let status = cargo()
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed ({status})", args.join(" ")))
    }
}

/// Runs `cmd`, printing its standard output as it comes and returning it whole.
fn tee(mut cmd: Command) -> Result<String, String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut output = String::new();
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        println!("{line}");
        output.push_str(&line);
        output.push('\n');
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(output)
    } else {
        Err(format!("the benchmark failed ({status})"))
    }
}

/// Samples the 1-minute load average every `every` until told to stop.
fn sample_load(every: Duration) -> (mpsc::Sender<()>, std::thread::JoinHandle<Vec<String>>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let sampler = std::thread::spawn(move || {
        let mut samples = Vec::new();
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
            if let Some(one) = loadavg().split(' ').next() {
                samples.push(one.to_string());
            }
        }
        samples
    });
    (stop, sampler)
}

/// The 1, 5 and 15-minute load averages (`/proc/loadavg`).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The first line of a command's output, or why there is none.
fn command_line(program: &str, args: &[&str]) -> String {
    match Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
        Ok(out) => format!("unknown ({program} exited with {})", out.status),
        Err(e) => format!("unknown ({program}: {e})"),
    }
}

fn short_rev() -> String {
    command_line("git", &["rev-parse", "--short", "HEAD"])
}

/// Git revision, date, and the machine: what a reader needs to weigh the figures.
fn machine_facts(date: &str) -> Vec<(String, String)> {
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root())
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(true);
    let rev = format!(
        "{} ({})",
        command_line("git", &["rev-parse", "HEAD"]),
        if dirty {
            "with uncommitted changes"
        } else {
            "working tree clean"
        }
    );
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    vec![
        ("git rev".into(), rev),
        ("date".into(), date.to_string()),
        ("nproc".into(), command_line("nproc", &[])),
        ("cpu".into(), cpu),
        ("memory".into(), mem),
        ("rustc".into(), command_line("rustc", &["--version"])),
        ("kernel".into(), command_line("uname", &["-sr"])),
    ]
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

fn database_url(app: app::App, args: &[String]) -> Result<String, String> {
    match args {
        [flag, url] if flag == "--database-url" => Ok(url.clone()),
        [] => app.url(None).map_err(|e| format!("{e}\n{USAGE}")),
        _ => Err(format!("unexpected arguments {args:?}\n{USAGE}")),
    }
}
