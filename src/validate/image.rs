//! The job image and the jar in it: base image, repository, tag, digest, pull policy.

use super::{image_part, Defaults};
use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::scalar::Scalar;
use crate::load::spec::ImageSpec;
use crate::load::Source;

/// The job image, resolved.
pub struct Image {
    pub base: String,
    pub tag: String,
    /// `repository:tag`, with `@digest` when pinned.
    pub reference: String,
    pub pull_policy: crate::load::spec::PullPolicy,
}

pub fn image(
    src: &Source,
    spec: Option<&ImageSpec>,
    name: &str,
    version: Version,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<Image> {
    let empty = ImageSpec::default();
    let spec = spec.unwrap_or(&empty);
    let base = base_image(src, spec, version, defaults, diags);
    let mut ok = base.is_some();
    let repository = match (&spec.repository, &defaults.registry) {
        (Some(r), _) => r.clone(),
        (None, Some(reg)) => format!("{}/{name}", reg.trim_end_matches('/')),
        (None, None) => {
            diags.push(
                src.key_error("image", "no image repository for the job image")
                    .field("image.repository")
                    .help("set image.repository here, or image.registry in flinkgen.yaml"),
            );
            return None;
        }
    };
    if let Err(e) = image_part(&repository) {
        diags.push(src.error("image.repository", e));
        ok = false;
    }
    let tag = tag(src, spec, diags)?;
    ok &= !tag.is_empty();
    let mut reference = format!("{repository}:{tag}");
    if let Some(d) = &spec.digest {
        let hex = d.strip_prefix("sha256:").unwrap_or("");
        if hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            reference = format!("{reference}@{d}");
        } else {
            diags.push(
                src.error("image.digest", format!("`{d}` is not an image digest"))
                    .help("write sha256: and 64 lowercase hex digits"),
            );
            ok = false;
        }
    }
    let pull = spec.pull_policy.unwrap_or(defaults.pull_policy);
    ok.then_some(Image {
        base: base?,
        tag,
        reference,
        pull_policy: pull,
    })
}

/// The jar path becomes a `COPY` source: it must stay inside the build context (the project
/// root) and be plain enough to need no quoting in a Dockerfile.
pub fn jar(src: &Source, jar: &str, diags: &mut Diagnostics) -> Option<String> {
    let err = |msg: String| {
        src.error("jar", msg)
            .help("give the path of the built jar relative to the project root, such as target/my-job.jar")
    };
    if jar.starts_with('/') || jar.contains('\\') || jar.contains(':') {
        diags.push(err(format!("`{jar}` is not a relative path")));
        return None;
    }
    if jar
        .split('/')
        .any(|seg| seg == ".." || seg.is_empty() || seg == ".")
    {
        diags.push(err(format!(
            "`{jar}` must stay inside the project (no `..`, `.` or empty parts)"
        )));
        return None;
    }
    if !jar
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
    {
        diags.push(err(format!(
            "`{jar}` may only use letters, digits and `._-+/`"
        )));
        return None;
    }
    if !jar.ends_with(".jar") {
        diags.push(err(format!("`{jar}` is not a .jar file")));
        return None;
    }
    Some(jar.to_string())
}

/// The image the job image is built `FROM`: the spec's own, or the official Flink image of
/// the version and Java.
fn base_image(
    src: &Source,
    spec: &ImageSpec,
    version: Version,
    defaults: &Defaults,
    diags: &mut Diagnostics,
) -> Option<String> {
    let java = spec
        .java
        .or(defaults.java)
        .unwrap_or_else(|| version.default_java());
    let mut ok = true;
    if !version.java_versions().contains(&java) {
        let allowed: Vec<String> = version.java_versions().iter().map(u32::to_string).collect();
        diags.push(
            src.error(
                "image.java",
                format!(
                    "there is no Flink {} image for Java {java}",
                    version.minor_str()
                ),
            )
            .help(format!("use one of: {}", allowed.join(", "))),
        );
        ok = false;
    }
    // The reference lands on the Dockerfile's FROM line unquoted: a trailing `\` would join
    // the next line and `${…}` would let a build argument pick the image.
    let reference_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@');
    let base = match &spec.base {
        Some(b) if b.is_empty() || b.len() > 255 || !b.chars().all(reference_char) => {
            diags.push(
                src.error("image.base", format!("`{b}` is not an image reference"))
                    .help("write [registry/]repository[:tag][@sha256:digest] with letters, digits and `._-/:@` only, such as flink:1.20.3-scala_2.12-java17"),
            );
            ok = false;
            String::new()
        }
        Some(b) => b.clone(),
        None => version.image(java),
    };
    ok.then_some(base)
}

/// The job image's tag, checked; empty when it is not a valid tag (reported).
fn tag(src: &Source, spec: &ImageSpec, diags: &mut Diagnostics) -> Option<String> {
    let tag =
        match &spec.tag {
            Some(Scalar::Text(t)) => t.clone(),
            Some(Scalar::Int(i)) => i.to_string(),
            Some(other) => {
                diags.push(
                    src.error(
                        "image.tag",
                        format!("the tag `{}` must be quoted", other.as_text()),
                    )
                    .help("YAML reads 1.10 as the number 1.1: write tag: \"1.10\""),
                );
                return None;
            }
            None => {
                diags.push(src.key_error("image", "the job image has no tag").field("image.tag")
                .help("set image.tag, such as \"1.0.0\"; `latest` makes renders irreproducible"));
                return None;
            }
        };
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !tag_ok {
        diags.push(
            src.error("image.tag", format!("`{tag}` is not an image tag"))
                .help(
                    "at most 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
                ),
        );
        return Some(String::new());
    }
    Some(tag)
}
