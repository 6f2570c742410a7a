//! The image a spec's pods run: built by a generated Dockerfile (base image, repository, tag,
//! digest, `lib` jars, files) or an existing one (`image.ref`), with its pull policy and pull
//! secrets; and the job jar in one of its three forms.

use super::{image_part, units, Defaults};
use crate::diag::Diagnostics;
use crate::flink::Version;
use crate::load::scalar::Scalar;
use crate::load::spec::ImageSpec;
use crate::load::Source;
use crate::model::{Build, Image, Jar, LibJar};

/// What a spec's image must provide, decided by the rest of the spec.
pub struct Needs<'a> {
    /// The image of a session job's cluster, which the job's own image is built from and, when
    /// nothing is added, the submitter runs as is.
    pub cluster: Option<&'a Image>,
    /// Whether the program brings project files (a jar, a script, requirements, the SQL
    /// runner), so the image must be built.
    pub builds: bool,
    /// Whether flinkVersion names a patch release (`"1.20.3"`), not only a line.
    pub exact_version: bool,
    /// Plugins the spec enables: a built image gets them, an existing one must have them.
    pub plugins: &'a [String],
}

/// Resolves the image; `version` may change its patch to the one an official `image.ref`
/// names, which is the Flink release that actually runs.
/// Long because the three ways to have an image (a ref, the cluster's, a build) resolve here in turn.
pub fn image(
    cx: &super::subject::Subject,
    name: &str,
    version: &mut Version,
    needs: &Needs,
    diags: &mut Diagnostics,
) -> Option<Image> {
    let (src, defaults) = (cx.src, cx.defaults);
    let empty = ImageSpec::default();
    let spec = cx.spec.image.as_ref().unwrap_or(&empty);
    let pull_secrets = pull_secrets(src, spec, defaults, needs, diags)?;
    let pull_policy = spec.pull_policy.unwrap_or(defaults.pull_policy);
    if let Some(reference) = &spec.reference {
        let (reference, release_known) = existing(cx, spec, reference, version, needs, diags)?;
        return Some(Image {
            reference,
            pull_policy,
            pull_secrets,
            build: None,
            release_known,
        });
    }
    if spec.built_from.is_some() {
        diags.push(
            src.key_error("image.builtFrom", "image.builtFrom describes an existing image (image.ref); flinkgen's own image is built FROM image.base")
                .help("remove it, or set image.base"),
        );
        return None;
    }
    if let (Some(cluster), false) = (needs.cluster, needs.builds) {
        // Nothing to add to the cluster's image: the submitter runs it as it is.
        return Some(Image {
            reference: cluster.reference.clone(),
            pull_policy,
            pull_secrets,
            build: None,
            release_known: cluster.release_known,
        });
    }
    // The default base is the official image of the exact release; another base runs the
    // release its tag names, if it is an official one.
    let release_known = needs.exact_version
        || match &spec.base {
            None => true,
            Some(b) => {
                let (name, tag, _) = split_reference(b);
                official(name)
                    && tag
                        .is_some_and(|t| t.split('-').next().unwrap_or("").split('.').count() == 3)
            }
        };
    let build = build(src, spec, *version, defaults, needs, diags);
    let repository = match (&spec.repository, &defaults.registry) {
        (Some(r), _) => r.clone(),
        (None, Some(reg)) => format!("{}/{name}", reg.trim_end_matches('/')),
        (None, None) => {
            diags.push(
                src.key_error("image", "no image repository for the job image")
                    .field("image.repository")
                    .help("set image.repository here, or image.registry in flinkgen.yaml; or run an existing image with image.ref"),
            );
            return None;
        }
    };
    let mut ok = true;
    if let Err(e) = image_part(&repository) {
        diags.push(src.error("image.repository", e));
        ok = false;
    }
    let tag = tag(src, spec, diags)?;
    ok &= !tag.is_empty();
    let mut reference = format!("{repository}:{tag}");
    if let Some(d) = &spec.digest {
        if digest(d) {
            reference = format!("{reference}@{d}");
        } else {
            diags.push(
                src.error("image.digest", format!("`{d}` is not an image digest"))
                    .help("write sha256: and 64 lowercase hex digits"),
            );
            ok = false;
        }
    }
    let (base, lib, files) = build?;
    ok.then_some(Image {
        reference,
        pull_policy,
        pull_secrets,
        build: Some(Build {
            base,
            tag,
            lib,
            files,
        }),
        release_known,
    })
}

fn digest(d: &str) -> bool {
    let hex = d.strip_prefix("sha256:").unwrap_or("");
    hex.len() == 64
        && hex
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// The spec's pull secrets, else the project's; a session job's submitter pulls the cluster's
/// image with the cluster's.
fn pull_secrets(
    src: &Source,
    spec: &ImageSpec,
    defaults: &Defaults,
    needs: &Needs,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    let Some(list) = &spec.pull_secrets else {
        return Some(match needs.cluster {
            Some(c) => c.pull_secrets.clone(),
            None => defaults.pull_secrets.clone(),
        });
    };
    let mut ok = true;
    for (i, s) in list.iter().enumerate() {
        let field = format!("image.pullSecrets[{i}]");
        if let Err(e) = units::dns_subdomain(s) {
            diags.push(src.error(&field, e));
            ok = false;
        } else if list[..i].contains(s) {
            diags.push(src.error(&field, format!("`{s}` is listed twice")));
            ok = false;
        }
    }
    ok.then(|| list.clone())
}

/// Fields that describe how to build an image, which `image.ref` excludes.
fn build_fields(spec: &ImageSpec) -> [(&'static str, bool); 6] {
    [
        ("image.repository", spec.repository.is_some()),
        ("image.tag", spec.tag.is_some()),
        ("image.digest", spec.digest.is_some()),
        ("image.base", spec.base.is_some()),
        ("image.lib", spec.lib.is_some()),
        ("image.files", spec.files.is_some()),
    ]
}

/// An existing image: a plain reference, pinned by a tag or digest; an official Flink image
/// must run the spec's Flink line and Java. Returns it, and whether the Flink patch release it
/// runs is known.
/// Long because each rule of an existing image (fields, reference, tag, Java, plugins, layout) is one check.
fn existing(
    cx: &super::subject::Subject,
    spec: &ImageSpec,
    reference: &str,
    version: &mut Version,
    needs: &Needs,
    diags: &mut Diagnostics,
) -> Option<(String, bool)> {
    let (src, defaults) = (cx.src, cx.defaults);
    let mut ok = true;
    for (field, _) in build_fields(spec).iter().filter(|(_, set)| *set) {
        diags.push(
            src.key_error(
                field,
                format!("`{field}` describes an image flinkgen builds, but image.ref names an existing image; nothing is built"),
            )
            .help(if *field == "image.digest" {
                "pin the digest in the reference: image.ref: <image>@sha256:…"
            } else {
                "remove it, or remove image.ref to have flinkgen write a Dockerfile"
            }),
        );
        ok = false;
    }
    if !plain_reference(reference) {
        diags.push(
            src.error("image.ref", format!("`{reference}` is not an image reference"))
                .help("write [registry/]repository:tag[@sha256:digest] with letters, digits and `._-/:@` only, such as flink:1.20.3-scala_2.12-java17"),
        );
        return None;
    }
    let (name, tag, pinned) = split_reference(reference);
    if tag.is_none() && !pinned {
        diags.push(
            src.error("image.ref", format!("`{reference}` names no tag or digest, so it means `latest`, which changes under every deployment"))
                .help("add a tag (flink:1.20.3-scala_2.12-java17) or a digest (@sha256:…)"),
        );
        return None;
    }
    let java = spec.java.or(defaults.java);
    if let Some(j) = java {
        ok &= java_allowed(src, *version, j, diags);
    }
    if official(name) && !needs.plugins.is_empty() {
        diags.push(
            src.key_error("plugins", format!("the official Flink image keeps {} in opt/, not in plugins/, so Flink would not load it", needs.plugins.join(", ")))
                .help("remove image.ref to have flinkgen build an image with the plugins enabled, or run an image of yours that has them in plugins/"),
        );
        ok = false;
    }
    let mut known = needs.exact_version;
    if let (true, Some(tag)) = (official(name), tag) {
        if spec.built_from.is_some() {
            diags.push(
                src.key_error("image.builtFrom", "image.ref is the official image itself; image.builtFrom is for an image of your own")
                    .help("remove image.builtFrom"),
            );
            ok = false;
        }
        let r = Official {
            reference,
            tag,
            pinned,
            field: "image.ref",
        };
        ok &= official_tag(src, &r, needs.exact_version, version, spec.java, diags);
        known |= tag.split('-').next().unwrap_or("").split('.').count() == 3;
    } else if let Some(from) = &spec.built_from {
        let fits = built_from(src, from, needs.exact_version, version, spec.java, diags);
        ok &= fits;
        known = fits;
    } else {
        diags.push(
            src.warning("image.ref", format!("`{reference}` is not the official Flink image; the pods assume its layout (Flink in /opt/flink, the flink user uid 9999, the image's docker-entrypoint.sh and the Flink {} release)", version.minor_str()))
                .help("if it is built FROM the official image, say which: image.builtFrom: flink:<release>-scala_2.12-java<N>"),
        );
    }
    ok.then(|| (reference.to_string(), known))
}

/// `image.builtFrom`: the official image of a release an image of the user's own was built
/// FROM. Its own tag says nothing about Flink; the official one's does, and must fit the spec.
fn built_from(
    src: &Source,
    from: &str,
    exact_version: bool,
    version: &mut Version,
    java: Option<u32>,
    diags: &mut Diagnostics,
) -> bool {
    let (from_name, from_tag, from_pinned) = split_reference(from);
    match from_tag.filter(|_| official(from_name) && plain_reference(from)) {
        Some(t) if t.split('-').next().unwrap_or("").split('.').count() == 3 => {
            let r = Official {
                reference: from,
                tag: t,
                pinned: from_pinned,
                field: "image.builtFrom",
            };
            official_tag(src, &r, exact_version, version, java, diags)
        }
        _ => {
            diags.push(
                src.error("image.builtFrom", format!("`{from}` is not an official Flink image of a release"))
                    .help("name the official image and release the image was built FROM, such as flink:1.20.3-scala_2.12-java17"),
            );
            false
        }
    }
}

/// Letters, digits and `._-/:@`, as the reference is written into manifests and configs.
fn plain_reference(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 255
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'))
}

/// `[registry/]name[:tag][@digest]` into name, tag and whether a digest pins it.
fn split_reference(r: &str) -> (&str, Option<&str>, bool) {
    let (rest, pinned) = match r.split_once('@') {
        Some((rest, _)) => (rest, true),
        None => (r, false),
    };
    // A `:` after the last `/` starts the tag; one before it belongs to a registry port.
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].find(':') {
        Some(colon) => (
            &rest[..slash + colon],
            Some(&rest[slash + colon + 1..]),
            pinned,
        ),
        None => (rest, None, pinned),
    }
}

/// Whether a reference names the official Flink image, whatever its tag.
pub fn is_official(reference: &str) -> bool {
    official(split_reference(reference).0)
}

/// Whether the name is the official Flink image (Docker Hub's `flink` or `apache/flink`).
fn official(name: &str) -> bool {
    let name = name.strip_prefix("docker.io/").unwrap_or(name);
    matches!(name, "flink" | "library/flink" | "apache/flink")
}

/// An official tag is `<version>[-scala_2.12][-java<N>]`; its Flink line must be the spec's
/// and its Java one the line ships. A tag without a patch moves to each new patch release.
/// An official image reference and its parts.
struct Official<'a> {
    reference: &'a str,
    tag: &'a str,
    /// Whether a digest pins it.
    pinned: bool,
    /// Where the spec names it: `image.ref` or `image.builtFrom`.
    field: &'a str,
}

/// Long because it reads the tag's release and Java and checks each against the spec in turn.
fn official_tag(
    src: &Source,
    r: &Official,
    exact_version: bool,
    version: &mut Version,
    java: Option<u32>,
    diags: &mut Diagnostics,
) -> bool {
    let Official {
        reference,
        tag,
        pinned,
        field,
    } = *r;
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    let nums: Option<Vec<u32>> = first.split('.').map(|p| p.parse().ok()).collect();
    let (major, minor, patch) = match nums.as_deref() {
        Some([a, b]) => (*a, *b, None),
        Some([a, b, c]) => (*a, *b, Some(*c)),
        _ => {
            diags.push(
                src.error(field, format!("the tag `{tag}` of the official Flink image names no Flink version, so the release it runs changes under you"))
                    .help(format!("name the release, such as {}", version.image(version.default_java()))),
            );
            return false;
        }
    };
    let mut ok = true;
    if (major, minor) != (version.major, version.minor) {
        diags.push(
            src.error(
                field,
                format!(
                    "`{reference}` runs Flink {major}.{minor}, but the spec is for Flink {}",
                    version.minor_str()
                ),
            )
            .help(format!(
                "use the image of Flink {}, such as {}, or change flinkVersion",
                version.minor_str(),
                version.image(version.default_java())
            )),
        );
        return false;
    }
    match patch {
        Some(p) if p != version.patch && exact_version => {
            diags.push(
                src.error(
                    field,
                    format!("`{reference}` runs Flink {major}.{minor}.{p}, but flinkVersion says {version}"),
                )
                .help("make them agree, or write flinkVersion as the line only (\"1.20\")"),
            );
            ok = false;
        }
        Some(p) => version.patch = p,
        None if !pinned => diags.push(
            src.warning(
                field,
                format!("`{reference}` moves to each new {major}.{minor} patch release, so the same manifests may run different Flink builds"),
            )
            .help(format!("pin a release, such as {}, or a digest", version.image(version.default_java()))),
        ),
        None => {}
    }
    let tag_java = parts.find_map(|p| p.strip_prefix("java").and_then(|n| n.parse::<u32>().ok()));
    let image_java = tag_java.unwrap_or_else(|| version.default_java());
    if let Some(j) = java.filter(|j| *j != image_java) {
        diags.push(
            src.error(
                "image.java",
                format!("`{reference}` runs Java {image_java}, not Java {j}"),
            )
            .help(format!(
                "remove image.java, or use the -java{j} tag of the image"
            )),
        );
        ok = false;
    }
    ok && java_allowed(src, *version, image_java, diags)
}

fn java_allowed(src: &Source, version: Version, java: u32, diags: &mut Diagnostics) -> bool {
    if version.java_versions().contains(&java) {
        return true;
    }
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
    false
}

type BuildParts = (String, Vec<LibJar>, Vec<(String, String)>);

/// What the generated Dockerfile starts from and adds.
fn build(
    src: &Source,
    spec: &ImageSpec,
    version: Version,
    defaults: &Defaults,
    needs: &Needs,
    diags: &mut Diagnostics,
) -> Option<BuildParts> {
    let base = match needs.cluster {
        // The job image only carries the jar and Flink's client: the cluster's image fits.
        Some(c) => Some(
            c.build
                .as_ref()
                .map_or(c.reference.clone(), |b| b.base.clone()),
        ),
        None => base_image(src, spec, version, defaults, diags),
    };
    let lib = super::lib::lib(src, spec.lib.as_deref().unwrap_or_default(), version, diags);
    let files = super::lib::files(src, spec.files.as_ref(), diags);
    Some((base?, lib?, files?))
}

/// The jar in one of its three forms: a project path, `local://` inside the image, or a
/// remote URI.
pub fn jar(src: &Source, field: &str, jar: &str, diags: &mut Diagnostics) -> Option<Jar> {
    if let Some(path) = jar.strip_prefix("local://") {
        return in_image(src, field, path, diags).map(Jar::InImage);
    }
    if let Some((scheme, _)) = jar.split_once("://") {
        return remote(src, field, jar, scheme, diags).map(Jar::Remote);
    }
    project_path(src, field, jar, true, diags).map(Jar::Built)
}

fn in_image(src: &Source, field: &str, path: &str, diags: &mut Diagnostics) -> Option<String> {
    let err = |msg: String| {
        src.error(field, msg).help(
            "write local:// and the jar's absolute path inside the image, such as local:///opt/flink/usrlib/my-job.jar",
        )
    };
    if !path.starts_with('/')
        || path
            .split('/')
            .skip(1)
            .any(|s| matches!(s, "" | "." | ".."))
    {
        diags.push(err(format!(
            "`local://{path}` is not an absolute path inside the image"
        )));
        return None;
    }
    if !path.chars().all(plain_path_char) || !path.ends_with(".jar") {
        diags.push(err(format!(
            "`local://{path}` must be a .jar path of letters, digits and `._-+/`"
        )));
        return None;
    }
    if let Some((dir, why)) = super::lib::hidden_by_mount(path) {
        diags.push(err(format!(
            "the pods cannot see `local://{path}`: {why}, hiding the image's {dir}"
        )));
        return None;
    }
    Some(path.to_string())
}

/// Schemes Flink fetches a jar from: HTTP, and the filesystems of its plugins.
const REMOTE_SCHEMES: &[&str] = &[
    "https", "http", "s3", "s3a", "s3p", "gs", "abfs", "abfss", "wasb", "wasbs", "oss",
];

fn remote(
    src: &Source,
    field: &str,
    uri: &str,
    scheme: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    if scheme == "file" {
        diags.push(
            src.error(field, format!("`{uri}` names a file on the machine that renders, which the pods do not have"))
                .help("write local:///… for a jar inside the image, or a project path (build/libs/job.jar) to copy it in"),
        );
        return None;
    }
    if !REMOTE_SCHEMES.contains(&scheme) {
        diags.push(
            src.error(
                field,
                format!("Flink cannot fetch a jar over `{scheme}://`"),
            )
            .help(format!(
                "use one of: {}",
                REMOTE_SCHEMES.join("://, ") + "://"
            )),
        );
        return None;
    }
    if super::literal::password_in_uri(uri) {
        diags.push(super::literal::uri_with_password(src, field));
        return None;
    }
    let rest = &uri[scheme.len() + 3..];
    let file = rest.split(['?', '#']).next().unwrap_or_default();
    let ok = !rest.is_empty()
        && file.contains('/')
        && !file.ends_with('/')
        && uri
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '`' | '$'));
    if !ok {
        diags.push(
            src.error(field, format!("`{uri}` is not a URI of a jar file"))
                .help("write the jar's full URI, such as https://repo.example.com/jobs/my-job-1.0.jar"),
        );
        return None;
    }
    Some(uri.to_string())
}

pub fn plain_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+')
}

/// A path in the project, as a Dockerfile `COPY` source: inside the build context (the
/// project root) and plain enough to need no quoting. Jars must end in `.jar`; other files
/// and folders (`sql/`) may end in anything.
pub fn project_path(
    src: &Source,
    field: &str,
    path: &str,
    is_jar: bool,
    diags: &mut Diagnostics,
) -> Option<String> {
    let example = if is_jar {
        "build/libs/my-job.jar"
    } else {
        "sql/ or conf/truststore.jks"
    };
    let err = |msg: String| {
        src.error(field, msg).help(format!(
            "give a path relative to the project root, such as {example}"
        ))
    };
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        diags.push(err(format!("`{path}` is not a relative path")));
        return None;
    }
    if trimmed.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
        diags.push(err(format!(
            "`{path}` must stay inside the project (no `..`, `.` or empty parts)"
        )));
        return None;
    }
    if !path.chars().all(plain_path_char) {
        diags.push(err(format!(
            "`{path}` may only use letters, digits and `._-+/`"
        )));
        return None;
    }
    // On a Dockerfile's COPY line a leading `-` would be read as a flag (`--link`, `--from`).
    if trimmed.split('/').any(|seg| seg.starts_with('-')) {
        diags.push(err(format!(
            "`{path}` has a part starting with `-`, which a Dockerfile's COPY would read as a flag"
        )));
        return None;
    }
    if is_jar && !path.ends_with(".jar") {
        diags.push(err(format!("`{path}` is not a .jar file")));
        return None;
    }
    Some(path.to_string())
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
    let ok = java_allowed(src, version, java, diags);
    // The reference lands on the Dockerfile's FROM line unquoted: a trailing `\` would join
    // the next line and `${…}` would let a build argument pick the image.
    let base = match &spec.base {
        Some(b) if !plain_reference(b) => {
            diags.push(
                src.error("image.base", format!("`{b}` is not an image reference"))
                    .help("write [registry/]repository[:tag][@sha256:digest] with letters, digits and `._-/:@` only, such as flink:1.20.3-scala_2.12-java17"),
            );
            return None;
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

#[cfg(test)]
#[path = "image/tests.rs"]
mod tests;
