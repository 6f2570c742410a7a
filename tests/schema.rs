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

/// The book's field reference is generated from the schemas (their descriptions are the doc
/// comments of `src/load/`); `SNAPSHOTS=overwrite` rewrites the committed pages.
#[test]
fn the_field_reference_is_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/reference");
    let overwrite = std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite");
    let mut stale = Vec::new();
    for (name, text) in flinkgen::schema::reference() {
        let path = dir.join(&name);
        if overwrite {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).unwrap_or_default() != text {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/src/reference/{stale:?} stale; run `SNAPSHOTS=overwrite cargo test --test schema` and commit them"
    );
}

#[test]
fn the_field_reference_lists_nested_fields_with_their_descriptions() {
    let pages = flinkgen::schema::reference();
    let (_, job) = pages.iter().find(|(n, _)| n == "job.md").unwrap();
    for row in [
        "| `taskManager.localState.size` |",
        "| `metrics.prometheus.interval` |",
        "| `upgradeMode` | one of `stateless`, `savepoint`, `last-state` |",
    ] {
        assert!(job.contains(row), "job.md lacks {row}");
    }
}
