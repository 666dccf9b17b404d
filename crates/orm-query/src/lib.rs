//! # orm-query: the query interface
//!
//! Will hold `QuerySet<M>`: filter, exclude, order_by, limit, offset, search,
//! select_related, typed and by-name lookups (the QuerySet issue). Query building here is
//! pure; it never opens a connection.
