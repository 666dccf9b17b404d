//! [`Related<M>`]: a model field that holds the rows of one of the model's relations once
//! `prefetch_related` has loaded them.

use std::fmt;

use crate::model::Model;

/// The rows of a relation the model declares (`related(tracks = Track)` or
/// `many_to_many(tracks = PlaylistEntry.track)`), held by a field of the same name:
///
/// ```ignore
/// #[derive(Model)]
/// #[orm(table = "albums", related(tracks = Track))]
/// pub struct Album {
///     #[orm(primary_key)]
///     pub id: i32,
///     pub name: String,
///     pub tracks: orm::Related<Track>,   // not a column: filled by prefetch_related
/// }
///
/// let albums = Album::objects().prefetch_related(&["tracks"])?.all(&mut conn)?;
/// for track in albums[0].tracks.get().unwrap() { /* ... */ }
/// ```
///
/// A row loaded without `prefetch_related(&["tracks"])` has it *not loaded*
/// ([`Related::get`] is `None`); loaded, it holds every related row, possibly none. It is
/// not a column: the insert form and the change set leave it out.
///
/// Like [`ForeignKey`](crate::ForeignKey), it is not part of a row's value: two models
/// compare equal whatever their `Related` fields hold.
pub struct Related<M> {
    rows: Option<Vec<M>>,
}

impl<M> Related<M> {
    /// Not loaded.
    pub const fn new() -> Self {
        Related { rows: None }
    }

    /// The related rows, if they have been loaded.
    pub fn get(&self) -> Option<&[M]> {
        self.rows.as_deref()
    }

    /// Whether the related rows have been loaded.
    pub fn is_loaded(&self) -> bool {
        self.rows.is_some()
    }

    /// Stores the related rows (loaded).
    pub fn set(&mut self, rows: Vec<M>) {
        self.rows = Some(rows);
    }

    /// The related rows, leaving the field not loaded.
    pub fn take(&mut self) -> Option<Vec<M>> {
        self.rows.take()
    }
}

impl<M> Default for Related<M> {
    fn default() -> Self {
        Related::new()
    }
}

impl<M: Clone> Clone for Related<M> {
    fn clone(&self) -> Self {
        Related {
            rows: self.rows.clone(),
        }
    }
}

impl<M> PartialEq for Related<M> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<M> Eq for Related<M> {}

impl<M: Model> fmt::Debug for Related<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rows {
            Some(rows) => write!(f, "Related<{}>({} rows)", M::meta().name, rows.len()),
            None => write!(f, "Related<{}>(not loaded)", M::meta().name),
        }
    }
}
