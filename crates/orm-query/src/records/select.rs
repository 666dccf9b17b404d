//! The SQL of a by-name projection: the selected columns and aggregates, each under an
//! alias orm makes (`__orm_c0_int`), the GROUP BY of `annotate`, and an ORDER BY of the
//! record's names. Only identifiers from the static metadata reach SQL.

use std::sync::Arc;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::result::QueryResult;
use diesel::sql_types::{Bool, Untyped};

use orm_schema::{FieldKind, FieldMeta};

use super::row::Read;
use crate::by_name::parse::LookupKind;
use crate::by_name::render::{
    column as qualified, path_column, run_time_expression, BindAll, ALIASES,
};
use crate::by_name::Value;
use crate::by_name::{Dialect, Hop};

/// An aggregate function of a by-name aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Count,
    CountDistinct,
    /// SUM, cast to a 64-bit integer (a sum of integers).
    SumBigInt,
    Sum,
    Avg,
    Min,
    Max,
}

/// One selected column: a field of the model or of a row its foreign keys reach, or an
/// aggregate of one, read as `read`.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) hops: Vec<Hop>,
    pub(crate) column: &'static str,
    pub(crate) function: Option<Function>,
    pub(crate) read: Read,
    /// The field the item reads (or aggregates), for errors.
    pub(crate) field: &'static FieldMeta,
}

impl Item {
    /// Whether the path follows a reverse relation (many rows per row).
    pub(crate) fn is_many(&self) -> bool {
        self.hops.iter().any(|h| h.many.is_some())
    }

    /// The kind a value compared with the item converts to (`having`): the field's, or
    /// the aggregate's (`BigInteger` for a count, `Decimal` for an average of integers).
    pub(crate) fn compare_kind(&self) -> FieldKind {
        let kind = self.field.kind;
        match (self.function, self.read) {
            (None, _) => kind,
            (Some(_), Read::BigInt) => FieldKind::BigInteger,
            (Some(_), Read::Float) => FieldKind::Float,
            (Some(_), Read::Decimal) if !matches!(kind, FieldKind::Decimal { .. }) => {
                FieldKind::Decimal {
                    max_digits: 65,
                    decimal_places: 30,
                }
            }
            _ => kind,
        }
    }
}

/// The SELECT list of a by-name projection (SQL type `Untyped`: rows load by alias).
#[derive(Debug, Clone)]
pub struct Selection {
    pub(crate) table: &'static str,
    pub(crate) items: Arc<[Item]>,
}

/// The alias of the `i`-th selected column: its position and how it is read, nothing from
/// the caller.
fn alias(i: usize, read: Read) -> String {
    format!("__orm_c{i}_{}", read.tag())
}

// Any grouping: the GROUP BY of `annotate` names exactly the selected columns that are not
// aggregates, which diesel cannot see in a selection built at run time.
run_time_expression!([] Selection, sql_type = Untyped, grouping = any);

impl<DB: Dialect> QueryFragment<DB> for Selection {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            item_sql(&mut out, self.table, item)?;
            out.push_sql(" AS ");
            out.push_identifier(&alias(i, item.read))?;
        }
        Ok(())
    }
}

/// The SQL of `item` (a column, or an aggregate of one) on `table`, without its alias:
/// what the SELECT list and a HAVING condition both write.
fn item_sql<DB: Dialect>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    item: &Item,
) -> QueryResult<()> {
    let many = item.is_many();
    // Across a reverse relation the per-row counts add up (0 for no rows).
    let (before, after) = match (item.function, many) {
        (None, _) => ("", ""),
        (Some(Function::Count), false) => ("COUNT(", ")"),
        (Some(Function::Count), true) => ("COALESCE(SUM(", "), 0)"),
        (Some(Function::CountDistinct), _) => ("COUNT(DISTINCT ", ")"),
        (Some(Function::SumBigInt | Function::Sum), _) => ("SUM(", ")"),
        (Some(Function::Avg), _) => ("AVG(", ")"),
        (Some(Function::Min), _) => ("MIN(", ")"),
        (Some(Function::Max), _) => ("MAX(", ")"),
    };
    let cast = item.function == Some(Function::SumBigInt)
        || (many && item.function == Some(Function::Count));
    let (cast_open, cast_close) = DB::bigint_cast();
    if cast {
        out.push_sql(cast_open);
    }
    out.push_sql(before);
    match item.function {
        Some(function) if many => related_aggregate(out, table, &item.hops, item.column, function)?,
        _ => path_column(out, table, &item.hops, item.column)?,
    }
    out.push_sql(after);
    if cast {
        out.push_sql(cast_close);
    }
    Ok(())
}

/// A HAVING clause by record names (`Records::having`): every condition ANDed, each
/// comparing a record's column or aggregate, written out again (PostgreSQL's HAVING
/// cannot name the SELECT list's aliases), with a bound value.
#[derive(Debug, Clone)]
pub struct RecordHaving {
    pub(crate) table: &'static str,
    /// (the record's position in the selection, its item, the lookup, the value).
    pub(crate) conditions: Arc<[(usize, Item, LookupKind, Value)]>,
}

run_time_expression!([] RecordHaving, sql_type = Bool, grouping = any);

impl<DB: BindAll> QueryFragment<DB> for RecordHaving {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, (position, item, lookup, value)) in self.conditions.iter().enumerate() {
            if i > 0 {
                out.push_sql(" AND ");
            }
            out.push_sql("(");
            if DB::HAVING_NAMES_ALIASES {
                out.push_identifier(&alias(*position, item.read))?;
            } else {
                item_sql(&mut out, self.table, item)?;
            }
            let op = match lookup {
                LookupKind::IsNull => {
                    let null = *value == Value::Bool(true);
                    out.push_sql(if null { " IS NULL)" } else { " IS NOT NULL)" });
                    continue;
                }
                LookupKind::Range => {
                    let Value::List(ends) = value else {
                        unreachable!("a range holds two values (checked when parsed)")
                    };
                    out.push_sql(" BETWEEN ");
                    operand(&mut out, &ends[0])?;
                    out.push_sql(" AND ");
                    operand(&mut out, &ends[1])?;
                    out.push_sql(")");
                    continue;
                }
                LookupKind::Gt => " > ",
                LookupKind::Gte => " >= ",
                LookupKind::Lt => " < ",
                LookupKind::Lte => " <= ",
                _ => " = ",
            };
            out.push_sql(op);
            operand(&mut out, value)?;
            out.push_sql(")");
        }
        Ok(())
    }
}

/// `value` bound, cast where the backend needs it to compare as a number.
fn operand<'b, DB: BindAll>(out: &mut AstPass<'_, 'b, DB>, value: &'b Value) -> QueryResult<()> {
    let (before, after) = match value {
        Value::Decimal(_) => DB::decimal_operand(),
        _ => ("", ""),
    };
    out.push_sql(before);
    DB::bind(out, value)?;
    out.push_sql(after);
    Ok(())
}

/// `function` over the rows `hops` reach from one row of `table`, as a correlated
/// subquery: `(SELECT COUNT(r2.id) FROM tracks AS r1 INNER JOIN entries AS r2 ON
/// r2.track = r1.id WHERE r1.album = albums.id)`.
fn related_aggregate<DB: Dialect>(
    out: &mut AstPass<'_, '_, DB>,
    table: &str,
    hops: &[Hop],
    column: &str,
    function: Function,
) -> QueryResult<()> {
    let inner = match function {
        Function::Count | Function::CountDistinct => "COUNT(",
        Function::SumBigInt | Function::Sum => "SUM(",
        Function::Avg => "AVG(",
        Function::Min => "MIN(",
        Function::Max => "MAX(",
    };
    out.push_sql("(SELECT ");
    out.push_sql(inner);
    qualified(out, ALIASES[hops.len() - 1], column)?;
    out.push_sql(") FROM ");
    for (i, hop) in hops.iter().enumerate() {
        if i > 0 {
            out.push_sql(" INNER JOIN ");
        }
        out.push_identifier(hop.table)?;
        out.push_sql(" AS ");
        out.push_identifier(ALIASES[i])?;
        if i > 0 {
            out.push_sql(" ON ");
            qualified(out, ALIASES[i], hop.selects)?;
            out.push_sql(" = ");
            qualified(out, ALIASES[i - 1], hop.column)?;
        }
    }
    out.push_sql(" WHERE ");
    qualified(out, ALIASES[0], hops[0].selects)?;
    out.push_sql(" = ");
    qualified(out, table, hops[0].column)?;
    out.push_sql(")");
    Ok(())
}

/// `GROUP BY` the selected columns at `positions`, by their aliases.
#[derive(Debug, Clone)]
pub struct GroupNames {
    pub(crate) aliases: Arc<[String]>,
}

impl GroupNames {
    pub(crate) fn of(selection: &Selection) -> GroupNames {
        let aliases = selection
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.function.is_none())
            .map(|(i, item)| alias(i, item.read))
            .collect();
        GroupNames { aliases }
    }
}

/// An ORDER BY of a record's names, by their aliases (`-n`: descending).
#[derive(Debug, Clone)]
pub struct RecordOrder {
    /// (alias, descending) per key.
    pub(crate) keys: Arc<[(String, bool)]>,
}

impl RecordOrder {
    pub(crate) fn new(selection: &Selection, keys: Vec<(usize, bool)>) -> RecordOrder {
        let keys = keys
            .into_iter()
            .map(|(i, descending)| (alias(i, selection.items[i].read), descending))
            .collect();
        RecordOrder { keys }
    }
}

/// Renders `names` comma-separated, each followed by ` DESC` when its flag is set.
fn alias_list<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    names: impl Iterator<Item = (String, bool)>,
) -> QueryResult<()> {
    for (i, (name, descending)) in names.enumerate() {
        if i > 0 {
            out.push_sql(", ");
        }
        out.push_identifier(&name)?;
        if descending {
            out.push_sql(" DESC");
        }
    }
    Ok(())
}

macro_rules! alias_expression {
    ($ty:ty, |$this:ident| $names:expr) => {
        run_time_expression!([] $ty, sql_type = Bool, grouping = any);

        impl<DB: Backend> QueryFragment<DB> for $ty {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                let $this = self;
                alias_list(&mut out, $names)
            }
        }
    };
}

alias_expression!(GroupNames, |this| this
    .aliases
    .iter()
    .map(|a| (a.clone(), false)));
alias_expression!(RecordOrder, |this| this.keys.iter().cloned());
