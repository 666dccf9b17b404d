//! Compile-fail tests for `#[derive(Model)]`: one case per rule in `tests/ui/`, each
//! checked against its `.stderr` snapshot (regenerate with `TRYBUILD=overwrite`).

#[test]
fn derive_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
