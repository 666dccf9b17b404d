//! What `#[derive(Model)]` generates, checked without a database: metadata, the insert
//! form (required vs optional fields, defaults), validation of insert forms and change
//! sets through every validator the example models declare, and the typed columns.

use chrono::NaiveTime;
use diesel::debug_query;
use diesel::prelude::*;
use orm::{ChangeSet, DefaultValue, FieldKind, InsertForm, IpAddress, Literal, Model, OnDelete};
use orm_suite::models::*;

fn good_kitchen() -> NewKitchen {
    NewKitchen::new(
        3,
        "pan-1",
        "small",
        "9.99".parse::<orm::Decimal>().unwrap(),
        NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        orm::Uuid::new_v4(),
        "cook@example.com",
        IpAddress("127.0.0.1".parse().unwrap()),
        1,
    )
}

#[test]
fn metadata_describes_every_field() {
    let meta = Note::meta();
    assert_eq!(meta.name, "Note");
    assert_eq!(meta.table, "notes");
    assert_eq!(meta.primary_key().unwrap().name, "id");
    assert!(meta.primary_key().unwrap().auto_increment);
    let text = meta.field("text").unwrap();
    assert_eq!(text.kind, FieldKind::String);
    assert_eq!(text.validators.max_length, Some(100));
    let completed = meta.field("completed").unwrap();
    assert_eq!(
        completed.default,
        Some(DefaultValue::Static(Literal::Bool(false)))
    );

    let k = Kitchen::meta();
    assert_eq!(k.fields.len(), 24);
    let kinds: Vec<FieldKind> = ["shelf", "spice", "thumbnail", "delivered_at"]
        .iter()
        .map(|name| k.field(name).unwrap().kind)
        .collect();
    assert_eq!(
        kinds,
        [
            FieldKind::SmallInteger,
            FieldKind::Real,
            FieldKind::Bytes,
            FieldKind::DateTimeUtc
        ]
    );
    let shelf = k.field("shelf").unwrap();
    assert_eq!(shelf.default, Some(DefaultValue::Static(Literal::Int(3))));
    assert_eq!(shelf.validators.maximum, Some(Literal::Int(100)));
    let spice = k.field("spice").unwrap();
    assert_eq!(
        spice.default,
        Some(DefaultValue::Static(Literal::Float(0.5)))
    );
    assert_eq!(spice.validators.minimum, Some(Literal::Float(0.0)));
    let thumbnail = k.field("thumbnail").unwrap();
    assert!(thumbnail.nullable);
    assert_eq!(thumbnail.validators.max_length, Some(64));
    assert_eq!(k.primary_key().unwrap().kind, FieldKind::Uuid);
    assert!(!k.primary_key().unwrap().auto_increment);
    assert_eq!(
        k.primary_key().unwrap().default,
        Some(DefaultValue::Function)
    );
    assert_eq!(
        k.field("status").unwrap().kind,
        FieldKind::Enum {
            variants: &["Draft", "Published", "Archived"]
        }
    );
    assert_eq!(
        k.field("price").unwrap().kind,
        FieldKind::Decimal {
            max_digits: 8,
            decimal_places: 2
        }
    );
    assert!(k.field("due").unwrap().nullable);
    assert!(k.field("created_at").unwrap().auto_now_add);
    assert!(k.field("updated_at").unwrap().auto_now);
    assert_eq!(k.field("email").unwrap().kind, FieldKind::Email);
    assert_eq!(k.field("email").unwrap().validators.max_length, Some(254));

    let track = Track::meta().field("album").unwrap();
    let fk = track.foreign_key.as_ref().unwrap();
    assert_eq!((fk.target)().table, "albums");
    assert_eq!(fk.on_delete, OnDelete::Cascade);
    assert_eq!(track.kind, FieldKind::Integer, "takes the album key's kind");
    let profile = AlbumProfile::meta().field("album").unwrap();
    assert!(profile.foreign_key.as_ref().unwrap().one_to_one);
    let featured = Playlist::meta().field("featured").unwrap();
    assert!(featured.nullable);
    assert_eq!(
        featured.foreign_key.as_ref().unwrap().on_delete,
        OnDelete::SetNull
    );
}

#[test]
fn insert_form_requires_required_fields_only() {
    // Required: text. Optional: completed (has a default). Omitted: id (auto-increment).
    let form = NewNote::new("Buy the groceries.");
    assert_eq!(form.text, "Buy the groceries.");
    assert_eq!(form.completed, None);
    assert!(form.validate().is_ok());
    // Fields are public, so a form can also be written out in full.
    let album = NewAlbum { name: "x".into() };
    assert_eq!(album, NewAlbum::new("x"));
}

#[test]
fn function_defaults_are_applied_before_writing() {
    let mut form = good_kitchen();
    assert_eq!(form.id, None);
    assert_eq!(form.rating, None);
    form.apply_defaults();
    assert!(form.id.is_some());
    assert_eq!(form.rating, Some(default_rating()));
    // A given value is kept.
    let mut given = good_kitchen();
    given.rating = Some(1.0);
    given.apply_defaults();
    assert_eq!(given.rating, Some(1.0));
}

#[test]
fn a_valid_form_passes() {
    good_kitchen().validate().unwrap();
}

#[test]
fn every_failing_field_is_reported_at_once() {
    let mut form = good_kitchen();
    form.quantity = 1001; // maximum
    form.rating = Some(-1.0); // minimum
    form.slug = "Bad Slug".into(); // pattern
    form.size = "huge".into(); // choices
    form.price = "1234567.891".parse().unwrap(); // max_digits and decimal_places
    form.email = "not-an-email".into(); // email
    form.homepage = Some("ftp:/nowhere".into()); // url
    let err = form.validate().unwrap_err();
    let failing: Vec<(&str, &str)> = err.errors().iter().map(|e| (e.field, e.code)).collect();
    for expected in [
        ("quantity", "maximum"),
        ("rating", "minimum"),
        ("slug", "pattern"),
        ("size", "choices"),
        ("price", "decimal_places"),
        ("price", "max_digits"),
        ("email", "email"),
        ("homepage", "url"),
    ] {
        assert!(
            failing.contains(&expected),
            "{expected:?} missing from {failing:?}"
        );
    }
    let text = err.to_string();
    for field in [
        "quantity", "rating", "slug", "size", "price", "email", "homepage",
    ] {
        assert!(text.contains(field), "{text}");
    }
}

#[test]
fn blank_and_length_rules() {
    let mut form = good_kitchen();
    form.slug = "".into();
    assert_eq!(form.validate().unwrap_err().codes("slug"), ["blank"]);
    form.slug = "a".into();
    assert_eq!(form.validate().unwrap_err().codes("slug"), ["min_length"]);
    form.slug = "a".repeat(41);
    assert_eq!(form.validate().unwrap_err().codes("slug"), ["max_length"]);
    // `body` allows blank.
    let mut form = good_kitchen();
    form.body = Some(String::new());
    form.validate().unwrap();
}

#[test]
fn change_sets_validate_only_what_changes() {
    let ok = KitchenChanges {
        quantity: Some(5),
        ..KitchenChanges::default()
    };
    ok.validate().unwrap();
    let bad = KitchenChanges {
        quantity: Some(-1),
        homepage: Some(Some("nope".into())),
        due: Some(None),
        ..KitchenChanges::default()
    };
    let err = bad.validate().unwrap_err();
    assert_eq!(err.codes("quantity"), ["minimum"]);
    assert_eq!(err.codes("homepage"), ["url"]);
    assert!(err.field("due").is_none());
}

#[test]
fn change_sets_render_as_bound_updates() {
    let changes = NoteChanges {
        completed: Some(true),
        ..NoteChanges::default()
    };
    let query = diesel::update(notes::table.filter(notes::id.eq(3))).set(changes);
    let sql = debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
    assert_eq!(
        sql,
        "UPDATE `notes` SET `completed` = ? WHERE (`notes`.`id` = ?) -- binds: [true, 3]"
    );
}

#[test]
fn typed_columns_render_the_query_a_user_would_write() {
    let query = notes::table
        .filter(notes::completed.eq(false))
        .order(notes::id.desc())
        .limit(10)
        .select(Note::as_select());
    let sql = debug_query::<diesel::pg::Pg, _>(&query).to_string();
    assert_eq!(
        sql,
        "SELECT \"notes\".\"id\", \"notes\".\"text\", \"notes\".\"completed\" FROM \"notes\" \
         WHERE (\"notes\".\"completed\" = $1) ORDER BY \"notes\".\"id\" DESC LIMIT $2 -- binds: [false, 10]"
    );
}

#[test]
fn db_enum_names_round_trip() {
    use orm::DbEnum;
    assert_eq!(Status::VARIANTS, ["Draft", "Published", "Archived"]);
    assert_eq!(Status::Archived.as_str(), "Archived");
    assert_eq!(Status::from_name("Published"), Some(Status::Published));
    assert_eq!(Status::from_name("published"), None);
}

#[test]
fn foreign_key_handles_are_sparse_until_loaded() {
    let mut fk: orm::ForeignKey<Album, i32> = orm::ForeignKey::new(7);
    assert_eq!(fk.pk(), &7);
    assert!(fk.get().is_none());
    assert_eq!(format!("{fk:?}"), "ForeignKey<Album>(7, sparse)");
    fk.set_loaded(Album {
        id: 7,
        name: "Blue".into(),
        tracks: orm::Related::new(),
    });
    assert_eq!(fk.get().unwrap().name, "Blue");
    assert_eq!(fk, orm::ForeignKey::new(7));
}

/// A model whose insert form and change set derive serde's `Deserialize`
/// (`#[orm(form_derive(...))]`), as a web handler reading JSON would want.
#[derive(orm::Model, Debug, Clone, PartialEq)]
#[orm(table = "memos", form_derive(serde::Deserialize))]
pub struct Memo {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 20)]
    pub title: String,
    #[orm(default = 1)]
    pub priority: i32,
}

#[test]
fn form_derive_adds_derives_to_the_form_and_the_change_set() {
    let form: NewMemo = serde_json::from_str(r#"{"title": "call"}"#).unwrap();
    assert_eq!(form, NewMemo::new("call"));
    let form: NewMemo = serde_json::from_str(r#"{"title": "call", "priority": 3}"#).unwrap();
    assert_eq!(form.priority, Some(3));
    let changes: MemoChanges = serde_json::from_str(r#"{"priority": 2}"#).unwrap();
    assert_eq!(
        changes,
        MemoChanges {
            priority: Some(2),
            ..Default::default()
        }
    );
    // A missing required field is serde's error, before orm's validation.
    assert!(serde_json::from_str::<NewMemo>(r#"{"priority": 3}"#).is_err());
}
