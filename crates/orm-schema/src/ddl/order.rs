//! The order in which tables can be created (referenced tables first) or dropped
//! (the reverse).

use crate::meta::ModelMeta;

/// A schema that cannot be built as declared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// Foreign keys form a cycle, so no table of the cycle can be created first.
    #[error("foreign keys form a cycle between tables: {}", tables.join(" -> "))]
    Cycle {
        /// The tables on the cycle, in reference order, the first repeated at the end.
        tables: Vec<&'static str>,
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

/// Sorts `models` so that every table comes after the tables it references (self
/// references allowed). Models listed twice are kept once. Drop in the reverse order.
///
/// A reference to a model outside `models` is an error, so `create_all` never fails
/// half-way on a missing table; a cycle is an error naming its tables.
pub fn creation_order(
    models: &[&'static ModelMeta],
) -> Result<Vec<&'static ModelMeta>, SchemaError> {
    let mut unique: Vec<&'static ModelMeta> = Vec::with_capacity(models.len());
    for m in models {
        if !unique.iter().any(|u| u.table == m.table) {
            unique.push(m);
        }
    }
    for m in &unique {
        for target in m.references() {
            if !unique.iter().any(|u| u.table == target.table) {
                return Err(SchemaError::MissingReference {
                    table: m.table,
                    target: target.table,
                });
            }
        }
    }
    // Depth-first topological sort; `state`: 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; unique.len()];
    let mut out = Vec::with_capacity(unique.len());
    let mut stack = Vec::new();
    for i in 0..unique.len() {
        visit(i, &unique, &mut state, &mut stack, &mut out)?;
    }
    Ok(out)
}

fn visit(
    i: usize,
    models: &[&'static ModelMeta],
    state: &mut [u8],
    stack: &mut Vec<usize>,
    out: &mut Vec<&'static ModelMeta>,
) -> Result<(), SchemaError> {
    match state[i] {
        2 => return Ok(()),
        1 => {
            let start = stack.iter().position(|&s| s == i).unwrap_or(0);
            let mut tables: Vec<&'static str> =
                stack[start..].iter().map(|&s| models[s].table).collect();
            tables.push(models[i].table);
            return Err(SchemaError::Cycle { tables });
        }
        _ => {}
    }
    state[i] = 1;
    stack.push(i);
    for target in models[i].references() {
        if target.table == models[i].table {
            continue;
        }
        let j = models
            .iter()
            .position(|m| m.table == target.table)
            .expect("references were checked above");
        visit(j, models, state, stack, out)?;
    }
    stack.pop();
    state[i] = 2;
    out.push(models[i]);
    Ok(())
}
