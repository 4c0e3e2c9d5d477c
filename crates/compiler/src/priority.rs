//! Rule priorities (rules-file.md §3).

/// A rule priority; lower is more severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// 0
    Emergency,
    /// 1
    Alert,
    /// 2
    Critical,
    /// 3
    Error,
    /// 4
    Warning,
    /// 5
    Notice,
    /// 6
    Informational,
    /// 7
    Debug,
}

impl Priority {
    /// All priorities, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Parses any ASCII case of a priority name, or `info`.
    pub fn parse(s: &str) -> Option<Priority> {
        if s.eq_ignore_ascii_case("info") {
            return Some(Priority::Informational);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// The canonical name alerts print (`Informational`, never `Info`).
    pub fn name(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// The numeric level (0 = Emergency … 7 = Debug), also the syslog severity.
    pub fn level(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Priority::parse("wArNiNg"), Some(Priority::Warning));
        assert_eq!(Priority::parse("INFO"), Some(Priority::Informational));
        assert_eq!(
            Priority::parse("informational"),
            Some(Priority::Informational)
        );
        assert_eq!(Priority::parse("warn"), None);
        assert_eq!(Priority::Debug.level(), 7);
    }
}
