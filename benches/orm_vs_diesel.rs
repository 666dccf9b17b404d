//! The ORM against hand-written diesel, same data, same connection, same run: each
//! workload's median time per operation for both, and the ratio ORM / diesel.
//!
//! `cargo xtask bench` runs it on a SQLite file, and on PostgreSQL when `PG_DATABASE_URL`
//! is set. Plain harness: warm-up, then rounds that alternate the two sides, medians.
//! See BENCHMARKS.md for results and how to read them.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use orm::prelude::*;

/// The benchmark's model: users(id, name, hair_color nullable).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users")]
pub struct User {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 100)]
    pub name: String,
    /// Hair colour, if known.
    #[orm(max_length = 100)]
    pub hair_color: Option<String>,
}

/// What a diesel user writes by hand for the same table.
#[derive(diesel::Queryable, diesel::Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = users)]
struct HandUser {
    id: i64,
    name: String,
    hair_color: Option<String>,
}

const ROUNDS: usize = 15;

/// Median of per-operation times over the rounds, for `f` repeated `ops` times per round.
fn measure(
    conn: &mut orm::Connection,
    ops: usize,
    mut orm_side: impl FnMut(&mut orm::Connection),
    mut diesel_side: impl FnMut(&mut orm::Connection),
) -> (Duration, Duration) {
    // Warm-up: fills statement caches and CPU caches on both sides.
    for _ in 0..2 {
        orm_side(conn);
        diesel_side(conn);
    }
    let mut orm_times = Vec::with_capacity(ROUNDS);
    let mut diesel_times = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // Alternate which side goes first, so drift hits both alike.
        type Side<'a> = &'a mut dyn FnMut(&mut orm::Connection);
        let (first, second): (Side<'_>, Side<'_>) = if round % 2 == 0 {
            (&mut orm_side, &mut diesel_side)
        } else {
            (&mut diesel_side, &mut orm_side)
        };
        let t = Instant::now();
        first(conn);
        let a = t.elapsed();
        let t = Instant::now();
        second(conn);
        let b = t.elapsed();
        if round % 2 == 0 {
            orm_times.push(a);
            diesel_times.push(b);
        } else {
            diesel_times.push(a);
            orm_times.push(b);
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2] / ops as u32
    };
    (median(&mut orm_times), median(&mut diesel_times))
}

fn report(backend: &str, workload: &str, (orm_t, diesel_t): (Duration, Duration)) {
    let ratio = orm_t.as_secs_f64() / diesel_t.as_secs_f64();
    println!(
        "| {backend:<8} | {workload:<40} | {:>12.2?} | {:>12.2?} | {ratio:>5.2} |",
        orm_t, diesel_t
    );
}

fn seed(conn: &mut orm::Connection, rows: i64) {
    conn.drop_all(&[User::meta()]).unwrap();
    conn.create_all(&[User::meta()]).unwrap();
    let batch: Vec<_> = (1..=rows)
        .map(|i| {
            (
                users::id.eq(i),
                users::name.eq(format!("User {i}")),
                users::hair_color.eq(if i % 3 == 0 {
                    None
                } else {
                    Some(format!("colour {}", i % 7))
                }),
            )
        })
        .collect();
    for chunk in batch.chunks(1000) {
        orm::dispatch!(&mut *conn, c => diesel::insert_into(users::table).values(chunk).execute(c))
            .unwrap();
    }
}

/// Runs the hand-written side on the connection's own diesel connection.
macro_rules! hand {
    ($conn:expr, $c:ident => $body:expr) => {
        orm::dispatch!($conn, $c => $body)
    };
}

fn run(url: &str) {
    let mut conn = orm::Connection::establish(url).unwrap();
    let backend = conn.backend().name();
    let conn = &mut conn;

    // W1: load every row into structs, N = 1, 100, 10 000.
    for n in [1_i64, 100, 10_000] {
        seed(conn, n);
        let ops = if n == 10_000 { 1 } else { 50 };
        let result = measure(
            conn,
            ops,
            |conn| {
                for _ in 0..ops {
                    let rows = User::objects().all(&mut *conn).unwrap();
                    assert_eq!(rows.len() as i64, n);
                }
            },
            |conn| {
                for _ in 0..ops {
                    let rows: Vec<HandUser> =
                        hand!(conn, c => users::table.select(HandUser::as_select()).load(c))
                            .unwrap();
                    assert_eq!(rows.len() as i64, n);
                }
            },
        );
        report(backend, &format!("W1 load all, N = {n}"), result);
    }

    // W2: 1 000 gets by primary key (10 000 rows).
    seed(conn, 10_000);
    let result = measure(
        conn,
        1000,
        |conn| {
            for i in 1..=1000_i64 {
                let u = User::objects().get(&mut *conn, users::id.eq(i)).unwrap();
                assert_eq!(u.id, i);
            }
        },
        |conn| {
            for i in 1..=1000_i64 {
                let u: HandUser = hand!(conn, c => users::table
                    .filter(users::id.eq(i))
                    .select(HandUser::as_select())
                    .first(c))
                .unwrap();
                assert_eq!(u.id, i);
            }
        },
    );
    report(backend, "W2 get by pk (per get)", result);

    // W3: filter with contains, order by, limit 100, over 10 000 rows.
    let result = measure(
        conn,
        20,
        |conn| {
            for _ in 0..20 {
                let rows = User::objects()
                    .filter(users::name.contains("99"))
                    .order_by(users::name.desc())
                    .limit(100)
                    .all(&mut *conn)
                    .unwrap();
                assert!(!rows.is_empty());
            }
        },
        |conn| {
            for _ in 0..20 {
                let rows: Vec<HandUser> = hand!(conn, c => users::table
                    .filter(users::name.like("%99%").escape('!'))
                    .order(users::name.desc())
                    .limit(100)
                    .select(HandUser::as_select())
                    .load(c))
                .unwrap();
                assert!(!rows.is_empty());
            }
        },
    );
    report(backend, "W3 contains + order + limit 100", result);
    conn.drop_all(&[User::meta()]).unwrap();
}

fn main() {
    println!("| backend  | workload                                 |          orm |       diesel | ratio |");
    println!("|----------|------------------------------------------|--------------|--------------|-------|");
    let file = std::env::temp_dir().join(format!("orm-bench-{}.db", std::process::id()));
    run(&format!("sqlite://{}", file.display()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    match std::env::var("PG_DATABASE_URL") {
        Ok(url) => run(&url),
        Err(_) => println!("(PostgreSQL skipped: PG_DATABASE_URL is not set)"),
    }
}
