//! [`ForeignKey<M>`]: a field that references another model's row.

use std::fmt;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{SingleValue, SqlType};

use crate::model::Model;

/// A reference to a row of model `M`, stored as `M`'s primary key.
///
/// Loaded without `select_related`, it is *sparse*: it holds only the primary key
/// ([`ForeignKey::pk`]). Loaded with `select_related`, or filled by `load()`, it also
/// holds the related model ([`ForeignKey::get`]).
///
/// Two handles compare equal when they reference the same primary key.
///
/// A row loaded by `load()` is owned by the handle; the rows one `select_related` loads
/// are held together in one allocation, and rows loaded by `select_related_names` are
/// shared (an [`Arc`]) by every handle referencing them.
///
/// `K` is the type of `M`'s primary key, `i64` unless given: a model whose key is an
/// `i32` is referenced as `ForeignKey<Album, i32>`, one with a UUID key as
/// `ForeignKey<Account, orm::Uuid>`. The compiler checks that `K` is `M`'s key type.
pub struct ForeignKey<M: Model<PrimaryKey = K>, K = i64> {
    pk: K,
    loaded: Option<Loaded<M>>,
}

impl<M: Model<PrimaryKey = K>, K: Clone> ForeignKey<M, K> {
    /// A sparse handle to the row with primary key `pk`.
    pub fn new(pk: K) -> Self {
        ForeignKey { pk, loaded: None }
    }

    /// A handle holding an already loaded row.
    pub fn from_model(model: M) -> Self {
        ForeignKey {
            pk: model.pk().clone(),
            loaded: Some(Loaded::Owned(Box::new(model))),
        }
    }

    /// The referenced primary key (always available).
    pub fn pk(&self) -> &K {
        &self.pk
    }

    /// The related row, if it has been loaded.
    pub fn get(&self) -> Option<&M> {
        self.loaded.as_ref().map(Loaded::get)
    }

    /// Whether the related row has been loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded.is_some()
    }

    /// Stores a loaded related row. The row's primary key replaces the handle's.
    pub fn set_loaded(&mut self, model: M) {
        self.pk = model.pk().clone();
        self.loaded = Some(Loaded::Owned(Box::new(model)));
    }

    /// Stores a loaded related row shared with other handles. The row's primary key
    /// replaces the handle's.
    pub fn set_shared(&mut self, model: Arc<M>) {
        self.pk = model.pk().clone();
        self.loaded = Some(Loaded::Shared(model));
    }

    /// Stores row `index` of `rows`: rows loaded together (by one JOIN), held in one
    /// allocation shared by the handles referencing them. The row's primary key replaces
    /// the handle's. Panics if `index` is out of bounds.
    pub fn set_batched(&mut self, rows: &Arc<Vec<M>>, index: usize) {
        self.pk = rows[index].pk().clone();
        self.loaded = Some(Loaded::Batched(Arc::clone(rows), index));
    }
}

/// A loaded row: owned, shared, or one of a batch a JOIN loaded (one allocation for the
/// whole result instead of one per row).
#[derive(Clone)]
enum Loaded<M> {
    Owned(Box<M>),
    Shared(Arc<M>),
    Batched(Arc<Vec<M>>, usize),
}

impl<M> Loaded<M> {
    fn get(&self) -> &M {
        match self {
            Loaded::Owned(m) => m,
            Loaded::Shared(m) => m,
            Loaded::Batched(rows, index) => &rows[*index],
        }
    }
}

impl<M: Model<PrimaryKey = K> + Clone, K: Clone> Clone for ForeignKey<M, K> {
    fn clone(&self) -> Self {
        ForeignKey {
            pk: self.pk.clone(),
            loaded: self.loaded.clone(),
        }
    }
}

impl<M: Model<PrimaryKey = K>, K: PartialEq> PartialEq for ForeignKey<M, K> {
    fn eq(&self, other: &Self) -> bool {
        self.pk == other.pk
    }
}

impl<M: Model<PrimaryKey = K>, K: fmt::Debug> fmt::Debug for ForeignKey<M, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignKey<{}>({:?}", M::meta().name, self.pk)?;
        if self.loaded.is_none() {
            f.write_str(", sparse")?;
        }
        f.write_str(")")
    }
}

/// A foreign key, owned or borrowed, is a bound parameter holding its key (so
/// `column.eq(fk)` and `column.eq(&fk)` both compare with the key).
macro_rules! bound_expression {
    ($($ty:ty),*) => {$(
        impl<M, K, ST> AsExpression<ST> for $ty
        where
            M: Model<PrimaryKey = K>,
            ST: SqlType + diesel::expression::TypedExpressionType,
        {
            type Expression = Bound<ST, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
    )*};
}

bound_expression!(ForeignKey<M, K>, &ForeignKey<M, K>);

impl<M, K, ST, DB> ToSql<ST, DB> for ForeignKey<M, K>
where
    M: Model<PrimaryKey = K>,
    DB: Backend,
    K: ToSql<ST, DB> + fmt::Debug,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.pk.to_sql(out)
    }
}

impl<M, K, ST, DB> FromSql<ST, DB> for ForeignKey<M, K>
where
    M: Model<PrimaryKey = K>,
    DB: Backend,
    K: FromSql<ST, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(ForeignKey {
            pk: K::from_sql(bytes)?,
            loaded: None,
        })
    }
}

impl<M, K, ST, DB> Queryable<ST, DB> for ForeignKey<M, K>
where
    M: Model<PrimaryKey = K>,
    DB: Backend,
    ST: SingleValue,
    Self: FromSql<ST, DB>,
{
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}
