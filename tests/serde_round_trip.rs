//! The `serde` feature: a loaded model, with a foreign key and every value newtype and an
//! enum stored by name, goes to JSON and back unchanged; a foreign key is its key when
//! sparse and the nested row when loaded. On every backend (the rows are read back from
//! each database first).

#[macro_use]
mod support;

use orm::prelude::*;
use orm::{DateTimeUtc, Decimal, IpAddress, Json, Uuid};
use serde::{Deserialize, Serialize};
#[allow(unused_imports)]
use support::TestDb;

/// How a shipment travels: an enum stored by name.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// By road.
    Road,
    /// By air.
    Air,
}

/// A maker of things.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(table = "serde_makers", related(shipments = Shipment.maker))]
pub struct Maker {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 40)]
    pub name: String,
    /// Its shipments, once prefetched: `null` in JSON until then.
    pub shipments: Related<Shipment>,
}

/// A shipment, with a field of each value kind serde must carry.
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[orm(table = "serde_shipments")]
pub struct Shipment {
    #[orm(primary_key, default = Uuid::new_v4)]
    pub id: Uuid,
    pub maker: ForeignKey<Maker>,
    #[orm(allow_null)]
    pub backup: Option<ForeignKey<Maker>>,
    #[orm(max_digits = 10, decimal_places = 3)]
    pub weight: Decimal,
    pub extra: Option<Json>,
    pub origin: IpAddress,
    pub mode: Mode,
    pub sent: chrono::NaiveDateTime,
    pub landed: Option<DateTimeUtc>,
}

backend_test!(
    fn a_loaded_model_goes_to_json_and_back(db: &TestDb) {
        let mut conn = db.connect();
        conn.create_all(&[Maker::meta(), Shipment::meta()]).unwrap();
        let acme = Maker::objects()
            .create(&mut conn, NewMaker::new("acme"))
            .unwrap();
        let sent = chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
            .unwrap()
            .and_hms_micro_opt(5, 6, 7, 890_123)
            .unwrap();
        let form = NewShipment {
            backup: Some(acme.id),
            landed: Some(DateTimeUtc(sent.and_utc())),
            extra: Some(Json(
                serde_json::json!({"fragile": true, "tags": ["a", "b"]}),
            )),
            ..NewShipment::new(
                acme.id,
                "12.345".parse::<Decimal>().unwrap(),
                IpAddress("2001:db8::7".parse().unwrap()),
                Mode::Air,
                sent,
            )
        };
        Shipment::objects().create(&mut conn, form).unwrap();

        // Sparse foreign keys: their keys.
        let sparse = Shipment::objects().one(&mut conn).unwrap();
        let json = serde_json::to_value(&sparse).unwrap();
        assert_eq!(json["maker"], serde_json::json!(acme.id));
        assert_eq!(json["backup"], serde_json::json!(acme.id));
        assert_eq!(
            json["weight"],
            serde_json::json!("12.345"),
            "a decimal stays exact"
        );
        assert_eq!(json["origin"], serde_json::json!("2001:db8::7"));
        assert_eq!(json["mode"], serde_json::json!("Air"));
        assert_eq!(json["id"], serde_json::json!(sparse.id.to_string()));
        assert_eq!(json["extra"]["tags"][1], serde_json::json!("b"));
        assert_eq!(
            json["landed"],
            serde_json::json!("2026-12-06T05:06:07.890123Z")
        );
        let back: Shipment = serde_json::from_value(json).unwrap();
        assert_eq!(back, sparse);
        assert!(!back.maker.is_loaded());

        // A loaded foreign key: the nested row, loaded again on the way back.
        let loaded = Shipment::objects()
            .select_related::<Maker>()
            .one(&mut conn)
            .unwrap();
        let text = serde_json::to_string(&loaded).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json["maker"],
            serde_json::json!({"id": acme.id, "name": "acme", "shipments": null})
        );
        let back: Shipment = serde_json::from_str(&text).unwrap();
        assert_eq!(back, loaded);
        assert_eq!(back.maker.get(), Some(&acme));

        // Prefetched related rows: the list, read back as loaded.
        let maker = Maker::objects()
            .prefetch_related(&["shipments"])
            .unwrap()
            .one(&mut conn)
            .unwrap();
        let json = serde_json::to_value(&maker).unwrap();
        assert_eq!(json["shipments"][0]["weight"], serde_json::json!("12.345"));
        assert_eq!(json["shipments"].as_array().unwrap().len(), 1);
        let maker_back: Maker = serde_json::from_value(json).unwrap();
        assert_eq!(
            maker_back.shipments.get().unwrap(),
            maker.shipments.get().unwrap()
        );
        assert!(!acme.shipments.is_loaded());
        assert_eq!(
            serde_json::to_value(&acme).unwrap()["shipments"],
            serde_json::Value::Null
        );

        // Input that is neither a key nor a row is refused, naming what was expected.
        let err = serde_json::from_value::<ForeignKey<Maker>>(serde_json::json!("x")).unwrap_err();
        assert!(err.to_string().contains("key or"), "{err}");
        let err = serde_json::from_value::<Decimal>(serde_json::json!("1.2.3")).unwrap_err();
        assert!(err.to_string().contains("decimal"), "{err}");
        let at: DateTimeUtc =
            serde_json::from_value(serde_json::json!("2026-12-06T06:06:07.890123+01:00")).unwrap();
        assert_eq!(Some(at), back.landed, "any offset is read as UTC");
        let err = serde_json::from_value::<DateTimeUtc>(serde_json::json!("today")).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
        let err = serde_json::from_value::<Mode>(serde_json::json!("Sea")).unwrap_err();
        assert!(err.to_string().contains("Road, Air"), "{err}");
    }
);
