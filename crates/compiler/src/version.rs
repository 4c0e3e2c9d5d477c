//! Engine versions and Falco's semver comparisons (rules-file.md §2.1, §11).

use std::fmt;

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

/// falcoc's engine version: Falco 0.42.1's.
pub const ENGINE_VERSION: Version = Version {
    major: 0,
    minor: 57,
    patch: 0,
};

impl Version {
    /// Parses `x.y.z` (three unsigned integers; trailing text after the third is ignored,
    /// so `0.31.0-rc1` is `0.31.0`).
    pub fn parse_semver(s: &str) -> Option<Version> {
        let mut parts = s.splitn(3, '.');
        let major = parse_u64(parts.next()?)?;
        let minor = parse_u64(parts.next()?)?;
        let rest = parts.next()?;
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let patch = parse_u64(&digits)?;
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    /// Parses a `required_engine_version` value: an unsigned integer N means `0.N.0`.
    pub fn parse_engine_requirement(s: &str) -> Option<Version> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Version {
                major: 0,
                minor: parse_u64(s)?,
                patch: 0,
            });
        }
        Version::parse_semver(s)
    }

    /// Falco's "compatible": same major and not older.
    pub fn satisfies(self, required: Version) -> bool {
        self.major == required.major && self >= required
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            Version::parse_engine_requirement("8"),
            Some(Version {
                major: 0,
                minor: 8,
                patch: 0
            })
        );
        assert_eq!(
            Version::parse_engine_requirement("0.31.0-rc1").map(|v| v.to_string()),
            Some("0.31.0".into())
        );
        assert_eq!(Version::parse_engine_requirement("0.31"), None);
        assert_eq!(Version::parse_engine_requirement("v0.31.0"), None);
        assert_eq!(Version::parse_engine_requirement("0.10"), None);
    }

    #[test]
    fn compatibility() {
        let r = |s| Version::parse_engine_requirement(s).unwrap_or(ENGINE_VERSION);
        assert!(ENGINE_VERSION.satisfies(r("0.57.0")));
        assert!(!ENGINE_VERSION.satisfies(r("0.57.1")));
        assert!(!ENGINE_VERSION.satisfies(r("1.0.0")));
        assert!(ENGINE_VERSION.satisfies(r("26")));
    }
}
