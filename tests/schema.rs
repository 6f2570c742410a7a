//! The committed JSON Schemas must be what `flinkgen schema` writes today.

#[test]
fn committed_schemas_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    for (name, text) in flinkgen::schema::schemas() {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            committed == text,
            "schema/{name} is stale; run `cargo run -- schema` and commit it"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["additionalProperties"], false,
            "{name}: unknown fields must be refused, as the loader does"
        );
    }
}
