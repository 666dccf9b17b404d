use orm::prelude::*;

#[derive(Model)]
pub struct Product {
    #[orm(primary_key)]
    pub id: i64,
    pub price: orm::Decimal,
}

fn main() {}
