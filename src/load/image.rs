//! The `image` of a spec as users write it: built by a generated Dockerfile (tag, base, jars
//! for lib/, files) or an existing one (`ref`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::scalar::Scalar;
use super::spec::PullPolicy;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageSpec {
    /// An existing image to run as it is (`flink:1.20.3-scala_2.12-java17`, your CI's image):
    /// no Dockerfile is written. Excludes the fields that build an image.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// The official Flink image an `image.ref` of your own was built `FROM`
    /// (`flink:1.20.3-scala_2.12-java17`): flinkgen's pods assume the official layout (Flink in
    /// /opt/flink, the `flink` user 9999, its entrypoint), and this says the image keeps it and
    /// which Flink release it runs. Without it, an image.ref outside the official images warns.
    pub built_from: Option<String>,
    /// Repository of the built image; defaults to `<project image.registry>/<job name>`.
    pub repository: Option<String>,
    /// Tag of the built image.
    pub tag: Option<Scalar>,
    /// Digest of the built image (`sha256:…`), pinned in the manifests when given.
    pub digest: Option<String>,
    /// Base image reference; defaults to the official image for the Flink version and Java.
    pub base: Option<String>,
    /// Java version of the official base image (8, 11, 17 or 21, as the Flink version allows).
    #[serde(default, deserialize_with = "super::scalar::int32")]
    #[schemars(range(max = 2147483647))]
    pub java: Option<u32>,
    /// `Always`, `IfNotPresent` or `Never`; default: the project's, else `IfNotPresent`.
    pub pull_policy: Option<PullPolicy>,
    /// Secrets with registry credentials (imagePullSecrets) for every pod of the spec;
    /// replaces the project's `image.pullSecrets`.
    pub pull_secrets: Option<Vec<String>>,
    /// Jars for Flink's `lib/` folder (connectors, formats): project files, or
    /// `{ url, sha256 }` downloaded and verified when the image is built.
    pub lib: Option<Vec<LibJar>>,
    /// Project files or folders copied into the image: source path -> absolute destination.
    pub files: Option<BTreeMap<String, String>>,
}

impl ImageSpec {
    /// This image spec changed by an environment overlay: each field it sets replaces ours.
    /// Destructured so that a new image field that is not merged fails to compile.
    pub fn overlay(self, o: ImageSpec) -> ImageSpec {
        let ImageSpec {
            reference,
            built_from,
            repository,
            tag,
            digest,
            base,
            java,
            pull_policy,
            pull_secrets,
            lib,
            files,
        } = o;
        ImageSpec {
            reference: reference.or(self.reference),
            built_from: built_from.or(self.built_from),
            repository: repository.or(self.repository),
            tag: tag.or(self.tag),
            digest: digest.or(self.digest),
            base: base.or(self.base),
            java: java.or(self.java),
            pull_policy: pull_policy.or(self.pull_policy),
            pull_secrets: pull_secrets.or(self.pull_secrets),
            lib: lib.or(self.lib),
            files: files.or(self.files),
        }
    }
}

/// A jar for `$FLINK_HOME/lib`: a project file, or a download pinned by its checksum.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum LibJar {
    /// Path relative to the project root.
    File(String),
    Download(LibDownload),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LibDownload {
    /// `https://` URL of the jar (for example on Maven Central).
    pub url: Option<String>,
    /// Maven coordinates on Maven Central instead of a URL: `group:artifact:version`
    /// (`org.apache.flink:flink-sql-connector-kafka:3.3.0-1.20`), with `:classifier` optional.
    pub maven: Option<String>,
    /// SHA-256 of the jar, 64 hex digits: the build fails when the download differs. Without
    /// it, the error prints the command that computes it.
    pub sha256: Option<String>,
}

/// A string is a project file; a map is a download. Written by hand so that a wrong map gets
/// the field's own error (an untagged enum would only say that nothing matched).
impl<'de> Deserialize<'de> for LibJar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LibJar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a jar path, or a map with url (or maven) and sha256")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LibJar, E> {
                Ok(LibJar::File(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<LibJar, A::Error> {
                LibDownload::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(LibJar::Download)
            }
        }
        d.deserialize_any(V)
    }
}
