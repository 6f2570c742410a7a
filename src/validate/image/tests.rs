//! Tests of the parent module, kept apart to keep it short.

use super::*;

#[test]
fn references_split_at_the_tag_not_the_registry_port() {
    assert_eq!(
        split_reference("flink:1.20.3-scala_2.12-java17"),
        ("flink", Some("1.20.3-scala_2.12-java17"), false)
    );
    assert_eq!(
        split_reference("registry:5000/team/job:1.0@sha256:ab"),
        ("registry:5000/team/job", Some("1.0"), true)
    );
    assert_eq!(
        split_reference("registry:5000/team/job"),
        ("registry:5000/team/job", None, false)
    );
    assert!(official("docker.io/library/flink") && official("apache/flink"));
    assert!(!official("example.com/flink"));
}
