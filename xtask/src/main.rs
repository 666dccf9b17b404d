//! `cargo xtask`: project automation (see `cargo xtask help`).
fn main() {
    println!("usage: cargo xtask schema sql --database-url URL");
}
