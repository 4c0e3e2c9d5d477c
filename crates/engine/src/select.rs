//! Which rules are active and in which order (rules-file.md §12, fields.md §8.3), as
//! Falco 0.42.1's `evttype_index_ruleset` keeps them.
//!
//! Rules less severe than the `priority` threshold are never added. The others are
//! enabled by their `enabled` flag in rule order; then each `rules:` selection entry
//! enables or disables, by wildcard name and/or by tag, in configuration order. An
//! enabled rule is appended to the end of the evaluation order (a rule already enabled
//! keeps its place); a disabled one leaves it. So a rule enabled by `rules:` runs after
//! the rules enabled by default.

use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::priority::Priority;
use falcoc_compiler::ruleset::matches_wildcard;

use falcoc_config::{RuleSelection, SelectionOp};

/// The active rules: indices into the rule list, in evaluation order.
pub(crate) fn active_rules(
    rules: &[CompiledRule],
    eligible: impl Fn(&CompiledRule) -> bool,
    threshold: Priority,
    selection: &[RuleSelection],
) -> Vec<usize> {
    let candidates: Vec<usize> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.priority <= threshold && eligible(r))
        .map(|(i, _)| i)
        .collect();
    let mut order: Vec<usize> = Vec::new();
    let mut on = vec![false; rules.len()];
    let mut set = |order: &mut Vec<usize>, i: usize, enable: bool| {
        if enable && !on[i] {
            on[i] = true;
            order.push(i);
        } else if !enable && on[i] {
            on[i] = false;
            order.retain(|&j| j != i);
        }
    };
    for &i in &candidates {
        let enable = rules[i].enabled;
        set(&mut order, i, enable);
    }
    for sel in selection {
        let enable = sel.op == SelectionOp::Enable;
        if let Some(pattern) = sel.rule.as_deref() {
            for &i in &candidates {
                if matches_wildcard(pattern, &rules[i].name) {
                    set(&mut order, i, enable);
                }
            }
        }
        if let Some(tag) = sel.tag.as_deref() {
            for &i in &candidates {
                if rules[i].tags.contains(tag) {
                    set(&mut order, i, enable);
                }
            }
        }
    }
    order
}
