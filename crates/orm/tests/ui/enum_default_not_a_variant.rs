use orm::prelude::*;

#[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
pub enum Priority {
    Low,
    High,
}

#[derive(Model)]
pub struct Task {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(default = "Urgent")]
    pub priority: Priority,
}

fn main() {}
