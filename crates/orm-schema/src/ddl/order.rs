//! The order in which tables can be created (referenced tables first) or dropped
//! (the reverse), and the foreign keys that must wait until every table exists: two models
//! that reference each other form a cycle, which a nullable foreign key on it breaks.

use crate::meta::{FieldMeta, ModelMeta};

/// A schema that cannot be built as declared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// Foreign keys form a cycle none of whose keys is nullable, so no table of the cycle
    /// can be created (nor a row inserted) first.
    #[error("foreign keys form a cycle between tables: {} (make one of them nullable)", tables.join(" -> "))]
    Cycle {
        /// The tables on the cycle, in reference order, the first repeated at the end.
        tables: Vec<&'static str>,
    },
    /// A model's metadata does not have exactly one primary-key field (only metadata built
    /// by hand can: `#[derive(Model)]` refuses such a model at compile time).
    #[error("table `{table}` needs exactly one primary-key field; its metadata has {found}")]
    PrimaryKey {
        /// The table.
        table: &'static str,
        /// How many fields are marked `primary_key`.
        found: usize,
    },
    /// A `unique_together` or `index_together` group names a column the table does not
    /// have (only metadata built by hand can: the derive checks the field names).
    #[error("table `{table}`: `{option}` names `{column}`, which is not one of its columns")]
    UnknownColumn {
        /// The table.
        table: &'static str,
        /// `unique_together` or `index_together`.
        option: &'static str,
        /// The column that is not there.
        column: &'static str,
    },
    /// A model references a table that is not in the list being created.
    #[error("table `{table}` references `{target}`, which is not in the list of models")]
    MissingReference {
        /// The referencing table.
        table: &'static str,
        /// The referenced table that is missing.
        target: &'static str,
    },
}

/// How to build a set of tables: the order to create them in (drop in the reverse), and
/// the foreign keys to add once every table exists.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Referenced tables first, except along the deferred keys.
    pub order: Vec<&'static ModelMeta>,
    /// Nullable foreign keys that close a cycle (`teams.captain` when players reference
    /// teams): created after every table, and dropped before any.
    pub deferred: Vec<(&'static ModelMeta, &'static FieldMeta)>,
}

impl Plan {
    /// Whether `field` of `meta` is a deferred foreign key.
    pub fn is_deferred(&self, meta: &ModelMeta, field: &FieldMeta) -> bool {
        self.deferred
            .iter()
            .any(|(m, f)| m.table == meta.table && f.column == field.column)
    }
}

/// The [`Plan`] for `models`: every table after the tables it references (self references
/// allowed). Models listed twice are kept once. Where foreign keys form a cycle, a
/// nullable key on it is deferred; a cycle of NOT NULL keys is [`SchemaError::Cycle`].
/// A reference to a model outside `models` is an error, so `create_all` never fails
/// half-way on a missing table.
pub fn plan(models: &[&'static ModelMeta]) -> Result<Plan, SchemaError> {
    let mut unique: Vec<&'static ModelMeta> = Vec::with_capacity(models.len());
    for m in models {
        if !unique.iter().any(|u| u.table == m.table) {
            unique.push(m);
        }
    }
    for m in &unique {
        let found = m.fields.iter().filter(|f| f.primary_key).count();
        if found != 1 {
            return Err(SchemaError::PrimaryKey {
                table: m.table,
                found,
            });
        }
        let groups = (m.unique_together.iter().map(|g| ("unique_together", g)))
            .chain(m.index_together.iter().map(|g| ("index_together", g)));
        for (option, group) in groups {
            if let Some(column) = group
                .iter()
                .find(|c| !m.fields.iter().any(|f| f.column == **c))
            {
                return Err(SchemaError::UnknownColumn {
                    table: m.table,
                    option,
                    column,
                });
            }
        }
        for target in m.references() {
            if !unique.iter().any(|u| u.table == target.table) {
                return Err(SchemaError::MissingReference {
                    table: m.table,
                    target: target.table,
                });
            }
        }
    }
    let mut plan = Plan {
        order: Vec::new(),
        deferred: Vec::new(),
    };
    loop {
        match sort(&unique, &plan) {
            Ok(order) => {
                plan.order = order;
                return Ok(plan);
            }
            Err(tables) => {
                let Some(edge) = nullable_edge(&unique, &tables, &plan) else {
                    return Err(SchemaError::Cycle { tables });
                };
                plan.deferred.push(edge);
            }
        }
    }
}

/// Sorts `models` so that every table comes after the tables it references (self
/// references allowed). Models listed twice are kept once. Drop in the reverse order.
/// Tables on a cycle broken by a nullable key come in [`plan`]'s order.
pub fn creation_order(
    models: &[&'static ModelMeta],
) -> Result<Vec<&'static ModelMeta>, SchemaError> {
    Ok(plan(models)?.order)
}

/// The foreign keys of `meta` the sort follows: not to itself, not deferred.
fn edges<'p>(
    meta: &'static ModelMeta,
    plan: &'p Plan,
) -> impl Iterator<Item = (&'static FieldMeta, &'static ModelMeta)> + 'p {
    meta.fields.iter().filter_map(move |f| {
        let target = (f.foreign_key.as_ref()?.target)();
        (target.table != meta.table && !plan.is_deferred(meta, f)).then_some((f, target))
    })
}

/// A nullable, not yet deferred foreign key along the cycle `tables` (`a -> b -> a`),
/// the last one first (the key that closes the cycle).
fn nullable_edge(
    models: &[&'static ModelMeta],
    tables: &[&'static str],
    plan: &Plan,
) -> Option<(&'static ModelMeta, &'static FieldMeta)> {
    tables.windows(2).rev().find_map(|pair| {
        let from = models.iter().find(|m| m.table == pair[0])?;
        edges(from, plan)
            .find(|(f, target)| f.nullable && target.table == pair[1])
            .map(|(f, _)| (*from, f))
    })
}

/// Depth-first topological sort of `models` along their non-deferred keys; a cycle comes
/// back as its tables, the first repeated at the end.
fn sort(
    models: &[&'static ModelMeta],
    plan: &Plan,
) -> Result<Vec<&'static ModelMeta>, Vec<&'static str>> {
    // `state`: 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; models.len()];
    let mut out = Vec::with_capacity(models.len());
    let mut stack = Vec::new();
    for i in 0..models.len() {
        visit(i, models, plan, &mut state, &mut stack, &mut out)?;
    }
    Ok(out)
}

fn visit(
    i: usize,
    models: &[&'static ModelMeta],
    plan: &Plan,
    state: &mut [u8],
    stack: &mut Vec<usize>,
    out: &mut Vec<&'static ModelMeta>,
) -> Result<(), Vec<&'static str>> {
    match state[i] {
        2 => return Ok(()),
        1 => {
            let start = stack.iter().position(|&s| s == i).unwrap_or(0);
            let mut tables: Vec<&'static str> =
                stack[start..].iter().map(|&s| models[s].table).collect();
            tables.push(models[i].table);
            return Err(tables);
        }
        _ => {}
    }
    state[i] = 1;
    stack.push(i);
    for (_, target) in edges(models[i], plan) {
        let j = models
            .iter()
            .position(|m| m.table == target.table)
            .expect("references were checked above");
        visit(j, models, plan, state, stack, out)?;
    }
    stack.pop();
    state[i] = 2;
    out.push(models[i]);
    Ok(())
}
