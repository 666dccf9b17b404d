//! The ORM against hand-written diesel, same data, same connection, same run: each
//! workload's median time per operation for both, the ratio ORM / diesel and whether the
//! issue's target is met.
//!
//! `cargo xtask bench` runs it on a SQLite file, and on PostgreSQL when `PG_DATABASE_URL`
//! is set. Plain harness: warm-up, then rounds that alternate the two sides, medians.
//!
//! - W1–W5, W7 (a grouped aggregate), W8 (W3's filter given by name) and W9 (1 000 rows
//!   with their 10 children each attached by `prefetch_related`) blocking
//!   (`&mut orm::Connection`) against diesel on the connection's own diesel connection, on
//!   SQLite and PostgreSQL.
//! - W6 (PostgreSQL): 32 tokio tasks x 200 gets by pk through a pool of 10, `orm::Database`
//!   against diesel-async's deadpool pool; throughput.
//! - A1 (SQLite file): W1–W5 through the async API (`&orm::Database`) against blocking
//!   diesel on the same file, on a multi-thread runtime ("A1") and on a current-thread
//!   one ("A1 ct").
//! - M1 (SQLite file): streaming 1 000 000 rows, peak RSS (`VmHWM`) of a child process
//!   (this binary run as `orm_vs_diesel m1 <orm|diesel> <file>`) for each side.
//!
//! See BENCHMARKS.md for results and how to read them.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use orm::prelude::*;

/// The benchmark's model: users(id, name, hair_color nullable).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users", related(posts = Post))]
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
    /// Their posts, once prefetched (W9).
    pub posts: Related<Post>,
}

/// A post by a user (W5).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "posts")]
pub struct Post {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// The author (ON DELETE CASCADE).
    #[orm(on_delete = "cascade")]
    pub author: ForeignKey<User>,
    /// Title.
    #[orm(max_length = 200)]
    pub title: String,
}

/// What a diesel user writes by hand for the same table.
#[derive(diesel::Queryable, diesel::Selectable, diesel::Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = users)]
struct HandUser {
    id: i64,
    name: String,
    hair_color: Option<String>,
}

/// The hand-written twin of [`Post`].
#[derive(
    diesel::Queryable,
    diesel::Selectable,
    diesel::Identifiable,
    diesel::Associations,
    Debug,
    Clone,
    PartialEq,
)]
#[diesel(table_name = posts)]
#[diesel(belongs_to(HandUser, foreign_key = author))]
struct HandPost {
    id: i64,
    author: i64,
    title: String,
}

const ROUNDS: usize = 15;

/// What a workload's ratio is held to.
#[derive(Clone, Copy)]
enum Target {
    /// ORM time / diesel time at most this.
    AtMost(f64),
    /// ORM throughput / diesel throughput at least this.
    AtLeast(f64),
    /// The ORM's own value below this (M1's peak RSS, in MiB).
    OrmBelow(f64),
    /// Recorded for reference, no target.
    None,
}

/// What one side of a row measured.
#[derive(Clone, Copy)]
enum Value {
    /// Median time per operation.
    Time(Duration),
    /// Operations per second.
    PerSec(f64),
    /// Peak resident set size, MiB.
    MiB(f64),
}

impl Value {
    /// The unit and the plain number of the machine-readable line.
    fn raw(self) -> (&'static str, String) {
        match self {
            Value::Time(t) => ("ns", t.as_nanos().to_string()),
            Value::PerSec(v) => ("op/s", format!("{v:.1}")),
            Value::MiB(v) => ("MiB", format!("{v:.2}")),
        }
    }

    /// The human column.
    fn human(self) -> String {
        match self {
            Value::Time(t) => format!("{t:.2?}"),
            Value::PerSec(v) => format!("{v:.0}"),
            Value::MiB(v) => format!("{v:.1}"),
        }
    }
}

/// Median of per-operation times over `rounds` rounds, for sides that each run `ops`
/// operations per round; `reset` runs (untimed) before every timed side.
fn measure_with<C>(
    ctx: &mut C,
    ops: usize,
    rounds: usize,
    mut reset: impl FnMut(&mut C),
    mut orm_side: impl FnMut(&mut C),
    mut diesel_side: impl FnMut(&mut C),
) -> (Duration, Duration) {
    // Warm-up: fills statement caches, pools and CPU caches on both sides.
    for _ in 0..2 {
        reset(ctx);
        orm_side(ctx);
        reset(ctx);
        diesel_side(ctx);
    }
    let mut orm_times = Vec::with_capacity(rounds);
    let mut diesel_times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        // Alternate which side goes first, so drift hits both alike.
        for second in [false, true] {
            let orm_now = (round % 2 == 0) != second;
            reset(ctx);
            let t = Instant::now();
            if orm_now {
                orm_side(ctx);
                orm_times.push(t.elapsed());
            } else {
                diesel_side(ctx);
                diesel_times.push(t.elapsed());
            }
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2] / ops as u32
    };
    (median(&mut orm_times), median(&mut diesel_times))
}

/// [`measure_with`] with [`ROUNDS`] rounds and nothing to reset.
fn measure<C>(
    ctx: &mut C,
    ops: usize,
    orm_side: impl FnMut(&mut C),
    diesel_side: impl FnMut(&mut C),
) -> (Duration, Duration) {
    measure_with(ctx, ops, ROUNDS, |_| {}, orm_side, diesel_side)
}

/// [`measure`] of `ops` loads per round, each side one function (W5, W9: the same
/// functions the `count` mode runs).
fn measure_loads(
    conn: &mut orm::Connection,
    ops: usize,
    orm_load: fn(&mut orm::Connection),
    diesel_load: fn(&mut orm::Connection),
) -> (Duration, Duration) {
    let times = |load: fn(&mut orm::Connection)| {
        move |conn: &mut orm::Connection| (0..ops).for_each(|_| load(conn))
    };
    measure(conn, ops, times(orm_load), times(diesel_load))
}

fn header() {
    println!(
        "| backend  | workload                                     |          orm |       diesel | ratio | target       | met |"
    );
    println!(
        "|----------|----------------------------------------------|-------------:|-------------:|------:|--------------|-----|"
    );
}

/// Prints one measurement twice: as a row of the human table, and as a machine-readable
/// line (`result`, then tab-separated `key=value` fields) that `cargo xtask bench` saves
/// in the run's log and `cargo xtask bench-report` turns into BENCHMARKS.md's tables.
fn row(backend: &str, workload: &str, orm: Value, diesel: Value, ratio: f64, target: Target) {
    let orm_value = match orm {
        Value::Time(t) => t.as_secs_f64(),
        Value::PerSec(v) | Value::MiB(v) => v,
    };
    let (target, met) = match target {
        Target::AtMost(t) => (format!("ratio <= {t:.2}"), Some(ratio <= t)),
        Target::AtLeast(t) => (format!("ratio >= {t:.2}"), Some(ratio >= t)),
        Target::OrmBelow(t) => (format!("orm < {t} MiB"), Some(orm_value < t)),
        Target::None => ("none".to_string(), None),
    };
    let met = match met {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    };
    println!(
        "| {backend:<8} | {workload:<44} | {:>12} | {:>12} | {ratio:>5.2} | {target:<12} | {met:<3} |",
        orm.human(),
        diesel.human()
    );
    let (unit, orm_raw) = orm.raw();
    let (_, diesel_raw) = diesel.raw();
    println!(
        "result\tbackend={backend}\tworkload={workload}\tunit={unit}\torm={orm_raw}\tdiesel={diesel_raw}\tratio={ratio:.4}\ttarget={target}\tmet={met}"
    );
}

/// The target of every blocking W row: at most 1.05 times hand-written diesel.
const W_TARGET: f64 = 1.05;

/// One row for a (orm, diesel) time-per-operation pair; the ratio is ORM / diesel.
fn report(backend: &str, workload: &str, (orm_t, diesel_t): (Duration, Duration), target: f64) {
    let ratio = orm_t.as_secs_f64() / diesel_t.as_secs_f64();
    row(
        backend,
        workload,
        Value::Time(orm_t),
        Value::Time(diesel_t),
        ratio,
        Target::AtMost(target),
    );
}

/// Empty `users` and `posts` tables (dropped and created again).
fn fresh_tables(conn: &mut orm::Connection) {
    conn.drop_all(&[User::meta(), Post::meta()]).unwrap();
    conn.create_all(&[User::meta(), Post::meta()]).unwrap();
}

/// The hair colour of seeded user `i`.
fn colour(i: i64) -> Option<String> {
    (i % 3 != 0).then(|| format!("colour {}", i % 7))
}

/// Fresh tables with `rows` users (ids 1..=rows).
fn seed(conn: &mut orm::Connection, rows: i64) {
    fresh_tables(conn);
    let batch: Vec<_> = (1..=rows)
        .map(|i| {
            (
                users::id.eq(i),
                users::name.eq(format!("User {i}")),
                users::hair_color.eq(colour(i)),
            )
        })
        .collect();
    for chunk in batch.chunks(1000) {
        orm::dispatch!(&mut *conn, c => diesel::insert_into(users::table).values(chunk).execute(c))
            .unwrap();
    }
}

/// W5's data: 100 users with 10 posts each.
fn seed_posts(conn: &mut orm::Connection) {
    seed(conn, 100);
    let batch: Vec<_> = (1..=1000_i64)
        .map(|i| {
            (
                posts::id.eq(i),
                posts::author.eq((i - 1) / 10 + 1),
                posts::title.eq(format!("Post {i}")),
            )
        })
        .collect();
    orm::dispatch!(&mut *conn, c => diesel::insert_into(posts::table).values(&batch).execute(c))
        .unwrap();
}

/// W9's data: 1 000 users with 10 posts each.
fn seed_prefetch(conn: &mut orm::Connection) {
    fresh_tables(conn);
    seed(conn, 1000);
    let batch: Vec<_> = (1..=10_000_i64)
        .map(|i| {
            (
                posts::id.eq(i),
                posts::author.eq((i - 1) % 1000 + 1),
                posts::title.eq(format!("Post {i}")),
            )
        })
        .collect();
    for chunk in batch.chunks(1000) {
        orm::dispatch!(&mut *conn, c => diesel::insert_into(posts::table).values(chunk).execute(c))
            .unwrap();
    }
}

/// W5, ORM side: the posts with their authors, by `select_related`.
fn w5_orm(conn: &mut orm::Connection) {
    let posts = Post::objects()
        .select_related::<User>()
        .all(&mut *conn)
        .unwrap();
    assert_eq!(posts.len(), 1000);
    assert!(posts[0].author.is_loaded());
}

/// W5, hand-written side: the same JOIN, loaded as pairs.
fn w5_diesel(conn: &mut orm::Connection) {
    let posts: Vec<(HandPost, HandUser)> = orm::dispatch!(conn, c => posts::table
        .inner_join(users::table)
        .select((HandPost::as_select(), HandUser::as_select()))
        .load(c))
    .unwrap();
    assert_eq!(posts.len(), 1000);
}

/// W9 loads per round.
const W9_OPS: usize = 5;

/// W9, ORM side: the users with their posts attached by `prefetch_related`.
fn w9_orm(conn: &mut orm::Connection) {
    let users = User::objects()
        .prefetch_related(&["posts"])
        .unwrap()
        .all(&mut *conn)
        .unwrap();
    assert_eq!(users.len(), 1000);
    assert_eq!(users[0].posts.get().unwrap().len(), 10);
}

/// W9, hand-written side: diesel's `belonging_to` + `grouped_by`.
fn w9_diesel(conn: &mut orm::Connection) {
    let users: Vec<(HandUser, Vec<HandPost>)> = orm::dispatch!(conn, c => (|| {
        let users: Vec<HandUser> = users::table.select(HandUser::as_select()).load(c)?;
        let posts: Vec<HandPost> = HandPost::belonging_to(&users)
            .select(HandPost::as_select())
            .load(c)?;
        let grouped = posts.grouped_by(&users);
        Ok::<_, diesel::result::Error>(users.into_iter().zip(grouped).collect())
    })())
    .unwrap();
    assert_eq!(users.len(), 1000);
    assert_eq!(users[0].1.len(), 10);
}

/// W4 bulk_insert, ORM side: 100 rows, the count only.
fn w4_insert_orm(conn: &mut orm::Connection) {
    let n = User::objects()
        .bulk_insert(&mut *conn, new_users(100))
        .unwrap();
    assert_eq!(n, 100);
}

/// W4 bulk_insert, hand-written side: diesel's plain multi-row insert.
fn w4_insert_diesel(conn: &mut orm::Connection) {
    let rows = hand_new_users(100);
    let n = orm::dispatch!(conn, c => diesel::insert_into(users::table)
        .values(&rows)
        .execute(c))
    .unwrap();
    assert_eq!(n, 100);
}

/// `orm_vs_diesel count <w4|w4c|w5|w9> <orm|diesel> <url> <n>`: seeds the workload's data on
/// `url` (W4: an empty table), then runs one side `n` times. Run under `valgrind --tool=callgrind` with `n` and
/// with 0: the difference over `n` is one load's instruction count, repeatable where
/// times are not.
fn count_child(workload: &str, side: &str, url: &str, n: usize) {
    let mut conn = orm::Connection::establish(url).unwrap();
    let load: fn(&mut orm::Connection) = match (workload, side) {
        ("w4", "orm") => w4_insert_orm,
        ("w4", _) => w4_insert_diesel,
        ("w4c", "orm") => w4_create_orm,
        ("w4c", _) => |conn| w4_create_diesel(conn, hand_new_users(1).pop().unwrap()),
        ("w5", "orm") => w5_orm,
        ("w5", _) => w5_diesel,
        (_, "orm") => w9_orm,
        _ => w9_diesel,
    };
    match workload {
        "w4" | "w4c" => fresh_tables(&mut conn),
        "w5" => seed_posts(&mut conn),
        _ => seed_prefetch(&mut conn),
    }
    for _ in 0..n {
        load(&mut conn);
    }
}

/// The forms of W4's inserts, ORM side.
fn new_users(n: usize) -> Vec<NewUser> {
    (0..n as i64)
        .map(|i| NewUser {
            hair_color: colour(i),
            ..NewUser::new(format!("New {i}"))
        })
        .collect()
}

/// W4's rows, diesel side.
type HandNewUser = (
    diesel::dsl::Eq<users::name, String>,
    diesel::dsl::Eq<users::hair_color, Option<String>>,
);

fn hand_new_users(n: usize) -> Vec<HandNewUser> {
    (0..n as i64)
        .map(|i| {
            (
                users::name.eq(format!("New {i}")),
                users::hair_color.eq(colour(i)),
            )
        })
        .collect()
}

/// Runs the hand-written side on the connection's own diesel connection.
macro_rules! hand {
    ($conn:expr, $c:ident => $body:expr) => {
        orm::dispatch!($conn, $c => $body)
    };
}

/// A1 ct's W1 with N = 1, one side only, `n` loads after seeding: the ORM through
/// `&orm::Database` on a current-thread runtime, or blocking diesel (for callgrind).
fn count_a1ct(side: &str, url: &str, n: usize) {
    let mut conn = orm::Connection::establish(url).unwrap();
    seed(&mut conn, 1);
    if side == "orm" {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let db = orm::Database::connect(url).await.unwrap();
            for _ in 0..n {
                assert_eq!(User::objects().all(&db).await.unwrap().len(), 1);
            }
        });
    } else {
        for _ in 0..n {
            let rows: Vec<HandUser> =
                hand!(&mut conn, c => users::table.select(HandUser::as_select()).load(c)).unwrap();
            assert_eq!(rows.len(), 1);
        }
    }
}

/// Runs a hand-written `RETURNING` statement (SQLite and PostgreSQL; diesel has no
/// RETURNING on MySQL, which this benchmark does not run).
macro_rules! hand_returning {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            orm::Connection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            orm::Connection::Postgres($c) => $body,
            #[allow(unreachable_patterns)]
            _ => panic!("W4 runs on SQLite and PostgreSQL only"),
        }
    };
}

/// W4 create, ORM side: one row through `create`, its stored row back.
fn w4_create_orm(conn: &mut orm::Connection) {
    let form = new_users(1).pop().unwrap();
    let u = User::objects().create(&mut *conn, form).unwrap();
    assert!(u.id > 0);
}

/// W4 create, hand-written side: `row` inserted, its id returned.
fn w4_create_diesel(conn: &mut orm::Connection, row: HandNewUser) {
    let id: i64 = hand_returning!(conn, c => diesel::insert_into(users::table)
        .values(&row)
        .returning(users::id)
        .get_result(c))
    .unwrap();
    assert!(id > 0);
}

// The hand-written sides W1–W5 share, blocking and A1 (where they run as a task).

/// W1, hand-written: `ops` loads of every row (`n` of them).
fn w1_diesel(conn: &mut orm::Connection, n: i64, ops: usize) {
    for _ in 0..ops {
        let rows: Vec<HandUser> =
            hand!(conn, c => users::table.select(HandUser::as_select()).load(c)).unwrap();
        assert_eq!(rows.len() as i64, n);
    }
}

/// W2, hand-written: 1 000 gets by primary key.
fn w2_diesel(conn: &mut orm::Connection) {
    for i in 1..=1000_i64 {
        let u: HandUser = hand!(conn, c => users::table
            .filter(users::id.eq(i))
            .select(HandUser::as_select())
            .first(c))
        .unwrap();
        assert_eq!(u.id, i);
    }
}

/// W3 (and W8), hand-written: [`W3_OPS`] filtered, ordered, limited loads.
fn w3_diesel(conn: &mut orm::Connection) {
    for _ in 0..W3_OPS {
        let rows: Vec<HandUser> = hand!(conn, c => users::table
            .filter(users::name.like("%99%"))
            .order(users::name.desc())
            .limit(100)
            .select(HandUser::as_select())
            .load(c))
        .unwrap();
        assert!(!rows.is_empty());
    }
}

/// W4 bulk_create, hand-written: [`W4_BULKS`] inserts of 100 rows returning their ids.
fn w4_bulk_diesel(conn: &mut orm::Connection) {
    for _ in 0..W4_BULKS {
        let rows = hand_new_users(100);
        let ids: Vec<i64> = hand_returning!(conn, c => diesel::insert_into(users::table)
            .values(&rows)
            .returning(users::id)
            .get_results(c))
        .unwrap();
        assert_eq!(ids.len(), 100);
    }
}

/// W4 bulk_create, hand-written returning every column into structs, as `bulk_create`
/// does: [`W4_BULKS`] multi-row inserts.
fn w4_bulk_rows_diesel(conn: &mut orm::Connection) {
    for _ in 0..W4_BULKS {
        let rows = hand_new_users(100);
        let stored: Vec<HandUser> = hand_returning!(conn, c => diesel::insert_into(users::table)
            .values(&rows)
            .returning(HandUser::as_returning())
            .get_results(c))
        .unwrap();
        assert_eq!(stored.len(), 100);
    }
}

/// W4 create, hand-written: [`W4_SINGLES`] single inserts returning their ids.
fn w4_creates_diesel(conn: &mut orm::Connection) {
    for row in hand_new_users(W4_SINGLES) {
        w4_create_diesel(conn, row);
    }
}

/// W5, hand-written: [`W5_OPS`] loads.
fn w5_loads_diesel(conn: &mut orm::Connection) {
    for _ in 0..W5_OPS {
        w5_diesel(conn);
    }
}

/// How many operations W3 runs per round: enough for a stable median on SQLite.
const W3_OPS: usize = 100;
/// W4: bulk_creates of 100 rows per round.
const W4_BULKS: usize = 10;
/// W4: single creates per round.
const W4_SINGLES: usize = 100;
/// W5 loads per round.
const W5_OPS: usize = 10;

/// W7 grouped loads per round.
const W7_OPS: usize = 20;

/// How many loads of `n` rows W1 runs per measured call. In A1 each call spawns one task
/// per side and waits for it from the main thread (on a multi-thread runtime, waking a
/// parked worker: a cost of the harness, not of either side), so the smaller loads run
/// enough times per call to make it negligible; the blocking rows run as many.
fn w1_ops(n: i64) -> usize {
    match n {
        1 => 1000,
        100 => 500,
        _ => 5,
    }
}

/// W1–W5, blocking, on one backend.
fn run(url: &str) {
    let mut conn = orm::Connection::establish(url).unwrap();
    let backend = conn.backend().name();
    let conn = &mut conn;

    // W1: load every row into structs, N = 1, 100, 10 000.
    for n in [1_i64, 100, 10_000] {
        seed(conn, n);
        let ops = w1_ops(n);
        let result = measure(
            conn,
            ops,
            |conn| {
                for _ in 0..ops {
                    let rows = User::objects().all(&mut *conn).unwrap();
                    assert_eq!(rows.len() as i64, n);
                }
            },
            |conn| w1_diesel(conn, n, ops),
        );
        report(backend, &format!("W1 load all, N = {n}"), result, W_TARGET);
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
        w2_diesel,
    );
    report(backend, "W2 get by pk (per get)", result, W_TARGET);

    // W3: filter with contains, order by, limit 100, over 10 000 rows. W8 gives the same
    // filter by name against the same hand-written side.
    let result = measure(
        conn,
        W3_OPS,
        |conn| {
            for _ in 0..W3_OPS {
                let rows = User::objects()
                    .filter(users::name.contains("99"))
                    .order_by(users::name.desc())
                    .limit(100)
                    .all(&mut *conn)
                    .unwrap();
                assert!(!rows.is_empty());
            }
        },
        w3_diesel,
    );
    report(backend, "W3 contains + order + limit 100", result, W_TARGET);

    // W8: W3's filter given by name, as from a query string.
    let result = measure(
        conn,
        W3_OPS,
        |conn| {
            for _ in 0..W3_OPS {
                let rows = User::objects()
                    .filter_by("name__contains", "99")
                    .unwrap()
                    .order_by(users::name.desc())
                    .limit(100)
                    .all(&mut *conn)
                    .unwrap();
                assert!(!rows.is_empty());
            }
        },
        w3_diesel,
    );
    report(
        backend,
        "W8 by-name contains + order + limit 100",
        result,
        W_TARGET,
    );

    // W4: bulk_create of 100 rows; single creates returning the key. The table is emptied
    // before every timed side (untimed), so it stays small.
    fresh_tables(conn);
    if backend == "sqlite" {
        // WAL with synchronous = NORMAL: no fsync per commit, so the medians measure the
        // code, not the disk (with FULL, the same binary gave ratios from 0.5 to 1.0 here,
        // the fsyncs of other users' builds included). Both sides share this connection.
        conn.execute("PRAGMA synchronous = NORMAL").unwrap();
    }
    let empty = |conn: &mut orm::Connection| {
        conn.execute("DELETE FROM users").unwrap();
    };
    let orm_bulk = |conn: &mut orm::Connection| {
        for _ in 0..W4_BULKS {
            let rows = User::objects()
                .bulk_create(&mut *conn, new_users(100))
                .unwrap();
            assert_eq!(rows.len(), 100);
        }
    };
    let result = measure_with(conn, W4_BULKS, ROUNDS, empty, orm_bulk, w4_bulk_diesel);
    report(
        backend,
        "W4 bulk_create 100 rows (per bulk)",
        result,
        W_TARGET,
    );
    // The same against diesel returning every column into structs, as bulk_create does
    // (the row above follows the issue: diesel returns only the keys).
    let result = measure_with(conn, W4_BULKS, ROUNDS, empty, orm_bulk, w4_bulk_rows_diesel);
    report(
        backend,
        "W4 bulk_create 100, diesel RETURNING rows",
        result,
        W_TARGET,
    );
    // bulk_insert: the count only, against diesel's plain multi-row insert.
    let result = measure_with(
        conn,
        W4_BULKS,
        ROUNDS,
        empty,
        |conn| {
            for _ in 0..W4_BULKS {
                w4_insert_orm(conn);
            }
        },
        |conn| {
            for _ in 0..W4_BULKS {
                w4_insert_diesel(conn);
            }
        },
    );
    report(
        backend,
        "W4 bulk_insert 100 rows, count only",
        result,
        W_TARGET,
    );
    let result = measure_with(
        conn,
        W4_SINGLES,
        ROUNDS,
        empty,
        |conn| {
            for form in new_users(W4_SINGLES) {
                let u = User::objects().create(&mut *conn, form).unwrap();
                assert!(u.id > 0);
            }
        },
        w4_creates_diesel,
    );
    report(
        backend,
        "W4 create returning pk (per create)",
        result,
        W_TARGET,
    );

    // W5: 1 000 posts with their authors, one JOIN.
    seed_posts(conn);
    let result = measure_loads(conn, W5_OPS, w5_orm, w5_diesel);
    report(
        backend,
        "W5 select_related 1000 posts (per load)",
        result,
        W_TARGET,
    );

    // W7: a grouped aggregate: posts per author, having more than 5, largest first.
    let result = measure(
        conn,
        W7_OPS,
        |conn| {
            for _ in 0..W7_OPS {
                let rows: Vec<(i64, i64)> = Post::objects()
                    .group_by(posts::author)
                    .having(diesel::dsl::count_star().gt(5))
                    .order_by(diesel::dsl::count_star().desc())
                    .select((posts::author, diesel::dsl::count_star()))
                    .all(&mut *conn)
                    .unwrap();
                assert_eq!(rows.len(), 100);
            }
        },
        |conn| {
            for _ in 0..W7_OPS {
                let rows: Vec<(i64, i64)> = hand!(conn, c => posts::table
                    .group_by(posts::author)
                    .having(diesel::dsl::count_star().gt(5))
                    .order(diesel::dsl::count_star().desc())
                    .select((posts::author, diesel::dsl::count_star()))
                    .load(c))
                .unwrap();
                assert_eq!(rows.len(), 100);
            }
        },
    );
    report(
        backend,
        "W7 group_by + having + order by count (100 groups)",
        result,
        W_TARGET,
    );

    // W9: 1 000 users each with their 10 posts attached, against diesel's belonging_to +
    // grouped_by: two queries on each side.
    seed_prefetch(conn);
    let result = measure_loads(conn, W9_OPS, w9_orm, w9_diesel);
    report(
        backend,
        "W9 prefetch_related 1000 users x 10 posts (per load)",
        result,
        W_TARGET,
    );
}

/// A1: the ORM's async API on a SQLite file against blocking diesel on the same file.
struct AsyncSqlite {
    rt: tokio::runtime::Runtime,
    db: orm::Database,
    conn: Option<orm::Connection>,
}

impl AsyncSqlite {
    /// Runs `f(db)` as a task on the runtime's workers (where an application's code runs,
    /// and where the inline SQLite path can use `block_in_place`).
    fn run<F, Fut>(&self, f: F)
    where
        F: FnOnce(orm::Database) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let task = self.rt.spawn(f(self.db.clone()));
        self.rt.block_on(task).unwrap();
    }

    /// The blocking connection, between calls.
    fn conn(&mut self) -> &mut orm::Connection {
        self.conn
            .as_mut()
            .expect("the connection is back after each call")
    }

    /// Runs `f` on blocking diesel's connection as a task on the runtime's workers too,
    /// so both sides run on the same kind of thread: a blocking call inside a task.
    fn hand(&mut self, f: impl FnOnce(&mut orm::Connection) + Send + 'static) {
        let mut conn = self
            .conn
            .take()
            .expect("the connection is back after each call");
        let task = self.rt.spawn(async move {
            f(&mut conn);
            conn
        });
        self.conn = Some(self.rt.block_on(task).unwrap());
    }
}

/// W1–W5 through `&orm::Database` on a SQLite file, against blocking diesel, on a
/// multi-thread runtime (rows "A1", target 1.10) or a current-thread one (rows "A1 ct",
/// target 1.50, as `#[tokio::main(flavor = "current_thread")]` and `#[tokio::test]` run).
fn run_async_sqlite(url: &str, current_thread: bool) {
    let rt = if current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()
    .unwrap();
    let db = rt.block_on(orm::Database::connect(url)).unwrap();
    let conn = orm::Connection::establish(url).unwrap();
    let s = &mut AsyncSqlite {
        rt,
        db,
        conn: Some(conn),
    };
    let backend = "sqlite";
    let (a1, target) = if current_thread {
        ("A1 ct", 1.5)
    } else {
        ("A1", 1.10)
    };

    for n in [1_i64, 100, 10_000] {
        seed(s.conn(), n);
        let ops = w1_ops(n);
        let result = measure(
            s,
            ops,
            |s| {
                s.run(move |db| async move {
                    for _ in 0..ops {
                        let rows = User::objects().all(&db).await.unwrap();
                        assert_eq!(rows.len() as i64, n);
                    }
                })
            },
            |s| s.hand(move |conn| w1_diesel(conn, n, ops)),
        );
        report(
            backend,
            &format!("{a1} W1 async load all, N = {n}"),
            result,
            target,
        );
    }

    seed(s.conn(), 10_000);
    let result = measure(
        s,
        1000,
        |s| {
            s.run(|db| async move {
                for i in 1..=1000_i64 {
                    let u = User::objects().get(&db, users::id.eq(i)).await.unwrap();
                    assert_eq!(u.id, i);
                }
            })
        },
        |s| s.hand(w2_diesel),
    );
    report(
        backend,
        &format!("{a1} W2 async get by pk (per get)"),
        result,
        target,
    );

    let result = measure(
        s,
        W3_OPS,
        |s| {
            s.run(|db| async move {
                for _ in 0..W3_OPS {
                    let rows = User::objects()
                        .filter(users::name.contains("99"))
                        .order_by(users::name.desc())
                        .limit(100)
                        .all(&db)
                        .await
                        .unwrap();
                    assert!(!rows.is_empty());
                }
            })
        },
        |s| s.hand(w3_diesel),
    );
    report(
        backend,
        &format!("{a1} W3 async contains + order + limit"),
        result,
        target,
    );

    fresh_tables(s.conn());
    let empty = |s: &mut AsyncSqlite| {
        s.conn().execute("DELETE FROM users").unwrap();
    };
    let orm_bulk = |s: &mut AsyncSqlite| {
        s.run(|db| async move {
            for _ in 0..W4_BULKS {
                let rows = User::objects()
                    .bulk_create(&db, new_users(100))
                    .await
                    .unwrap();
                assert_eq!(rows.len(), 100);
            }
        })
    };
    let result = measure_with(s, W4_BULKS, ROUNDS, empty, orm_bulk, |s| {
        s.hand(w4_bulk_diesel)
    });
    report(
        backend,
        &format!("{a1} W4 async bulk_create 100 (per bulk)"),
        result,
        target,
    );
    // The same against diesel returning every column, as the blocking W4 has it.
    let result = measure_with(s, W4_BULKS, ROUNDS, empty, orm_bulk, |s| {
        s.hand(w4_bulk_rows_diesel)
    });
    report(
        backend,
        &format!("{a1} W4 async bulk_create 100, diesel RETURNING rows"),
        result,
        target,
    );
    let result = measure_with(
        s,
        W4_SINGLES,
        ROUNDS,
        empty,
        |s| {
            s.run(|db| async move {
                for form in new_users(W4_SINGLES) {
                    let u = User::objects().create(&db, form).await.unwrap();
                    assert!(u.id > 0);
                }
            })
        },
        |s| s.hand(w4_creates_diesel),
    );
    report(
        backend,
        &format!("{a1} W4 async create (per create)"),
        result,
        target,
    );

    seed_posts(s.conn());
    let result = measure(
        s,
        W5_OPS,
        |s| {
            s.run(|db| async move {
                for _ in 0..W5_OPS {
                    let posts = Post::objects()
                        .select_related::<User>()
                        .all(&db)
                        .await
                        .unwrap();
                    assert_eq!(posts.len(), 1000);
                    assert!(posts[0].author.is_loaded());
                }
            })
        },
        |s| s.hand(w5_loads_diesel),
    );
    report(
        backend,
        &format!("{a1} W5 async select_related 1000 posts"),
        result,
        target,
    );
    fresh_tables(s.conn());
}

/// W6: 32 tasks x 200 gets by pk through a pool of 10, `orm::Database` against
/// diesel-async's deadpool pool; operations per second.
#[cfg(feature = "postgres")]
fn run_w6(url: &str) {
    use diesel_async::pooled_connection::deadpool::Pool;
    use diesel_async::pooled_connection::AsyncDieselConnectionManager;
    use diesel_async::AsyncPgConnection;

    const TASKS: i64 = 32;
    const GETS: i64 = 200;
    const POOL: usize = 10;

    struct W6 {
        rt: tokio::runtime::Runtime,
        db: orm::Database,
        pool: Pool<AsyncPgConnection>,
    }

    /// The key task `t` reads at its `k`-th get (the 10 000 seeded rows, spread).
    fn key(t: i64, k: i64) -> i64 {
        (t * GETS + k) % 10_000 + 1
    }

    let mut conn = orm::Connection::establish(url).unwrap();
    seed(&mut conn, 10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt
        .block_on(orm::Database::builder(url).max_size(POOL).build())
        .unwrap();
    let pool = {
        let _guard = rt.enter();
        Pool::builder(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
            .max_size(POOL)
            .build()
            .unwrap()
    };
    let w6 = &mut W6 { rt, db, pool };
    let (orm_t, diesel_t) = measure_with(
        w6,
        (TASKS * GETS) as usize,
        9,
        |_| {},
        |w| {
            let db = w.db.clone();
            w.rt.block_on(async move {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|t| {
                        let db = db.clone();
                        tokio::spawn(async move {
                            for k in 0..GETS {
                                let id = key(t, k);
                                let u = User::objects().get(&db, users::id.eq(id)).await.unwrap();
                                assert_eq!(u.id, id);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
            })
        },
        |w| {
            let pool = w.pool.clone();
            w.rt.block_on(async move {
                let tasks: Vec<_> = (0..TASKS)
                    .map(|t| {
                        let pool = pool.clone();
                        tokio::spawn(async move {
                            for k in 0..GETS {
                                let id = key(t, k);
                                let mut conn = pool.get().await.unwrap();
                                let u: HandUser = diesel_async::RunQueryDsl::first(
                                    users::table
                                        .filter(users::id.eq(id))
                                        .select(HandUser::as_select()),
                                    &mut *conn,
                                )
                                .await
                                .unwrap();
                                assert_eq!(u.id, id);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
            })
        },
    );
    let per_sec = |t: Duration| 1.0 / t.as_secs_f64();
    row(
        "postgres",
        "W6 async 32 tasks x 200 gets, pool 10 (op/s)",
        Value::PerSec(per_sec(orm_t)),
        Value::PerSec(per_sec(diesel_t)),
        per_sec(orm_t) / per_sec(diesel_t),
        Target::AtLeast(1.3),
    );
    conn.drop_all(&[User::meta(), Post::meta()]).unwrap();
}

/// M1: rows streamed.
const M1_ROWS: i64 = 1_000_000;
/// M1: peak RSS target.
const M1_LIMIT_KIB: u64 = 64 * 1024;

/// Seeds `file` with `M1_ROWS` users in one statement (a recursive CTE: no rows in this
/// process's memory), then runs each side in a child process of its own and reports their
/// peak RSS and time.
fn run_m1(dir: &std::path::Path) {
    let file = dir.join(format!("orm-bench-m1-{}.db", std::process::id()));
    let url = format!("sqlite://{}", file.display());
    let mut conn = orm::Connection::establish(&url).unwrap();
    fresh_tables(&mut conn);
    let inserted = conn
        .execute(&format!(
            "INSERT INTO users (id, name, hair_color) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {M1_ROWS}) \
             SELECT i, 'User ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'colour ' || (i % 7) END \
             FROM n"
        ))
        .unwrap();
    assert_eq!(inserted as i64, M1_ROWS);
    drop(conn);
    let exe = std::env::current_exe().unwrap();
    let child = |side: &str| -> (u64, Duration) {
        let out = std::process::Command::new(&exe)
            .args(["m1", side, &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "M1 child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let mut words = text.split_whitespace();
        let kib: u64 = words.next().unwrap().parse().unwrap();
        let micros: u64 = words.next().unwrap().parse().unwrap();
        (kib, Duration::from_micros(micros))
    };
    let (orm_kib, orm_t) = child("orm");
    let (diesel_kib, diesel_t) = child("diesel");
    row(
        "sqlite",
        "M1 stream 1 000 000 rows: peak RSS (MiB)",
        Value::MiB(orm_kib as f64 / 1024.0),
        Value::MiB(diesel_kib as f64 / 1024.0),
        orm_kib as f64 / diesel_kib as f64,
        Target::OrmBelow((M1_LIMIT_KIB / 1024) as f64),
    );
    row(
        "sqlite",
        "M1 stream 1 000 000 rows: time to stream",
        Value::Time(orm_t),
        Value::Time(diesel_t),
        orm_t.as_secs_f64() / diesel_t.as_secs_f64(),
        Target::None,
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

/// The peak resident set size of this process so far, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// M1's child: streams every row of `url`'s users through the ORM (`iter`, batches of
/// 1 000) or diesel (`load_iter`), then prints its peak RSS in KiB and the time in µs.
fn m1_child(side: &str, url: &str) {
    let t = Instant::now();
    let (count, sum) = match side {
        "orm" => {
            let mut conn = orm::Connection::establish(url).unwrap();
            let (mut count, mut sum) = (0_i64, 0_i64);
            for user in User::objects().iter(&mut conn, 1_000) {
                let user = user.unwrap();
                count += 1;
                sum += user.id + user.name.len() as i64;
            }
            (count, sum)
        }
        _ => {
            let path = url.strip_prefix("sqlite://").unwrap();
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            let (mut count, mut sum) = (0_i64, 0_i64);
            for user in users::table
                .select(HandUser::as_select())
                .load_iter::<HandUser, diesel::connection::DefaultLoadingMode>(&mut conn)
                .unwrap()
            {
                let user = user.unwrap();
                count += 1;
                sum += user.id + user.name.len() as i64;
            }
            (count, sum)
        }
    };
    let elapsed = t.elapsed();
    assert_eq!(count, M1_ROWS);
    assert!(sum > 0);
    println!("{} {}", peak_rss_kib(), elapsed.as_micros());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [m1, side, url] = &args[..] {
        if m1 == "m1" {
            return m1_child(side, url);
        }
    }
    if let [count, workload, side, url, n] = &args[..] {
        if count == "count" && ["w4", "w4c", "w5", "w9"].contains(&workload.as_str()) {
            return count_child(workload, side, url, n.parse().expect("a number of loads"));
        }
        if count == "count" && workload == "a1ct" {
            return count_a1ct(side, url, n.parse().expect("a number of loads"));
        }
    }
    // `cargo bench -- <filter>`: run only the parts whose name contains a filter word
    // (sqlite, postgres, a1, w6, m1); everything by default.
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let wanted =
        |part: &str| filters.is_empty() || filters.iter().any(|f| part.contains(f.as_str()));
    header();
    let dir = std::env::temp_dir();
    let file = dir.join(format!("orm-bench-{}.db", std::process::id()));
    let sqlite_url = format!("sqlite://{}", file.display());
    if wanted("sqlite") {
        run(&sqlite_url);
    }
    if wanted("a1-sqlite-async") {
        run_async_sqlite(&sqlite_url, false);
    }
    if wanted("a1-sqlite-current-thread") {
        run_async_sqlite(&sqlite_url, true);
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    match std::env::var("PG_DATABASE_URL") {
        Ok(url) => {
            if wanted("postgres") {
                run(&url);
            }
            #[cfg(feature = "postgres")]
            if wanted("w6-postgres-async") {
                run_w6(&url);
            }
        }
        Err(_) => println!("(PostgreSQL skipped: PG_DATABASE_URL is not set)"),
    }
    if wanted("m1-sqlite-stream") {
        run_m1(&dir);
    }
}
