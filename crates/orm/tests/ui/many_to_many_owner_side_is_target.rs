use orm::prelude::*;

// A many-to-many of a model to itself: the through model's first key to `Person` is the
// owner's side, so it cannot be the field that names the target.
#[derive(Model)]
#[orm(table = "people", many_to_many(friends = Friendship.friend))]
pub struct Person {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[orm(table = "friendships")]
pub struct Friendship {
    #[orm(primary_key)]
    pub id: i64,
    pub friend: ForeignKey<Person>,
    pub person: ForeignKey<Person>,
}

fn main() {}
