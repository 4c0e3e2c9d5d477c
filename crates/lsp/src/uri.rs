//! `file:` URIs and paths, both ways (percent-encoding as RFC 3986 wants it).

use lsp_types::Uri;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The path of a `file:` URI (`file:///a%20b/c.yaml` → `/a b/c.yaml`); `None` for other
/// schemes, a remote authority or a bad escape.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    let path = if rest.starts_with('/') {
        rest
    } else {
        let slash = rest.find('/')?;
        if &rest[..slash] != "localhost" {
            return None;
        }
        &rest[slash..]
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let bytes = percent_decode(path)?;
    let text = String::from_utf8(bytes).ok()?;
    Some(PathBuf::from(text))
}

/// `path` without `.` components and with `..` applied (lexically: symbolic links are
/// kept, as the editor names them).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// The `file:` URI of an absolute path (normalized with [`normalize`]).
pub fn from_path(path: &Path) -> Option<Uri> {
    let path = normalize(path);
    let text = path.to_str()?;
    if !text.starts_with('/') {
        return None;
    }
    let mut s = String::with_capacity(text.len() + 8);
    s.push_str("file://");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_escapes() {
        let p = Path::new("/tmp/my rules/é.yaml");
        let uri = from_path(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/my%20rules/%C3%A9.yaml");
        assert_eq!(to_path(&uri).unwrap(), p);
        let host = Uri::from_str("file://localhost/etc/falco/x.yaml").unwrap();
        assert_eq!(to_path(&host).unwrap(), Path::new("/etc/falco/x.yaml"));
        let other = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(to_path(&other), None);
        let dotted = from_path(Path::new("/a/./b/../c.yaml")).unwrap();
        assert_eq!(dotted.as_str(), "file:///a/c.yaml");
    }
}
