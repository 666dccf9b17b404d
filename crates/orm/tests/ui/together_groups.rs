use orm::prelude::*;

// Every bad group is reported at once: an unknown field, a group of one, a field listed
// twice, and a field no backend can index.
#[derive(Model)]
#[orm(unique_together(order, produkt), index_together(order))]
#[orm(unique_together(order, order), index_together(order, notes))]
pub struct Line {
    #[orm(primary_key)]
    pub id: i64,
    pub order: i64,
    #[orm(max_length = 20)]
    pub product: String,
    #[orm(text)]
    pub notes: String,
}

fn main() {}
