//! How checked by-name conditions and orderings render: the column names come from the
//! model's static metadata, pushed as quoted identifiers; every value is a bound parameter.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::result::QueryResult;
use diesel::sql_types::{self as st, Bool};

use super::dialect::Dialect;
use super::parse::{LookupKind, OrderKey, MAX_RELATIONS};
use super::subquery::RenderSubquery;
use super::value::Value;
use super::{ByName, Clause, Condition, Hop, OrderByName};
use crate::lookups::LikeSyntax;

/// A backend that can bind every kind of by-name [`Value`]. Implemented for each enabled
/// backend, where diesel's `ToSql` impls for the concrete types are known, so the code
/// that renders conditions needs only this one bound.
pub trait BindAll: Dialect + RenderSubquery + LikeSyntax {
    /// Binds `value` with the SQL type of its kind (a list: each item, comma-separated).
    fn bind<'b>(out: &mut AstPass<'_, 'b, Self>, value: &'b Value) -> QueryResult<()>;
}

macro_rules! bind_all {
    ($($feature:literal => $db:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl BindAll for $db {
            fn bind<'b>(out: &mut AstPass<'_, 'b, Self>, value: &'b Value) -> QueryResult<()> {
                match value {
                    Value::SmallInt(v) => out.push_bind_param::<st::SmallInt, _>(v),
                    Value::Int(v) => out.push_bind_param::<st::Integer, _>(v),
                    Value::BigInt(v) => out.push_bind_param::<st::BigInt, _>(v),
                    Value::Float(v) => out.push_bind_param::<st::Double, _>(v),
                    Value::Real(v) => out.push_bind_param::<st::Float, _>(v),
                    Value::Bool(v) => out.push_bind_param::<st::Bool, _>(v),
                    Value::Text(v) => out.push_bind_param::<st::Text, _>(v),
                    Value::Like(p) => out.push_bind_param::<st::Text, _>(
                        <Self as LikeSyntax>::pattern(p),
                    ),
                    Value::Decimal(v) => {
                        out.push_bind_param::<orm_schema::sql_types::Decimal, _>(v)
                    }
                    Value::Date(v) => out.push_bind_param::<st::Date, _>(v),
                    Value::DateTime(v) => out.push_bind_param::<st::Timestamp, _>(v),
                    Value::DateTimeUtc(v) => {
                        out.push_bind_param::<orm_schema::sql_types::TimestampUtc, _>(v)
                    }
                    Value::Time(v) => out.push_bind_param::<st::Time, _>(v),
                    Value::Bytes(v) => out.push_bind_param::<st::Binary, _>(v),
                    Value::Uuid(v) => out.push_bind_param::<orm_schema::sql_types::Uuid, _>(v),
                    Value::Ip(v) => {
                        out.push_bind_param::<orm_schema::sql_types::IpAddress, _>(v)
                    }
                    Value::List(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if i > 0 {
                                out.push_sql(", ");
                            }
                            Self::bind(out, item)?;
                        }
                        Ok(())
                    }
                    // Rendered as a column or a subquery by the condition, never bound.
                    Value::Column(column) => Err(diesel::result::Error::QueryBuilderError(
                        format!("column {column} is not a bound value").into(),
                    )),
                    Value::Subquery(sub) => Err(diesel::result::Error::QueryBuilderError(
                        format!("{sub:?} is not a bound value").into(),
                    )),
                }
            }
        }
    )*};
}

bind_all!(
    "sqlite" => diesel::sqlite::Sqlite,
    "postgres" => diesel::pg::Pg,
    "mysql" => diesel::mysql::Mysql,
    "mysql" => diesel::mariadb::Mariadb
);

/// Implements diesel's expression traits for `$ty`, an expression whose SQL is built at run
/// time from names: `Expression` with `$sql_type`; `QueryId` by its text (the SQL depends on
/// the names, so the statement cache keys it by its text); `AppearsOnTable` and
/// `SelectableExpression` for any query source (it names only checked columns); and
/// `ValidGrouping` for the grouping `$group` (`any`: every grouping), never an aggregate.
macro_rules! run_time_expression {
    ([$($gen:ident),*] $ty:ty, sql_type = $sql_type:ty, grouping = any) => {
        run_time_expression!(@impl [$($gen),*] $ty, $sql_type, [G] G);
    };
    ([$($gen:ident),*] $ty:ty, sql_type = $sql_type:ty, grouping = $group:ty) => {
        run_time_expression!(@impl [$($gen),*] $ty, $sql_type, [] $group);
    };
    (@impl [$($gen:ident),*] $ty:ty, $sql_type:ty, [$($group_gen:ident)?] $group:ty) => {
        impl<$($gen),*> diesel::expression::Expression for $ty {
            type SqlType = $sql_type;
        }
        orm_schema::query_id_by_text!([$($gen),*] $ty);
        impl<$($gen,)* QS> diesel::expression::AppearsOnTable<QS> for $ty {}
        impl<$($gen,)* QS> diesel::expression::SelectableExpression<QS> for $ty {}
        impl<$($gen,)* $($group_gen)?> diesel::expression::ValidGrouping<$group> for $ty {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}
pub(crate) use run_time_expression;

/// `table.column`, both quoted.
pub(crate) fn column<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    column: &str,
) -> QueryResult<()> {
    out.push_identifier(table)?;
    out.push_sql(".");
    out.push_identifier(column)
}

/// The table aliases of the subqueries a path through foreign keys renders, one per level
/// (an alias, so a model referencing itself never confuses its two copies).
pub(crate) const ALIASES: [&str; MAX_RELATIONS] = [
    "__orm_r1", "__orm_r2", "__orm_r3", "__orm_r4", "__orm_r5", "__orm_r6", "__orm_r7", "__orm_r8",
];

/// `c`, whose column may be on a table reached through foreign keys: every hop renders
/// `fk IN (SELECT pk FROM target AS alias WHERE ...)`, or for a reverse relation
/// `pk IN (SELECT fk FROM child AS alias WHERE ...)`: semi-joins, which never repeat a
/// row. A nullable first hop adds `fk IS NOT NULL AND`, so an excluded condition keeps the
/// rows whose key is null (they do not match it), as Django's `exclude` does.
fn condition<'b, DB: BindAll>(
    out: &mut AstPass<'_, 'b, DB>,
    table: &'b str,
    c: &'b Condition,
) -> QueryResult<()> {
    let Some(first) = c.hops.first() else {
        return field_condition(out, table, c);
    };
    out.push_sql("(");
    if first.nullable {
        column(out, table, first.column)?;
        out.push_sql(" IS NOT NULL AND ");
    }
    let mut from = table;
    for (hop, alias) in c.hops.iter().zip(ALIASES) {
        column(out, from, hop.column)?;
        out.push_sql(" IN (SELECT ");
        column(out, alias, hop.selects)?;
        out.push_sql(" FROM ");
        out.push_identifier(hop.table)?;
        out.push_sql(" AS ");
        out.push_identifier(alias)?;
        out.push_sql(" WHERE ");
        if hop.selects_nullable {
            // No NULL in the list: `x IN (...)` is then true or false, never unknown,
            // whatever negation or OR surrounds it.
            column(out, alias, hop.selects)?;
            out.push_sql(" IS NOT NULL AND ");
        }
        from = alias;
    }
    field_condition(out, from, c)?;
    for _ in &c.hops {
        out.push_sql(")");
    }
    out.push_sql(")");
    Ok(())
}

/// What `c` compares: its column of `table`, or the part of it `c` names.
fn compared<DB: BindAll>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    c: &Condition,
) -> QueryResult<()> {
    let Some(part) = c.part else {
        return column(out, table, c.field.column);
    };
    let (before, after) = DB::date_part(part);
    out.push_sql(before);
    column(out, table, c.field.column)?;
    out.push_sql(after);
    Ok(())
}

/// `c` on a column of `table` itself.
fn field_condition<'b, DB: BindAll>(
    out: &mut AstPass<'_, 'b, DB>,
    table: &'b str,
    c: &'b Condition,
) -> QueryResult<()> {
    let col = c.field.column;
    let op = match c.lookup {
        LookupKind::IsNull => {
            column(out, table, col)?;
            out.push_sql(if c.value == Value::Bool(true) {
                " IS NULL"
            } else {
                " IS NOT NULL"
            });
            return Ok(());
        }
        LookupKind::In => {
            if matches!(&c.value, Value::List(items) if items.is_empty()) {
                out.push_sql("1 = 0");
                return Ok(());
            }
            compared(out, table, c)?;
            out.push_sql(" IN (");
            match &c.value {
                Value::Subquery(sub) => DB::subquery(out, &*sub.query)?,
                list => DB::bind(out, list)?,
            }
            out.push_sql(")");
            return Ok(());
        }
        LookupKind::Range => {
            let Value::List(ends) = &c.value else {
                unreachable!("a range condition holds two values (checked when parsed)")
            };
            compared(out, table, c)?;
            out.push_sql(" BETWEEN ");
            DB::bind(out, &ends[0])?;
            out.push_sql(" AND ");
            DB::bind(out, &ends[1])?;
            return Ok(());
        }
        LookupKind::IExact
        | LookupKind::IContains
        | LookupKind::IStartsWith
        | LookupKind::IEndsWith => {
            out.push_sql("lower(");
            column(out, table, col)?;
            out.push_sql(") LIKE lower(");
            DB::bind(out, &c.value)?;
            out.push_sql(")");
            out.push_sql(like_escape::<DB>(&c.value));
            return Ok(());
        }
        LookupKind::Regex | LookupKind::IRegex => {
            let (between, after) = DB::regex_operator(c.lookup == LookupKind::IRegex);
            column(out, table, col)?;
            out.push_sql(between);
            DB::bind(out, &c.value)?;
            out.push_sql(after);
            return Ok(());
        }
        LookupKind::Contains | LookupKind::StartsWith | LookupKind::EndsWith => " LIKE ",
        LookupKind::Exact => " = ",
        LookupKind::Gt => " > ",
        LookupKind::Gte => " >= ",
        LookupKind::Lt => " < ",
        LookupKind::Lte => " <= ",
    };
    compared(out, table, c)?;
    out.push_sql(op);
    match &c.value {
        Value::Column(other) => column(out, table, other)?,
        value => DB::bind(out, value)?,
    }
    if c.lookup.is_like() {
        out.push_sql(like_escape::<DB>(&c.value));
    }
    Ok(())
}

/// The escape clause after a LIKE whose right side is `value`: what its pattern needs, or
/// the backend's clause after a column.
fn like_escape<DB: LikeSyntax>(value: &Value) -> &'static str {
    match value {
        Value::Like(pattern) => DB::escape_clause(pattern),
        _ => DB::ESCAPE_CLAUSE,
    }
}

// Nullable: a comparison with a NULL column is unknown, so `exclude` of a by-name
// condition keeps those rows (`(...) IS NOT TRUE`), as `exclude_by` does.
run_time_expression!([M] ByName<M>, sql_type = diesel::sql_types::Nullable<Bool>, grouping = ());

impl<M, DB: BindAll> QueryFragment<DB> for ByName<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        all_of(&mut out, self.table, &self.clauses)
    }
}

/// Every clause of `clauses`, ANDed (`1 = 1` for none).
fn all_of<'b, DB: BindAll>(
    out: &mut AstPass<'_, 'b, DB>,
    table: &'static str,
    clauses: &'b [Clause],
) -> QueryResult<()> {
    if clauses.is_empty() {
        out.push_sql("1 = 1");
        return Ok(());
    }
    out.push_sql("(");
    for (i, clause) in clauses.iter().enumerate() {
        if i > 0 {
            out.push_sql(" AND ");
        }
        match clause {
            Clause::Is(c) => condition(out, table, c)?,
            // `IS NOT TRUE`, not `NOT`: the rows where the condition is NULL (a
            // comparison with a NULL column) are kept, as Django's `exclude` keeps them.
            Clause::Not(c) => {
                out.push_sql("(");
                condition(out, table, c)?;
                out.push_sql(") IS NOT TRUE");
            }
            Clause::Negated(inner) => {
                out.push_sql("(");
                all_of(out, table, inner)?;
                out.push_sql(") IS NOT TRUE");
            }
            Clause::Or(left, right) => {
                out.push_sql("(");
                all_of(out, table, left)?;
                out.push_sql(" OR ");
                all_of(out, table, right)?;
                out.push_sql(")");
            }
            Clause::Search { fields, pattern } => {
                out.push_sql("(");
                for (j, f) in fields.iter().enumerate() {
                    if j > 0 {
                        out.push_sql(" OR ");
                    }
                    out.push_sql("lower(");
                    column(out, table, f.column)?;
                    out.push_sql(") LIKE lower(");
                    DB::bind(out, pattern)?;
                    out.push_sql(")");
                    out.push_sql(like_escape::<DB>(pattern));
                }
                if fields.is_empty() {
                    out.push_sql("1 = 0");
                }
                out.push_sql(")");
            }
        }
    }
    out.push_sql(")");
    Ok(())
}

run_time_expression!([M] OrderByName<M>, sql_type = Bool, grouping = ());

impl<M, DB: Backend> QueryFragment<DB> for OrderByName<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            order_key(&mut out, self.table, key)?;
            if key.descending {
                out.push_sql(" DESC");
            }
        }
        Ok(())
    }
}

/// The column `column` of the row `hops` lead to from `table` (the column itself for no
/// hops), as an ordering renders it: a scalar subquery per hop, NULL when a key is null.
pub(crate) fn path_column<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    hops: &[Hop],
    column: &str,
) -> QueryResult<()> {
    order_path(out, table, hops, &ALIASES, column)
}

/// The column `key` orders by; through foreign keys, a scalar subquery per hop:
/// `(SELECT (SELECT r2.name FROM t2 AS r2 WHERE r2.pk = r1.fk2) FROM t1 AS r1 WHERE
/// r1.pk = table.fk1)`, NULL when a key is null.
fn order_key<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    key: &OrderKey,
) -> QueryResult<()> {
    path_column(out, table, &key.hops, key.field.column)
}

fn order_path<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    from: &str,
    hops: &[Hop],
    aliases: &[&str],
    field: &str,
) -> QueryResult<()> {
    let (Some((hop, hops)), Some((alias, aliases))) = (hops.split_first(), aliases.split_first())
    else {
        return column(out, from, field);
    };
    out.push_sql("(SELECT ");
    order_path(out, alias, hops, aliases, field)?;
    out.push_sql(" FROM ");
    out.push_identifier(hop.table)?;
    out.push_sql(" AS ");
    out.push_identifier(alias)?;
    out.push_sql(" WHERE ");
    column(out, alias, hop.selects)?;
    out.push_sql(" = ");
    column(out, from, hop.column)?;
    out.push_sql(")");
    Ok(())
}
