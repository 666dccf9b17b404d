use orm::prelude::*;

#[derive(Model)]
pub struct Delivery {
    #[orm(primary_key)]
    pub id: i64,
    pub landed: chrono::DateTime<chrono::Utc>,
}

fn main() {}
