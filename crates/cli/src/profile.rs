//! `falcoc replay --profile` / `--profile-json FILE`: the engine's per-rule profile
//! ([`falcoc_engine::profile`]) printed as a table on stderr or written as JSON, rules
//! sorted by estimated total time.

use std::path::Path;

use falcoc_engine::profile::{RuleProfile, SAMPLE_EVERY};
use falcoc_engine::Engine;
use serde_json::json;

use crate::EXIT_USAGE;

/// The evaluated rules, most expensive first, and their total estimated time (ns).
fn sorted(engine: &Engine) -> (Vec<RuleProfile>, f64, usize) {
    let all = engine.profile().unwrap_or_default();
    let never = all.iter().filter(|r| r.evaluations == 0).count();
    let mut rules: Vec<RuleProfile> = all.into_iter().filter(|r| r.evaluations > 0).collect();
    rules.sort_by(|a, b| {
        b.total_ns()
            .total_cmp(&a.total_ns())
            .then(b.evaluations.cmp(&a.evaluations))
            .then(a.rule.cmp(&b.rule))
    });
    let total = rules.iter().map(RuleProfile::total_ns).sum();
    (rules, total, never)
}

fn share(r: &RuleProfile, total: f64) -> f64 {
    if total > 0.0 {
        r.total_ns() / total
    } else {
        0.0
    }
}

/// Prints the profile table on stderr.
pub fn print_table(engine: &Engine) {
    let (rules, total, never) = sorted(engine);
    eprintln!(
        "Rule profile (condition time sampled on 1 evaluated event in {SAMPLE_EVERY}; \
         estimated total {:.1} ms):",
        total / 1e6
    );
    eprintln!(
        "  {:>6}  {:>9}  {:>12}  {:>8}  rule",
        "share", "ns/eval", "evaluations", "matches"
    );
    for r in &rules {
        eprintln!(
            "  {:>5.1}%  {:>9.1}  {:>12}  {:>8}  {}",
            share(r, total) * 100.0,
            r.ns_per_eval(),
            r.evaluations,
            r.matches,
            r.rule
        );
    }
    if never > 0 {
        eprintln!("  ({never} active rules never evaluated)");
    }
}

/// Writes the profile as JSON to `path` (`-`: stdout).
pub fn write_json(engine: &Engine, path: &Path) -> Result<(), u8> {
    let (rules, total, never) = sorted(engine);
    let rules: Vec<_> = rules
        .iter()
        .map(|r| {
            json!({
                "rule": r.rule,
                "source": r.source,
                "evaluations": r.evaluations,
                "matches": r.matches,
                "timed_evaluations": r.timed_evaluations,
                "ns_per_eval": r.ns_per_eval(),
                "total_ns": r.total_ns(),
                "share": share(r, total),
            })
        })
        .collect();
    let doc = json!({
        "sample_every": SAMPLE_EVERY,
        "total_ns": total,
        "never_evaluated": never,
        "rules": rules,
    });
    let text = format!("{doc:#}\n");
    if path == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| {
        eprintln!("error: cannot write {}: {e}", path.display());
        EXIT_USAGE
    })
}
