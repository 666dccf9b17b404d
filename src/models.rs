//! Models used by the examples, the integration tests and `cargo xtask schema`.
//!
//! [`Kitchen`] uses every field kind and option, so the DDL and catalog tests cover them
//! all; [`Album`], [`Track`], [`AlbumProfile`] and [`Playlist`] cover the three ON DELETE
//! actions and one-to-one; [`PlaylistEntry`] covers constraints over two columns.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use orm::prelude::*;
use orm::{DateTimeUtc, Decimal, IpAddress, Json, ModelMeta, Uuid};

/// encode/orm's quickstart model.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "notes")]
pub struct Note {
    /// Auto-increment primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// The note's text.
    #[orm(max_length = 100)]
    pub text: String,
    /// Whether the note is done.
    #[orm(default = false)]
    pub completed: bool,
}

/// How far a kitchen order has got: stored by name.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet cooked.
    Draft,
    /// On its way.
    Published,
    /// Done.
    Archived,
}

/// A default for `Kitchen::rating`, called on each create.
pub fn default_rating() -> f64 {
    2.5
}

/// A model with every field kind and option, for schema tests.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "kitchen")]
pub struct Kitchen {
    /// UUID primary key with a function default.
    #[orm(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    /// Integer with bounds and an index.
    #[orm(minimum = 0, maximum = 1000, index)]
    pub quantity: i32,
    /// Big integer with a static default.
    #[orm(default = 7)]
    pub big: i64,
    /// Float with a function default.
    #[orm(default = default_rating, minimum = 0.0, maximum = 5.0)]
    pub rating: f64,
    /// Boolean with a static default.
    #[orm(default = true)]
    pub active: bool,
    /// Bounded, unique string with a pattern.
    #[orm(max_length = 40, min_length = 2, unique, pattern = "[a-z][a-z0-9_-]*")]
    pub slug: String,
    /// Unbounded text; blank allowed.
    #[orm(text, allow_blank, default = "")]
    pub body: String,
    /// A string restricted to choices.
    #[orm(max_length = 10, choices = ["small", "medium", "large"])]
    pub size: String,
    /// Decimal(8, 2).
    #[orm(max_digits = 8, decimal_places = 2, minimum = 0)]
    pub price: Decimal,
    /// A date, nullable.
    #[orm(allow_null)]
    pub due: Option<NaiveDate>,
    /// Set on create only.
    #[orm(auto_now_add)]
    pub created_at: NaiveDateTime,
    /// Set on every save.
    #[orm(auto_now)]
    pub updated_at: NaiveDateTime,
    /// A time of day.
    pub opens: NaiveTime,
    /// A JSON document, nullable.
    pub extra: Option<Json>,
    /// A UUID that is not the key.
    #[orm(unique)]
    pub token: Uuid,
    /// An enum stored by name, with a default.
    #[orm(default = "Draft")]
    pub status: Status,
    /// An e-mail address.
    #[orm(email, unique)]
    pub email: String,
    /// A URL, nullable.
    #[orm(url, max_length = 500)]
    pub homepage: Option<String>,
    /// An IP address.
    pub ip: IpAddress,
    /// A small integer with bounds and a static default.
    #[orm(default = 3, minimum = 0, maximum = 100)]
    pub shelf: i16,
    /// A single-precision float with bounds and a static default.
    #[orm(default = 0.5, minimum = 0.0, maximum = 1.0)]
    pub spice: f32,
    /// A byte string of at most 64 bytes, nullable.
    #[orm(max_length = 64)]
    pub thumbnail: Option<Vec<u8>>,
    /// An instant in UTC, nullable.
    pub delivered_at: Option<DateTimeUtc>,
    /// A foreign key (RESTRICT).
    #[orm(on_delete = "restrict")]
    pub note: ForeignKey<Note>,
}

/// A music album. Its tracks and the playlists featuring it are reverse relations that
/// by-name filters follow (`filter_by("tracks__title", ..)`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "albums")]
#[orm(related(tracks = Track, featured_in = Playlist.featured))]
pub struct Album {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i32,
    /// The album's name.
    #[orm(max_length = 100, index)]
    pub name: String,
    /// Its tracks, once `prefetch_related(&["tracks"])` loads them (not a column).
    pub tracks: Related<Track>,
}

/// A track of an album; deleted with it.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tracks")]
#[orm(related(entries = PlaylistEntry), many_to_many(playlists = PlaylistEntry.playlist))]
pub struct Track {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// The album (ON DELETE CASCADE).
    #[orm(on_delete = "cascade")]
    pub album: ForeignKey<Album, i32>,
    /// The track's title.
    #[orm(max_length = 100)]
    pub title: String,
    /// Position on the album.
    #[orm(minimum = 1)]
    pub position: i32,
    /// The playlists listing it, once `prefetch_related(&["playlists"])` loads them (not a
    /// column).
    pub playlists: Related<Playlist>,
}

/// A playlist that may point at a featured album (SET NULL when it goes).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "playlists")]
#[orm(related(entries = PlaylistEntry), many_to_many(tracks = PlaylistEntry.track))]
pub struct Playlist {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// Name.
    #[orm(max_length = 50)]
    pub name: String,
    /// The featured album (ON DELETE SET NULL).
    #[orm(on_delete = "set_null")]
    pub featured: Option<ForeignKey<Album, i32>>,
    /// Its tracks, once `prefetch_related(&["tracks"])` loads them (not a column).
    pub tracks: Related<Track>,
}

/// One profile per album (one-to-one).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "album_profiles")]
pub struct AlbumProfile {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// The album (unique: one-to-one).
    #[orm(one_to_one, on_delete = "cascade")]
    pub album: ForeignKey<Album, i32>,
    /// Liner notes.
    #[orm(text, allow_blank)]
    pub liner_notes: String,
}

/// A track's place on a playlist: a track appears once per playlist
/// (`unique_together`), and entries are read in order (`index_together`). The through
/// model of the many-to-many relations `Playlist.tracks` and `Track.playlists`.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "playlist_entries")]
#[orm(unique_together(playlist, track), index_together(playlist, position))]
pub struct PlaylistEntry {
    /// Primary key.
    #[orm(primary_key)]
    pub id: i64,
    /// The playlist (ON DELETE CASCADE).
    #[orm(on_delete = "cascade")]
    pub playlist: ForeignKey<Playlist>,
    /// The track (ON DELETE CASCADE).
    #[orm(on_delete = "cascade")]
    pub track: ForeignKey<Track>,
    /// Position on the playlist.
    #[orm(minimum = 1)]
    pub position: i32,
}

/// Every example model, in any order (`create_all` sorts them).
pub fn all_models() -> Vec<&'static ModelMeta> {
    vec![
        Kitchen::meta(),
        Track::meta(),
        Playlist::meta(),
        PlaylistEntry::meta(),
        AlbumProfile::meta(),
        Note::meta(),
        Album::meta(),
    ]
}
