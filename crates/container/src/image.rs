//! Image references split as libsinsp's `split_container_image` does.

/// An image reference's parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything but tag and digest, registry host and port included.
    pub repository: String,
    /// The tag (empty: none).
    pub tag: String,
    /// The digest after `@` (empty: none).
    pub digest: String,
}

/// Splits `reference`: what follows `@` is the digest, a `:` in the last `/`-separated
/// part starts the tag (so a registry port is not a tag), the rest is the repository.
/// `docker.io/library/nginx:1.25@sha256:ab…` → `docker.io/library/nginx`, `1.25`,
/// `sha256:ab…`; `localhost:5000/app` → `localhost:5000/app`, no tag.
pub fn split(reference: &str) -> ImageRef {
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, d),
        None => (reference, ""),
    };
    let last_part = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_part..].find(':') {
        Some(i) => (&name[..last_part + i], &name[last_part + i + 1..]),
        None => (name, ""),
    };
    ImageRef {
        repository: repository.to_string(),
        tag: tag.to_string(),
        digest: digest.to_string(),
    }
}

/// An image id without its `sha256:` prefix.
pub fn bare_id(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(r: &str) -> (String, String, String) {
        let s = split(r);
        (s.repository, s.tag, s.digest)
    }

    #[test]
    fn references() {
        let p = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            parts("docker.io/library/nginx:1.25@sha256:abc"),
            p("docker.io/library/nginx", "1.25", "sha256:abc")
        );
        assert_eq!(parts("nginx"), p("nginx", "", ""));
        assert_eq!(parts("nginx:latest"), p("nginx", "latest", ""));
        assert_eq!(
            parts("localhost:5000/app:v1"),
            p("localhost:5000/app", "v1", "")
        );
        assert_eq!(parts("localhost:5000/app"), p("localhost:5000/app", "", ""));
        assert_eq!(parts("repo@sha256:ff"), p("repo", "", "sha256:ff"));
        assert_eq!(parts(""), p("", "", ""));
        assert_eq!(bare_id("sha256:12ab"), "12ab");
    }

    proptest::proptest! {
        #[test]
        fn split_never_panics_and_keeps_repository_prefix(r in "\\PC{0,40}") {
            let s = split(&r);
            proptest::prop_assert!(r.starts_with(&s.repository));
        }
    }
}
