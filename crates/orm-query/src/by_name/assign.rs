//! Assignments by name for an UPDATE (Django's `update(stock=F("stock") - 1)`): a value,
//! NULL, another field of the row (`F("other")`), or arithmetic on a field (`F("stock") -
//! 1`, `F("price") * F("rate")`), checked against the model's metadata. The result is a
//! diesel change set (`SET "stock" = ("stock" - ?)`), so persistence runs it as it runs
//! `update_with`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, Div, Mul, Sub};
use std::sync::Arc;

use diesel::dsl;
use diesel::query_builder::{AsChangeset, AstPass, QueryFragment};
use diesel::query_dsl::methods::SelectDsl;
use diesel::result::QueryResult;
use orm_schema::validate::Collector;
use orm_schema::{FieldMeta, Model, ValidationError};

use super::input::{LookupValue, F};
use super::parse::field as find_field;
use super::render::BindAll;
use super::subquery::PkOf;
use super::value::Value;
use super::NameError;

/// The arithmetic of an [`UpdateValue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (Float and Decimal fields only: integer division differs between backends).
    Div,
}

impl Arith {
    fn sql(self) -> &'static str {
        match self {
            Arith::Add => " + ",
            Arith::Sub => " - ",
            Arith::Mul => " * ",
            Arith::Div => " / ",
        }
    }
}

/// What a field is set to by name: a value (anything that converts into a
/// [`LookupValue`]: text, a number, a bool, NULL, `F("other")`), or arithmetic on a field
/// (`F("stock") - 1`, `F("price") * F("rate")`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateValue {
    /// A value, NULL, or another field of the row.
    Value(LookupValue),
    /// `F(field) op operand` (the operand a number or `F(other)`).
    Arith {
        /// The field the arithmetic starts from.
        field: String,
        /// The operator.
        op: Arith,
        /// The right-hand side.
        operand: LookupValue,
    },
}

impl<T: Into<LookupValue>> From<T> for UpdateValue {
    fn from(value: T) -> Self {
        UpdateValue::Value(value.into())
    }
}

macro_rules! arith {
    ($($trait:ident $method:ident $op:ident),*) => {$(
        impl<T: Into<LookupValue>> $trait<T> for F<'_> {
            type Output = UpdateValue;

            fn $method(self, operand: T) -> UpdateValue {
                UpdateValue::Arith {
                    field: self.0.to_string(),
                    op: Arith::$op,
                    operand: operand.into(),
                }
            }
        }
    )*};
}
arith!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

/// The right-hand side of one checked assignment.
#[derive(Debug, Clone)]
enum Rhs {
    Null,
    Bound(Value),
    Column(&'static str),
    Arith {
        column: &'static str,
        op: Arith,
        operand: Box<Rhs>,
    },
}

/// Assignments by name checked against `M`'s metadata: a diesel change set over `M`'s
/// table, which `update_with` runs (`QuerySet::update_by` builds and runs it).
pub struct Assignments<M> {
    set: Arc<[(&'static FieldMeta, Rhs)]>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for Assignments<M> {
    fn clone(&self) -> Self {
        Assignments {
            set: Arc::clone(&self.set),
            _model: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Assignments<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Assignments").field(&self.set).finish()
    }
}

impl<M: Model> Assignments<M> {
    /// Checks `assignments` (field name, what it is set to) against `M`: each field of `M`
    /// itself, once; a value converted to the field's type (NULL only for a nullable
    /// field); `F(other)` of a field of the same kind; arithmetic only on numbers (`/` on
    /// Float and Decimal fields only). Otherwise a [`NameError`] naming the field.
    pub fn parse(assignments: &[(&str, UpdateValue)]) -> Result<Self, NameError> {
        let meta = M::meta();
        let mut set: Vec<(&'static FieldMeta, Rhs)> = Vec::with_capacity(assignments.len());
        for (name, value) in assignments {
            let field = find_field(meta, name)?;
            if set.iter().any(|(f, _)| f.column == field.column) {
                return Err(NameError::DuplicateName {
                    name: (*name).to_string(),
                });
            }
            set.push((field, Self::rhs(field, value)?));
        }
        Ok(Assignments {
            set: set.into(),
            _model: PhantomData,
        })
    }

    /// Whether there is nothing to set.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Checks every value set (not `F(..)` nor arithmetic, which the database computes)
    /// against its field's validators, as a typed update's change set is checked: one
    /// [`ValidationError`] listing every failing field. `update_by` runs it before any
    /// SQL, so `update_by(&[("title", "far too long".into())])` on a title with
    /// `max_length = 5` is `Error::Validation` (code `max_length`) and writes nothing.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut errors = Collector::new();
        for (field, rhs) in self.set.iter() {
            if let Rhs::Bound(value) = rhs {
                check_value(&mut errors, field, value);
            }
        }
        errors.finish()
    }

    fn rhs(field: &'static FieldMeta, value: &UpdateValue) -> Result<Rhs, NameError> {
        let invalid = |value: String, expected| NameError::InvalidValue {
            field: field.name,
            value,
            expected,
        };
        let (from, op, operand) = match value {
            UpdateValue::Value(value) => return Self::operand(field, value, field.nullable),
            UpdateValue::Arith { field, op, operand } => (field, op, operand),
        };
        let from = find_field(M::meta(), from)?;
        let shown = || {
            format!(
                "F({}) {} {}",
                from.name,
                op.sql().trim(),
                operand.describe()
            )
        };
        if !field.kind.is_numeric() || !from.kind.is_numeric() {
            return Err(invalid(shown(), "arithmetic on number fields only"));
        }
        let integer = field.kind.is_integer();
        if *op == Arith::Div && integer {
            return Err(invalid(
                shown(),
                "no `/` on an integer field (integer division differs between backends)",
            ));
        }
        let operand = Self::operand(field, operand, false)?;
        Ok(Rhs::Arith {
            column: from.column,
            op: *op,
            operand: Box::new(operand),
        })
    }

    /// A value for `field`: NULL (when `nullable`), another field, or a value converted
    /// to the field's type.
    fn operand(
        field: &'static FieldMeta,
        value: &LookupValue,
        nullable: bool,
    ) -> Result<Rhs, NameError> {
        let invalid = |expected| NameError::InvalidValue {
            field: field.name,
            value: value.describe(),
            expected,
        };
        match value {
            LookupValue::Null if nullable => Ok(Rhs::Null),
            LookupValue::Null => Err(invalid("a value (the field is not nullable)")),
            LookupValue::List(_) => Err(invalid("a single value")),
            LookupValue::Field(name) => {
                let other = find_field(M::meta(), name)?;
                let same = other.kind == field.kind
                    || (other.kind.is_numeric() && field.kind.is_numeric());
                if !same {
                    return Err(invalid("F(field) of the same kind"));
                }
                Ok(Rhs::Column(other.column))
            }
            single => {
                let text = single.as_text().unwrap_or_default();
                Ok(Rhs::Bound(Value::parse(field, &text)?))
            }
        }
    }
}

/// `value`, converted to `field`'s type, checked against `field`'s validators.
fn check_value(errors: &mut Collector, field: &'static FieldMeta, value: &Value) {
    match value {
        Value::SmallInt(v) => errors.check(field, v),
        Value::Int(v) => errors.check(field, v),
        Value::BigInt(v) => errors.check(field, v),
        Value::Float(v) => errors.check(field, v),
        Value::Real(v) => errors.check(field, v),
        Value::Bool(v) => errors.check(field, v),
        Value::Text(v) => errors.check(field, v),
        Value::Decimal(v) => errors.check(field, v),
        Value::Date(v) => errors.check(field, v),
        Value::DateTime(v) => errors.check(field, v),
        Value::DateTimeUtc(v) => errors.check(field, v),
        Value::Time(v) => errors.check(field, v),
        Value::Bytes(v) => errors.check(field, v),
        Value::Uuid(v) => errors.check(field, v),
        Value::Ip(v) => errors.check(field, v),
        // Not what an assignment holds (lookups only).
        Value::Like(_) | Value::List(_) | Value::Column(_) | Value::Subquery(_) => {}
    }
}

/// [`Assignments`] restricted to the rows `S` selects (the primary keys of a QuerySet's
/// WHERE query): the change set `update_by` runs, `SET ... WHERE pk IN (SELECT pk FROM (<W>) AS __orm_u)` on the
/// bare table. (diesel accepts a WHERE next to its own typed assignments only; the derived
/// table lets MySQL update a table its subquery reads.)
pub struct AssignWhere<M, S> {
    set: Assignments<M>,
    scope: S,
}

impl<M, W: Clone> Clone for AssignWhere<M, W> {
    fn clone(&self) -> Self {
        AssignWhere {
            set: self.set.clone(),
            scope: self.scope.clone(),
        }
    }
}

impl<M, W> fmt::Debug for AssignWhere<M, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssignWhere")
            .field("set", &self.set)
            .finish_non_exhaustive()
    }
}

impl<M: Model> Assignments<M> {
    /// These assignments on the rows of the WHERE query `scope` only.
    pub fn scoped<W>(self, scope: W) -> AssignWhere<M, dsl::Select<W, PkOf<M>>>
    where
        W: SelectDsl<PkOf<M>>,
    {
        AssignWhere {
            set: self,
            scope: scope.select(PkOf::new()),
        }
    }
}

impl<M: Model, W> AsChangeset for AssignWhere<M, W> {
    type Target = M::Table;
    type Changeset = Self;

    fn as_changeset(self) -> Self {
        self
    }
}

orm_schema::query_id_by_text!([M, W] AssignWhere<M, W>);

/// `"column" = rhs, ... WHERE "pk" IN (SELECT "pk" FROM (<scope>) AS "__orm_u")`.
impl<M, S, DB> QueryFragment<DB> for AssignWhere<M, S>
where
    M: Model,
    DB: BindAll,
    S: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.set.walk_ast(out.reborrow())?;
        let meta = M::meta();
        let pk = meta.primary_key().map_or("id", |f| f.column);
        out.push_sql(" WHERE ");
        out.push_identifier(pk)?;
        out.push_sql(" IN (SELECT ");
        out.push_identifier(pk)?;
        out.push_sql(" FROM (");
        self.scope.walk_ast(out.reborrow())?;
        out.push_sql(") AS ");
        out.push_identifier("__orm_u")?;
        out.push_sql(")");
        Ok(())
    }
}

impl<M: Model> AsChangeset for Assignments<M> {
    type Target = M::Table;
    type Changeset = Self;

    fn as_changeset(self) -> Self {
        self
    }
}

orm_schema::query_id_by_text!([M] Assignments<M>);

fn rhs<'b, DB: BindAll>(out: &mut AstPass<'_, 'b, DB>, rhs: &'b Rhs) -> QueryResult<()> {
    match rhs {
        Rhs::Null => out.push_sql("NULL"),
        Rhs::Bound(value) => DB::bind(out, value)?,
        Rhs::Column(column) => out.push_identifier(column)?,
        Rhs::Arith {
            column,
            op,
            operand,
        } => {
            out.push_sql("(");
            out.push_identifier(column)?;
            out.push_sql(op.sql());
            self::rhs(out, operand)?;
            out.push_sql(")");
        }
    }
    Ok(())
}

/// `"column" = rhs, ...`: the columns unqualified, as diesel renders a SET clause.
impl<M, DB: BindAll> QueryFragment<DB> for Assignments<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, (field, value)) in self.set.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(field.column)?;
            out.push_sql(" = ");
            rhs(&mut out, value)?;
        }
        Ok(())
    }
}
