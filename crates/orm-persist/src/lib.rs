//! # orm-persist: the persistence manager
//!
//! Will hold create, bulk_create, update, delete, load, get_or_create and
//! update_or_create (the persistence issue), validated before any write and atomic.
