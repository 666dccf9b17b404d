//! Projections: the selected columns or expressions of each row instead of the model.
//!
//! `qs.select((notes::id, notes::text))` keeps the QuerySet's filters, ordering and slice
//! and loads each row as the tuple of the selection (`(i64, String)`), checked by rustc
//! against the columns' SQL types; a single column loads its value (`select(notes::text)`
//! gives `String`s; a nullable one `Option`s). The row type is the one the caller asks
//! for: `let rows: Vec<(i64, String)> = qs.select((notes::id, notes::text)).all(&mut
//! conn)?;`. The terminal operations (`all`, `first`, `one`) take the same executors as
//! the QuerySet's, blocking or async; count on the QuerySet itself.

use diesel::dsl;
use diesel::query_dsl::methods::{DistinctDsl, FilterDsl, SelectDsl};

use crate::executor::Reads;
use crate::queryset::QuerySet;
use crate::run::only_of;

/// The query of a projection, as the executors run it: the QuerySet's WHERE query `W`,
/// its ordering `O` and the selection `S`.
#[derive(Debug, Clone, Copy)]
pub struct Projection<W, O, S> {
    pub(crate) query: W,
    pub(crate) order: O,
    pub(crate) selection: S,
}

impl<W, O: crate::run::ApplyOrder<W>, S> Projection<W, O, S> {
    /// The query with its ordering applied, and the selection to load from it.
    pub(crate) fn ordered(self) -> (O::Output, S) {
        (self.order.apply(self.query), self.selection)
    }
}

/// A [`QuerySet`] whose rows load as the selection `S`: what [`QuerySet::select`]
/// returns. See the [module documentation](self).
pub struct Values<M, W, O, S> {
    qs: QuerySet<M, W, O>,
    selection: S,
}

impl<M, W: Clone, O: Clone, S: Clone> Clone for Values<M, W, O, S> {
    fn clone(&self) -> Self {
        Values {
            qs: self.qs.clone(),
            selection: self.selection.clone(),
        }
    }
}

impl<M: orm_schema::Model, W, O, S> std::fmt::Debug for Values<M, W, O, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Values")
            .field("queryset", &self.qs)
            .finish_non_exhaustive()
    }
}

impl<M, W: Clone, O: Clone> QuerySet<M, W, O> {
    /// The projection of `selection` the executors run, and the rows to fetch with at most
    /// `cap` rows.
    pub(crate) fn project<S>(
        &self,
        selection: S,
        cap: Option<i64>,
    ) -> (Projection<W, O, S>, crate::run::Slice) {
        let (query, order) = self.parts();
        let projection = Projection {
            query,
            order,
            selection,
        };
        (projection, self.slice(cap))
    }
}

impl<M, W, O> QuerySet<M, W, O> {
    /// Loads `selection` (a diesel column, expression, or tuple of them over the model's
    /// table) of each row instead of the model; filters, ordering and slice apply. See
    /// [`crate::projection`].
    ///
    /// ```text
    /// let rows: Vec<(i64, String)> = Note::objects()
    ///     .filter(notes::completed.eq(false))
    ///     .order_by(notes::id.asc())
    ///     .select((notes::id, notes::text))
    ///     .all(&mut conn)?;
    /// ```
    pub fn select<S: diesel::Expression>(self, selection: S) -> Values<M, W, O, S> {
        Values {
            qs: self,
            selection,
        }
    }
}

impl<M, W: Clone, O: Clone, S: Clone> Values<M, W, O, S> {
    /// The query the executors run, and the rows to fetch with at most `cap` rows.
    fn parts(&self, cap: Option<i64>) -> (Projection<W, O, S>, crate::run::Slice) {
        self.qs.project(self.selection.clone(), cap)
    }

    /// Every row's selection, in the QuerySet's order (its limit and offset applied).
    pub fn all<'a, T, E>(&self, executor: E) -> E::Output<Vec<T>>
    where
        T: Send + 'static,
        E: Reads<'a, T, Projection<W, O, S>>,
    {
        let (query, slice) = self.parts(None);
        executor.rows(query, slice)
    }

    /// The first row's selection, or `None`.
    pub fn first<'a, T, E>(&self, executor: E) -> E::Output<Option<T>>
    where
        T: Send + 'static,
        E: Reads<'a, T, Projection<W, O, S>>,
    {
        let (query, slice) = self.parts(Some(1));
        E::map(executor.rows(query, slice), |rows| {
            Ok(rows.into_iter().next())
        })
    }

    /// The one row's selection: `Error::NoMatch` when there is none,
    /// `Error::MultipleMatches` when there are several. Fetches at most two rows.
    pub fn one<'a, T, E>(&self, executor: E) -> E::Output<T>
    where
        M: orm_schema::Model,
        T: Send + 'static,
        E: Reads<'a, T, Projection<W, O, S>>,
    {
        let (query, slice) = self.parts(Some(2));
        E::map(executor.rows(query, slice), |rows| {
            only_of(rows, M::meta().name)
        })
    }

    /// Each distinct selection once: `SELECT DISTINCT`. (On PostgreSQL an ordering must
    /// then be part of the selection.)
    pub fn distinct(self) -> Values<M, dsl::Distinct<W>, O, S>
    where
        W: DistinctDsl,
    {
        Values {
            qs: self.qs.map(|query, order| (query.distinct(), order)),
            selection: self.selection,
        }
    }

    /// The first row of each distinct value of `expression`: PostgreSQL's `SELECT
    /// DISTINCT ON (expression)`; the QuerySet's ordering must start with `expression`.
    /// Only with the `postgres` feature, and only on a PostgreSQL connection taken out of
    /// the `Connection` or `PooledConnection` ([`crate::pinned`]): other backends have no
    /// `DISTINCT ON`, and a QuerySet run on a connection of any backend must compile on
    /// every one, so using it there is a compile error.
    #[cfg(feature = "postgres")]
    pub fn distinct_on<E>(self, expression: E) -> Values<M, dsl::DistinctOn<W, E>, O, S>
    where
        W: diesel::query_dsl::methods::DistinctOnDsl<E>,
    {
        Values {
            qs: self
                .qs
                .map(|query, order| (query.distinct_on(expression), order)),
            selection: self.selection,
        }
    }

    /// The selection as a subquery, to use inside another QuerySet's filter:
    /// `tracks::album.eq_any(Album::objects().filter(..).select(albums::id).subquery())`
    /// renders `album IN (SELECT id FROM albums WHERE ...)`, one statement. Only the
    /// QuerySet's filters apply (its ordering and slice do not: MySQL refuses a LIMIT
    /// inside `IN (...)`).
    pub fn subquery(self) -> dsl::Select<W, S>
    where
        S: diesel::Expression,
        W: SelectDsl<S>,
    {
        self.qs.into_parts().0.select(self.selection)
    }

    /// The projection with `predicate` added to the QuerySet's filters.
    pub fn filter<P>(self, predicate: P) -> Values<M, dsl::Filter<W, P>, O, S>
    where
        W: FilterDsl<P>,
    {
        Values {
            qs: self.qs.filter(predicate),
            selection: self.selection,
        }
    }
}
