//! The service-name table used for `PORT` constants (`fd.sport = http`), compiled in from
//! `services.tsv` (Debian 12 `/etc/services`, the file the reference Falco consulted).

use std::sync::LazyLock;

/// One `/etc/services` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Official name.
    pub name: &'static str,
    /// Port number.
    pub port: u16,
    /// Protocol (`tcp`, `udp`, …).
    pub protocol: &'static str,
    /// Alias names.
    pub aliases: Vec<&'static str>,
}

static SERVICES: LazyLock<Vec<Service>> = LazyLock::new(|| {
    include_str!("services.tsv")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let name = f.next()?;
            let port = f.next()?.parse().ok()?;
            let protocol = f.next()?;
            let aliases = f
                .next()
                .unwrap_or("")
                .split(' ')
                .filter(|a| !a.is_empty())
                .collect();
            Some(Service {
                name,
                port,
                protocol,
                aliases,
            })
        })
        .collect()
});

/// Every entry, in file order.
pub fn services() -> &'static [Service] {
    &SERVICES
}

/// `getservbyname(name, NULL)`: the port of the first entry whose name or an alias is
/// `name` (case-sensitive).
pub fn port_of(name: &str) -> Option<u16> {
    SERVICES
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name))
        .map(|s| s.port)
}
