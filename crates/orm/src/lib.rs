//! # orm
//!
//! Declare a model once; get typed diesel columns, validation, DDL and (as the project
//! grows) a Django-style QuerySet and safe persistence, on SQLite, PostgreSQL or
//! MySQL/MariaDB, chosen by a URL at run time.
//!
//! ```
//! use orm::prelude::*;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[orm(table = "notes")]
//! pub struct Note {
//!     #[orm(primary_key)]
//!     pub id: i64,
//!     #[orm(max_length = 100)]
//!     pub text: String,
//!     #[orm(default = false)]
//!     pub completed: bool,
//! }
//!
//! # fn main() -> orm::Result<()> {
//! let mut conn = orm::Connection::establish("sqlite::memory:")?;
//! conn.create_all(&[Note::meta()])?;
//!
//! // The insert form: required fields are plain, the others optional.
//! let form = NewNote::new("Buy the groceries.");
//! form.validate()?;
//!
//! // Too long: a validation error naming the field, before anything is written.
//! let err = NewNote::new("x".repeat(101)).validate().unwrap_err();
//! assert_eq!(err.errors()[0].field, "text");
//! assert_eq!(err.errors()[0].code, "max_length");
//!
//! // A QuerySet: typed filters (checked by rustc) and by-name ones (checked at run time).
//! let open = Note::objects()
//!     .filter(notes::completed.eq(false))
//!     .filter_by("text__icontains", "GROCERIES")?
//!     .order_by(notes::id.desc())
//!     .limit(10);
//! assert!(open.all(&mut conn)?.is_empty());
//! assert_eq!(open.count(&mut conn)?, 0);
//! # Ok(()) }
//! ```
//!
//! ## Writing
//!
//! Persistence methods take the same executors as the QuerySet's reads: `&mut Connection`
//! runs now, `&Database` (or `&mut PooledConnection`) returns a `Send` future.
//!
//! ```
//! use orm::prelude::*;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[orm(table = "notes")]
//! pub struct Note {
//!     #[orm(primary_key)]
//!     pub id: i64,
//!     #[orm(max_length = 100, unique)]
//!     pub text: String,
//!     #[orm(default = false)]
//!     pub completed: bool,
//! }
//!
//! # fn main() -> orm::Result<()> {
//! let mut conn = orm::Connection::establish("sqlite::memory:")?;
//! conn.create_all(&[Note::meta()])?;
//!
//! // Validated, defaults applied, returned with its generated key.
//! let mut note = Note::objects().create(&mut conn, NewNote::new("Buy milk"))?;
//! assert!(!note.completed);
//! // One transaction, every row or none.
//! let more = vec![NewNote::new("Call Bob"), NewNote::new("Water the plants")];
//! assert_eq!(Note::objects().bulk_create(&mut conn, more)?.len(), 2);
//!
//! // The instance is updated to the stored row.
//! note.update(&mut conn, NoteChanges { completed: Some(true), ..Default::default() })?;
//! assert!(note.completed);
//!
//! // Race-safe on a unique lookup: `true` when it created the row.
//! let (same, created) = Note::objects().get_or_create(
//!     &mut conn,
//!     notes::text.eq("Buy milk"),
//!     NewNote::new("Buy milk"),
//! )?;
//! assert_eq!((same, created), (note.clone(), false));
//!
//! // Many rows at once, computed by the database; then delete.
//! let open = Note::objects().filter(notes::completed.eq(false));
//! assert_eq!(open.update_with(&mut conn, notes::completed.eq(diesel::dsl::not(notes::completed)))?, 2);
//! assert_eq!(Note::objects().delete(&mut conn)?, 3);
//! # Ok(()) }
//! ```
//!
//! ## Your own functions, on any executor
//!
//! A function of your own takes an executor the same way: bound it by [`Reads`] for a
//! QuerySet's reads (by [`Run`] for one operation) and return `E::Output<T>`, which is
//! the result on `&mut Connection` and a `Send` future on `&Database`.
//!
//! ```
//! use orm::prelude::*;
//! use orm::relations::TableQuery;
//! use orm::{NoOrder, Reads};
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[orm(table = "notes")]
//! pub struct Note {
//!     #[orm(primary_key)]
//!     pub id: i64,
//!     #[orm(max_length = 100)]
//!     pub text: String,
//! }
//!
//! /// How many notes there are, on whatever executor the caller has.
//! fn how_many<'a, E>(executor: E) -> E::Output<i64>
//! where
//!     E: Reads<'a, Note, (TableQuery<Note>, NoOrder)>,
//! {
//!     Note::objects().count(executor)
//! }
//!
//! // Async: the same function, awaited.
//! async fn how_many_in(db: &orm::Database) -> orm::Result<i64> {
//!     how_many(db).await
//! }
//!
//! # fn main() -> orm::Result<()> {
//! let mut conn = orm::Connection::establish("sqlite::memory:")?;
//! conn.create_all(&[Note::meta()])?;
//! Note::objects().create(&mut conn, NewNote::new("Buy milk"))?;
//! assert_eq!(how_many(&mut conn)?, 1);
//! # let _ = how_many_in;
//! # Ok(()) }
//! ```
//!
//! ## Where to find things
//! - Declaring models: [`Model`] (the derive and the trait), field kinds in [`FieldKind`],
//!   options in [`FieldMeta`] and [`Validators`], enums with [`DbEnum`], references
//!   with [`ForeignKey`].
//! - Validation: [`validate`], [`ValidationError`].
//! - Schema: [`ddl`], [`ManageSchema::create_all`]; migrations: [`migrate`],
//!   [`ManageSchema::plan_migration`], [`ManageSchema::apply_operations`], files in a
//!   [`MigrationDir`] run by [`ManageSchema::run_pending_migrations`], made and checked
//!   from the files alone by [`MigrationDir::make`] and [`MigrationDir::check`] (each
//!   backend's migrations replayed into a [`Scratch`] database).
//! - Connections and errors: [`Connection`], [`Error`] (with [`ErrorCode`] and
//!   [`ConstraintInfo`]; how driver errors are classified: [`error::map`]).
//! - Async: [`Database`] (a pool per URL, async statements and transactions, a
//!   force-rollback test mode), [`PooledConnection`], [`async_dispatch!`].
//! - Writing: [`QuerySetPersist`] (create, bulk_create, get_or_create, update_or_create,
//!   update, update_with, delete), [`ModelPersist`] (update, delete, reload on an instance),
//!   [`ForeignKeyLoad`] (load a sparse foreign key); see [`persist`].
//! - Transactions: [`Connection::transaction`]; raw SQL with bound values:
//!   [`Connection::raw`]; statement tracing (target `orm::sql`): [`instrument`].
//!
//! Your crate needs `diesel` as a dependency next to `orm` (the generated `table!`
//! refers to `::diesel`): `diesel = { version = "2.4", default-features = false }`.

#![deny(missing_docs)]

pub use orm_exec::{
    async_dispatch, database, Database, DatabaseBuilder, PoolConfig, PooledConnection,
};
pub use orm_exec::{blocking_pool, BlockingPool, BlockingPoolBuilder, PooledBlocking};
pub use orm_exec::{connection, dispatch, Connection, DatabaseUrl, Error, Result};
pub use orm_exec::{error, ConnectionCause, ConstraintInfo, ErrorCode, SqlState};
pub use orm_exec::{instrument, raw, transaction, url, RawQuery};
pub use orm_exec::{manage, ManageSchema};
pub use orm_exec::{replay, Drift, Made, Scratch, ScratchDb};
pub use orm_exec::{DataLoss, Migration, MigrationDir, MigrationStatus};
pub use orm_macros::{DbEnum, Model};
pub use orm_persist::{self as persist, ForeignKeyLoad, ModelPersist, QuerySetPersist};
pub use orm_persist::{many_to_many, ManyToMany, Relinked};
pub use orm_persist::{upsert, OnConflict, Upsert};
pub use orm_query::by_name::{Assignments, LookupValue, Null, UpdateValue, F};
pub use orm_query::{
    by_name, lookups, ByName, Lookups, NameError, NoOrder, Objects, ObjectsExt, OrderBy,
    OrderByName, QuerySet, TextLookups,
};
pub use orm_query::{
    executor, pinned, stream, Executor, Reads, RowIter, RowStream, Run, RunQuerySet, StreamSource,
};
pub use orm_query::{keyset, locking, projection, Keyset, Page, Values};
pub use orm_query::{prefetch, relations, BelongsTo, RelatedExt, SelectRelated};
pub use orm_query::{records, Agg, Cell, Record, Records};
pub use orm_query::{related_names, RelatedByName, SelectRelatedNames};
pub use orm_schema::{
    ddl, migrate, sql_types, validate, Backend, ChangeSet, DateTimeUtc, DbEnum, Decimal,
    DefaultValue, FieldError, FieldKind, FieldMeta, FieldText, ForeignKey, ForeignKeyMeta,
    InsertForm, IpAddress, Json, Literal, Model, ModelMeta, OnDelete, Related, RelatedMeta, Uuid,
    ValidationError, Validators,
};

/// The names most code needs: `use orm::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ChangeSet, Connection, DbEnum, ForeignKey, InsertForm, Lookups, Model, ObjectsExt, Related,
        RelatedExt, TextLookups,
    };
    // The terminal operations, blocking (`&mut Connection`) and async (`&Database`).
    pub use crate::RunQuerySet;
    // Persistence (create, update, delete, get_or_create, ...), blocking or async the same way.
    pub use crate::{ForeignKeyLoad, ModelPersist, QuerySetPersist};
    // Creating, dropping and migrating the schema, blocking or async the same way.
    pub use crate::ManageSchema;
    pub use diesel::{BoolExpressionMethods, ExpressionMethods};
}

/// Items the derives refer to; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use orm_persist::derive as persist;
    pub use orm_schema::__impl_db_enum_serde as impl_db_enum_serde;
    pub use orm_schema::__impl_sql_value as impl_sql_value;
    pub use orm_schema::db_enum::names_a_variant;
    pub use orm_schema::model::{
        assert_field_type, assert_foreign_key, assert_is_foreign_key, assert_references,
    };

    /// Compile-time check used by the derive: `related(name = C)` needs `C` to have a
    /// foreign key to `P`.
    pub fn assert_belongs_to<C: crate::relations::BelongsTo<P>, P: crate::Model>() {}
}
