//! Compiling a collection: lists, macros and rules, the way Falco's rule compiler does
//! after each file (rules-file.md §4.5, §5; conditions.md §1).

use crate::check::{self, CheckWarning, Checked};
use crate::collector::{Collection, MacroState, RuleState};
use crate::exceptions::{self, Exception};
use crate::issue::{CondExpr, Issue, Loc};
use crate::macros::{ExpandError, Lookup, MacroDef, MacroTable, Viewer};
use crate::output::{self, RuleOutput};
use crate::priority::Priority;
use crate::reader::ScalarStore;
use crate::result::Code;
use crate::text::SourcedText;
use falcoc_lang::condition::{self, ast::Expr};
use falcoc_lang::span::ParserPos;
use falcoc_lang::Span;
use falcoc_schema::events::{self, EventSet};
use falcoc_schema::fields::{FieldError, PluginProfile, ResolvedField};
use rustc_hash::FxHashMap;
use std::collections::{BTreeSet, HashSet};

/// A rule after compilation.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Name.
    pub name: String,
    /// Event source.
    pub source: String,
    /// Description.
    pub desc: String,
    /// Priority.
    pub priority: Priority,
    /// Tags (sorted).
    pub tags: BTreeSet<String>,
    /// Enabled by default.
    pub enabled: bool,
    /// The condition as written (appends included; `falco -L` `info.condition`).
    pub condition: String,
    /// The macro- and list-expanded condition.
    pub expanded: Expr,
    /// Its canonical print (`falco -L` `condition_compiled`).
    pub compiled_condition: String,
    /// The checked condition.
    pub checked: Checked,
    /// Event codes the condition can match (syscall source).
    pub event_codes: Option<EventSet>,
    /// The output after Falco's processing, with its compiled format.
    pub output: RuleOutput,
    /// Exceptions (names, fields, comps, values).
    pub exceptions: Vec<Exception>,
    /// Macros used (transitively).
    pub macros: BTreeSet<String>,
    /// Lists substituted.
    pub lists: BTreeSet<String>,
    /// `capture`.
    pub capture: bool,
    /// `capture_duration`.
    pub capture_duration: u64,
    /// Position of the first definition.
    pub at: crate::decl::ItemAt,
}

/// What compiling a collection gives.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Rules that compiled (unknown sources and skipped rules are absent).
    pub rules: Vec<CompiledRule>,
    /// Errors and warnings, in Falco's order.
    pub issues: Vec<Issue>,
}

/// Results that do not change between the compiles of one load (Falco recompiles the whole
/// collection after every file): parses by text, field lookups, and whole rules and macro
/// checks by everything they depend on (a rule memo and a macro memo).
#[derive(Debug, Default)]
pub struct CompileCache {
    memo: Memo,
    rules: FxHashMap<String, RuleMemo>,
    macros: FxHashMap<String, MacroMemo>,
    /// The macro table of the latest pass, and the list-substituted text each of its
    /// bodies was parsed from (a body is parsed again only when its text changes).
    table: MacroTable,
    table_texts: FxHashMap<String, String>,
}

/// What one expansion depended on: each macro reference it resolved, with the
/// list-substituted text (which decides the parsed body) of the definition it found
/// visible then, or `None` (undefined or not visible).
type MacroDeps = Vec<(Lookup, Option<String>)>;

/// The macros of one compile by name: list-substituted text, first and latest definition
/// order.
struct MacroEnv<'a>(FxHashMap<&'a str, (&'a str, usize, usize)>);

impl<'a> MacroEnv<'a> {
    fn new(macros: &'a [MacroState], texts: &'a [SourcedText]) -> Self {
        MacroEnv(
            macros
                .iter()
                .zip(texts)
                .map(|(m, t)| {
                    (
                        m.name.as_str(),
                        (t.text.as_str(), m.first_defined, m.last_defined),
                    )
                })
                .collect(),
        )
    }

    /// The text of the definition `l` finds in an expansion seen by `top`, if one is
    /// visible (the visibility rule of [`MacroTable`]).
    fn found(&self, top: Viewer, l: &Lookup) -> Option<&'a str> {
        let &(text, first, _) = self.0.get(l.name.as_str())?;
        let viewer = match &l.within {
            None => top,
            Some(w) => Viewer::Macro(self.0.get(w.as_str())?.2),
        };
        match viewer {
            Viewer::Rule => Some(text),
            Viewer::Macro(last) => (first < last).then_some(text),
        }
    }

    /// What the lookups of an expansion seen by `top` find now.
    fn deps(&self, top: Viewer, mut looked_up: Vec<Lookup>) -> MacroDeps {
        looked_up.sort_unstable();
        looked_up.dedup();
        looked_up
            .into_iter()
            .map(|l| {
                let found = self.found(top, &l).map(str::to_string);
                (l, found)
            })
            .collect()
    }

    /// True if every lookup of `deps` still finds what it found.
    fn unchanged(&self, top: Viewer, deps: &MacroDeps) -> bool {
        deps.iter()
            .all(|(l, found)| self.found(top, l) == found.as_deref())
    }
}

/// A rule's compile in an earlier pass, reused while the rule, its condition after
/// exceptions and list substitution (which captures the lists it uses and any word that
/// became a list name), and the definitions of the macros its expansion looked up are
/// unchanged (the field tables do not change within a load). Its results are then the
/// same, diagnostics included.
#[derive(Debug)]
struct RuleMemo {
    rule: RuleState,
    condition: Result<RuleCondition, Issue>,
    macros: MacroDeps,
    outcome: RuleOutcome,
}

/// A macro's reference check in an earlier pass, reused on the same terms as [`RuleMemo`]
/// (the macro's own definition is among its dependencies).
#[derive(Debug)]
struct MacroMemo {
    state: MacroState,
    /// Its list-substituted text.
    text: String,
    /// Whether some macro failed to parse (undefined references are then not reported).
    failed: bool,
    macros: MacroDeps,
    issue: Option<Issue>,
    used: Vec<String>,
}

/// Field lookups by (source, name, argument), keyed by [`field_key`].
type FieldCache = FxHashMap<Vec<u8>, Result<ResolvedField, FieldError>>;

/// The [`FieldCache`] key of a lookup: each part with its length in front, so no two
/// lookups share a key.
fn field_key(key: &mut Vec<u8>, source: &str, name: &str, arg: Option<&str>) {
    key.clear();
    for part in [Some(source), Some(name), arg] {
        match part {
            Some(p) => {
                key.push(1);
                key.extend_from_slice(&(p.len() as u64).to_le_bytes());
                key.extend_from_slice(p.as_bytes());
            }
            None => key.push(0),
        }
    }
}

/// A [`check::FieldResolver`] that remembers the profile's answers (rules look the same
/// fields up many times).
struct CachedResolver<'a> {
    profile: &'a PluginProfile,
    cache: &'a std::cell::RefCell<FieldCache>,
    key: std::cell::RefCell<Vec<u8>>,
}

impl check::FieldResolver for CachedResolver<'_> {
    fn lookup(
        &self,
        source: &str,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField, FieldError> {
        let mut key = self.key.borrow_mut();
        field_key(&mut key, source, name, arg);
        if let Some(r) = self.cache.borrow().get(key.as_slice()) {
            return r.clone();
        }
        let r = self.profile.lookup(source, name, arg);
        self.cache.borrow_mut().insert(key.clone(), r.clone());
        r
    }

    fn async_event_names(&self, source: &str) -> Vec<&'static str> {
        self.profile.async_event_names(source)
    }
}

/// The results of the pure steps of a compile, by their inputs: parses by text and field
/// lookups. A value is what
/// computing it again gives, so memos of different threads can be merged.
#[derive(Debug, Default)]
struct Memo {
    fields: std::cell::RefCell<FieldCache>,
    parsed: Parsed,
}

/// Condition parses by text.
pub(crate) type Parsed = FxHashMap<String, Result<Expr, condition::ParseError>>;

impl CompileCache {
    /// Takes the parses of the compiles out of the cache.
    pub(crate) fn take_parsed(&mut self) -> Parsed {
        std::mem::take(&mut self.memo.parsed)
    }
}

impl Memo {
    /// Adds the entries of `other` that `self` lacks.
    fn merge(&mut self, other: Memo) {
        for (k, v) in other.fields.into_inner() {
            self.fields.get_mut().entry(k).or_insert(v);
        }
        for (k, v) in other.parsed {
            self.parsed.entry(k).or_insert(v);
        }
    }

    fn parse(&mut self, text: &str) -> Result<Expr, condition::ParseError> {
        parse_in(&mut self.parsed, text).clone()
    }

    /// The checked IR of `expanded`. Not memoised: with the rule memo, the same check
    /// rarely comes again within a load, and keeping a copy of each cost more than the
    /// repeats saved.
    fn check(
        &self,
        expanded: &Expr,
        source: &str,
        profile: &PluginProfile,
    ) -> Result<Checked, check::CheckError> {
        let resolver = CachedResolver {
            profile,
            cache: &self.fields,
            key: std::cell::RefCell::new(Vec::new()),
        };
        check::check_condition_with(expanded, source, &resolver)
    }
}

/// The parse of `text`, from `parsed` or parsed now and kept there.
fn parse_in<'m>(parsed: &'m mut Parsed, text: &str) -> &'m Result<Expr, condition::ParseError> {
    if !parsed.contains_key(text) {
        parsed.insert(text.to_string(), condition::parse(text));
    }
    match parsed.get(text) {
        Some(r) => r,
        None => unreachable!("inserted above"),
    }
}

/// Options for [`compile`].
pub struct CompileOptions<'a> {
    /// Field tables and sources.
    pub profile: &'a PluginProfile,
    /// Stop at the first error (Falco) or go on to find every problem.
    pub stop_at_first_error: bool,
}

struct Lists<'c> {
    /// (name, joined quoted items), in definition order.
    joined: Vec<(&'c str, String)>,
    used: HashSet<String>,
    /// Finds the lists whose names occur in a text (a superset of where substitution
    /// applies).
    finder: ListFinder<'c>,
    /// For each list, the later lists whose names occur in its replacement text.
    introduces: Vec<Vec<usize>>,
}

/// How the lists that a text may use are found.
///
/// Substitution only replaces a *delimited* occurrence of a name (see [`crate::lists`]):
/// when no name is empty or holds a delimiter, such an occurrence is exactly a whole
/// token of the text split at the delimiters, so looking each token up finds every list
/// that can apply (and the tokens of a substituted replacement are those of its joined
/// items, see `introduces`). Otherwise every list is a candidate: trying a list whose
/// name does not occur changes nothing, so any superset gives the same result.
enum ListFinder<'c> {
    /// List index by name.
    Tokens(FxHashMap<&'c [u8], usize>),
    /// Every list.
    All(usize),
}

impl Lists<'_> {
    /// Indexes of the lists whose names occur in `text`.
    fn candidates(&self, text: &str) -> BTreeSet<usize> {
        match &self.finder {
            // The delimiters are ASCII: splitting the bytes gives the same tokens.
            ListFinder::Tokens(index) => text
                .as_bytes()
                .split(|b| crate::lists::is_delimiter(*b))
                .filter(|t| !t.is_empty())
                .filter_map(|t| index.get(t).copied())
                .collect(),
            ListFinder::All(n) => (0..*n).collect(),
        }
    }
}

fn compile_lists(c: &Collection) -> Lists<'_> {
    let mut joined: Vec<(&str, String)> = Vec::with_capacity(c.lists.len());
    let mut used = HashSet::new();
    let mut raw: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
    let mut index: FxHashMap<&[u8], usize> = FxHashMap::default();
    let mut tokens_find_all = true;
    for (i, l) in c.lists.iter().enumerate() {
        let mut items: Vec<&str> = Vec::with_capacity(l.items.len());
        for it in &l.items {
            if let Some(earlier) = raw.get(it.as_str()) {
                used.insert(it.clone());
                items.extend(earlier.iter().copied());
            } else {
                items.push(it.as_str());
            }
        }
        let mut text = String::new();
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                text.push_str(", ");
            }
            crate::lists::push_quoted(&mut text, item);
        }
        joined.push((l.name.as_str(), text));
        raw.insert(l.name.as_str(), items);
        let plain = !l.name.is_empty() && !l.name.bytes().any(crate::lists::is_delimiter);
        tokens_find_all &= plain && index.insert(l.name.as_bytes(), i).is_none();
    }
    let finder = if tokens_find_all {
        ListFinder::Tokens(index)
    } else {
        ListFinder::All(joined.len())
    };
    let mut lists = Lists {
        joined,
        used,
        finder,
        introduces: Vec::new(),
    };
    lists.introduces = (0..lists.joined.len())
        .map(|i| {
            lists
                .candidates(&lists.joined[i].1)
                .into_iter()
                .filter(|&j| j > i)
                .collect()
        })
        .collect();
    lists
}

/// Falco's list substitution: every list, in definition order, replaced in the text as it
/// stands after the lists before it. Only the lists whose names occur (in the text or in
/// the items substituted so far) are tried.
fn substitute_lists(text: &mut SourcedText, lists: &Lists, used: &mut HashSet<String>) {
    let mut candidates = lists.candidates(&text.text);
    let mut next = 0;
    while let Some(&i) = candidates.range(next..).next() {
        next = i + 1;
        let (name, items) = &lists.joined[i];
        if text.substitute_list(name, items) {
            used.insert(name.to_string());
            candidates.extend(lists.introduces[i].iter().copied());
        }
    }
}

/// Falco's condition-expression name for a condition text.
fn cond_expr(text: &str, parsed: &str, pos: ParserPos) -> Box<CondExpr> {
    Box::new(CondExpr {
        text: text.to_string(),
        parsed: parsed.to_string(),
        pos,
    })
}

/// The exact source span of `range` of a derived text.
fn source_span(
    scalars: &ScalarStore,
    text: &SourcedText,
    range: std::ops::Range<usize>,
) -> Option<(usize, Span)> {
    let (s0, v0) = text.origin_of(range.start)?;
    let (s1, v1) = text.origin_of(range.end.saturating_sub(1).max(range.start))?;
    let (file, a) = scalars.source_span(s0, v0..v0 + 1)?;
    if s1 == s0 && v1 >= v0 {
        let (_, b) = scalars.source_span(s0, v1..v1 + 1)?;
        return Some((file, a.to(b)));
    }
    Some((file, a))
}

/// Compiles the whole collection.
pub fn compile(
    c: &Collection,
    scalars: &ScalarStore,
    opts: &CompileOptions<'_>,
    cache: &mut CompileCache,
) -> Compiled {
    let pass = compile_pass(c, scalars, opts, cache);
    Compiled {
        rules: cache.rules_of(&pass.rules, false),
        issues: pass.issues,
    }
}

/// What one compile of a collection gives, its rules left in the [`CompileCache`].
#[derive(Debug, Default)]
pub(crate) struct Pass {
    /// The names of the rules that compiled, in order ([`CompileCache::rules_of`]).
    pub rules: Vec<String>,
    /// Errors and warnings, in Falco's order.
    pub issues: Vec<Issue>,
}

impl CompileCache {
    /// The compiled rules of the latest pass, by name (names from [`Pass::rules`]), moved
    /// out of the cache when `take` (the cache is then no use for another pass).
    pub(crate) fn rules_of(&mut self, names: &[String], take: bool) -> Vec<CompiledRule> {
        let mut rules = Vec::with_capacity(names.len());
        for n in names {
            let memo = if take {
                self.rules.remove(n)
            } else {
                self.rules.get(n).map(|m| RuleMemo {
                    rule: m.rule.clone(),
                    condition: m.condition.clone(),
                    macros: Vec::new(),
                    outcome: m.outcome.clone(),
                })
            };
            if let Some(RuleMemo {
                outcome:
                    RuleOutcome {
                        result: Ok((Some(rule), _)),
                        ..
                    },
                ..
            }) = memo
            {
                rules.push(rule);
            }
        }
        rules
    }
}

/// Compiles the whole collection, leaving each rule's results in `cache`.
pub(crate) fn compile_pass(
    c: &Collection,
    scalars: &ScalarStore,
    opts: &CompileOptions<'_>,
    cache: &mut CompileCache,
) -> Pass {
    let mut out = Pass::default();
    let mut lists = compile_lists(c);
    let mut list_used = std::mem::take(&mut lists.used);

    // Macros: substitute lists, parse (bodies whose text is unchanged are kept).
    let mut table = std::mem::take(&mut cache.table);
    let mut table_texts = std::mem::take(&mut cache.table_texts);
    {
        let names: HashSet<&str> = c.macros.iter().map(|m| m.name.as_str()).collect();
        table.retain(|n| names.contains(n));
        table_texts.retain(|n, _| names.contains(n.as_str()));
    }
    let substituted: Vec<SourcedText> = c
        .macros
        .iter()
        .map(|m| {
            let mut text = m.condition.clone();
            substitute_lists(&mut text, &lists, &mut list_used);
            text
        })
        .collect();
    // The bodies to parse anew, parsed ahead (on two threads when there are enough); the
    // loop below then finds them in the memo.
    {
        let mut todo: Vec<&str> = c
            .macros
            .iter()
            .zip(&substituted)
            .filter(|(m, t)| {
                !(table_texts.get(&m.name) == Some(&t.text)
                    && table.get(&m.name).is_some_and(|d| d.body.is_some()))
            })
            .map(|(_, t)| t.text.as_str())
            .filter(|t| !cache.memo.parsed.contains_key(*t))
            .collect();
        todo.sort_unstable();
        todo.dedup();
        parse_ahead(&todo, &mut cache.memo.parsed);
    }
    let mut macro_texts = Vec::with_capacity(c.macros.len());
    let mut failed = false;
    for (m, text) in c.macros.iter().zip(substituted) {
        let parsed = table_texts.get(&m.name) == Some(&text.text)
            && table.get(&m.name).is_some_and(|d| d.body.is_some());
        if parsed {
            table.set_order(&m.name, m.first_defined, m.last_defined);
            macro_texts.push(text);
            continue;
        }
        let body = match cache.memo.parse(&text.text) {
            Ok(e) => Some(e),
            Err(e) => {
                let locs = vec![
                    Loc::new("macro", m.name.clone(), m.last.offset),
                    Loc::new("macro condition", "", m.condition_offset),
                ];
                let mut i = Issue::new(
                    Code::LoadErrCompileCondition,
                    e.message.clone(),
                    m.last.file,
                    locs,
                );
                i.cond_expr = Some(cond_expr(&m.condition.text, &text.text, e.pos(&text.text)));
                i.span = source_span(scalars, &text, e.offset..e.offset + 1);
                out.issues.push(i);
                if opts.stop_at_first_error {
                    return out;
                }
                failed = true;
                None
            }
        };
        table.insert(
            m.name.clone(),
            MacroDef {
                body,
                first_defined: m.first_defined,
                last_defined: m.last_defined,
            },
        );
        table_texts.insert(m.name.clone(), text.text.clone());
        macro_texts.push(text);
    }
    // Macros: resolve references (visibility, loops).
    let env = MacroEnv::new(&c.macros, &macro_texts);
    let mut macro_used: HashSet<String> = HashSet::new();
    for (m, text) in c.macros.iter().zip(&macro_texts) {
        let Some(Some(body)) = table.get(&m.name).map(|d| d.body.as_ref()) else {
            continue;
        };
        let memo = cache.macros.get(&m.name).filter(|x| {
            x.state == *m
                && x.text == text.text
                && x.failed == failed
                && env.unchanged(Viewer::Macro(m.last_defined), &x.macros)
        });
        let issue = match memo {
            Some(x) => {
                macro_used.extend(x.used.iter().cloned());
                x.issue.clone()
            }
            None => {
                let mut used = HashSet::new();
                let mut looked_up = Vec::new();
                let viewer = Viewer::Macro(m.last_defined);
                let issue = match table.expand_tracked(body, viewer, &mut used, &mut looked_up) {
                    Ok(_) => None,
                    Err(ExpandError::Undefined(_)) if failed => None,
                    Err(e) => {
                        let locs = vec![Loc::new("macro", m.name.clone(), m.last.offset)];
                        let mut i =
                            Issue::new(Code::LoadErrValidate, e.message(), m.last.file, locs);
                        i.cond_expr = Some(cond_expr(
                            &m.condition.text,
                            &text.text,
                            ParserPos::of("", 0),
                        ));
                        i.span = source_span(scalars, text, 0..text.text.len());
                        Some(i)
                    }
                };
                let used: Vec<String> = used.into_iter().collect();
                macro_used.extend(used.iter().cloned());
                cache.macros.insert(
                    m.name.clone(),
                    MacroMemo {
                        state: m.clone(),
                        text: text.text.clone(),
                        failed,
                        macros: env.deps(viewer, looked_up),
                        issue: issue.clone(),
                        used,
                    },
                );
                issue
            }
        };
        if let Some(i) = issue {
            out.issues.push(i);
            if opts.stop_at_first_error {
                return out;
            }
        }
    }

    // Rules: those whose memo does not apply are compiled (on two threads when there
    // are enough of them; each rule's compile is independent of the others'), then every
    // rule's outcome is reported in order.
    let mut misses: Vec<(&RuleState, Result<RuleCondition, Issue>)> = Vec::new();
    let mut active: Vec<&RuleState> = Vec::new();
    for r in &c.rules {
        if !opts.profile.has_source(&r.source) {
            continue;
        }
        active.push(r);
        let condition = rule_condition(r, &lists);
        let hit = cache.rules.get(&r.name).is_some_and(|x| {
            x.rule == *r && x.condition == condition && env.unchanged(Viewer::Rule, &x.macros)
        });
        if !hit {
            misses.push((r, condition));
        }
    }
    let compiled = compile_rules(&misses, &table, scalars, opts, &mut cache.memo);
    for ((r, condition), (outcome, looked_up)) in misses.into_iter().zip(compiled) {
        cache.rules.insert(
            r.name.clone(),
            RuleMemo {
                rule: r.clone(),
                macros: env.deps(Viewer::Rule, looked_up),
                condition,
                outcome,
            },
        );
    }
    for r in active {
        let Some(memo) = cache.rules.get(&r.name) else {
            continue;
        };
        let outcome = &memo.outcome;
        if outcome.lists_used {
            if let Ok(cond) = &memo.condition {
                list_used.extend(cond.lists.iter().cloned());
            }
        }
        macro_used.extend(outcome.macros_used.iter().cloned());
        match &outcome.result {
            Ok((rule, issues)) => {
                out.issues.extend(issues.iter().cloned());
                if rule.is_some() {
                    out.rules.push(r.name.clone());
                }
            }
            Err(issues) => {
                out.issues.extend(issues.iter().cloned());
                if opts.stop_at_first_error {
                    return out;
                }
            }
        }
    }

    // Unused macros and lists (a macro that did not parse was reported already).
    for m in &c.macros {
        let broken = table.get(&m.name).is_some_and(|d| d.body.is_none());
        if !macro_used.contains(&m.name) && !broken {
            let locs = vec![Loc::new("macro", m.name.clone(), m.last.offset)];
            out.issues.push(
                Issue::new(
                    Code::LoadUnusedMacro,
                    "Macro not referred to by any other rule/macro",
                    m.last.file,
                    locs,
                )
                .at(Span::new(m.last.offset, m.last.end)),
            );
        }
    }
    for l in &c.lists {
        if !list_used.contains(&l.name) {
            let locs = vec![Loc::new("list", l.name.clone(), l.last.offset)];
            out.issues.push(
                Issue::new(
                    Code::LoadUnusedList,
                    "List not referred to by any other rule/macro",
                    l.last.file,
                    locs,
                )
                .at(Span::new(l.last.offset, l.last.end)),
            );
        }
    }
    cache.table = table;
    cache.table_texts = table_texts;
    out
}

type RuleResult = Result<(Option<CompiledRule>, Vec<Issue>), Vec<Issue>>;

/// What compiling one rule gives: its result, whether it got as far as substituting lists
/// (its lists then count as used) and the macros its expansion used.
#[derive(Debug, Clone)]
struct RuleOutcome {
    result: RuleResult,
    lists_used: bool,
    macros_used: Vec<String>,
}

/// A rule's condition before parsing.
#[derive(Debug, Clone, PartialEq)]
struct RuleCondition {
    /// The condition with its exceptions appended.
    written: String,
    /// The same after list substitution.
    text: SourcedText,
    /// The lists substituted.
    lists: HashSet<String>,
}

/// A rule's condition with its exceptions appended and lists substituted, or the error of
/// an exception that cannot be turned into a clause.
fn rule_condition(r: &RuleState, lists: &Lists) -> Result<RuleCondition, Issue> {
    let mut text = r.def.condition.clone();
    if !r.def.exceptions.is_empty() {
        let mut wrapped = SourcedText::plain("(");
        wrapped.push_text(&text);
        wrapped.push_synthetic(")", text.origin_of(text.text.len()));
        for e in &r.def.exceptions {
            match exceptions::clause(&e.exception) {
                Ok(Some(x)) => {
                    wrapped.push_synthetic(" and not ", None);
                    wrapped.push_synthetic(&x, None);
                }
                Ok(None) => {}
                Err(m) => {
                    let locs = vec![
                        Loc::new("rule", r.name.clone(), r.first.offset),
                        Loc::new("exception", e.exception.name.clone(), e.offset),
                    ];
                    return Err(Issue::new(Code::LoadErrValidate, m, r.last.file, locs)
                        .at(Span::new(e.offset, e.offset + 4)));
                }
            }
        }
        text = wrapped;
    }
    let written = text.text.clone();
    let mut used = HashSet::new();
    substitute_lists(&mut text, lists, &mut used);
    Ok(RuleCondition {
        written,
        text,
        lists: used,
    })
}

fn warning_issue(
    w: &CheckWarning,
    r: &RuleState,
    locs: Vec<Loc>,
    span: Option<(usize, Span)>,
) -> Issue {
    let mut i = Issue::new(w.code, w.message.clone(), r.last.file, locs);
    i.span = span;
    i.deprecated_field = w.deprecated_field.clone();
    i
}

/// Fewest condition texts to parse at once for a second thread to pay for itself.
const PARALLEL_PARSES: usize = 32;

/// Parses each of `texts` into `parsed`, every other one on a second thread when there
/// are enough of them and a second core.
fn parse_ahead(texts: &[&str], parsed: &mut Parsed) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if texts.len() < PARALLEL_PARSES || cores < 2 {
        for t in texts {
            parse_in(parsed, t);
        }
        return;
    }
    let theirs = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            texts
                .iter()
                .skip(1)
                .step_by(2)
                .map(|t| (t.to_string(), condition::parse(t)))
                .collect::<Vec<_>>()
        });
        for t in texts.iter().step_by(2) {
            parse_in(parsed, t);
        }
        match other.join() {
            Ok(theirs) => theirs,
            Err(p) => std::panic::resume_unwind(p),
        }
    });
    parsed.extend(theirs);
}

/// Fewest rules to compile in one pass for a second thread to pay for itself.
const PARALLEL_RULES: usize = 16;

/// Compiles each rule of `rules` (with its condition), giving its outcome and the macro
/// lookups of its expansion, in order. With enough rules and a second core, every other
/// rule is compiled on a second thread with a memo of its own, merged into `memo`
/// afterwards; the outcomes are the same either way (memo values are what computing
/// them again gives).
fn compile_rules(
    rules: &[(&RuleState, Result<RuleCondition, Issue>)],
    table: &MacroTable,
    scalars: &ScalarStore,
    opts: &CompileOptions<'_>,
    memo: &mut Memo,
) -> Vec<(RuleOutcome, Vec<Lookup>)> {
    let one = |(r, condition): &(&RuleState, Result<RuleCondition, Issue>), memo: &mut Memo| {
        let mut looked_up = Vec::new();
        let outcome = compile_rule(
            r,
            condition.as_ref(),
            table,
            scalars,
            opts,
            memo,
            &mut looked_up,
        );
        (outcome, looked_up)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if rules.len() < PARALLEL_RULES || cores < 2 {
        return rules.iter().map(|x| one(x, memo)).collect();
    }
    let (theirs, other_memo) = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let mut own = Memo::default();
            let out: Vec<_> = rules
                .iter()
                .skip(1)
                .step_by(2)
                .map(|x| one(x, &mut own))
                .collect();
            (out, own)
        });
        let mine: Vec<_> = rules.iter().step_by(2).map(|x| one(x, memo)).collect();
        match other.join() {
            Ok((theirs, own)) => ((mine, theirs), own),
            Err(p) => std::panic::resume_unwind(p),
        }
    });
    memo.merge(other_memo);
    let (mine, theirs) = theirs;
    let mut out = Vec::with_capacity(rules.len());
    let mut mine = mine.into_iter();
    let mut theirs = theirs.into_iter();
    for i in 0..rules.len() {
        let next = if i % 2 == 0 {
            mine.next()
        } else {
            theirs.next()
        };
        out.extend(next);
    }
    out
}

/// Compiles one rule whose condition is `condition`, recording in `looked_up` the macro
/// names its expansion looked up.
fn compile_rule(
    r: &RuleState,
    condition: Result<&RuleCondition, &Issue>,
    table: &MacroTable,
    scalars: &ScalarStore,
    opts: &CompileOptions<'_>,
    memo: &mut Memo,
    looked_up: &mut Vec<Lookup>,
) -> RuleOutcome {
    let done = |result, lists_used, macros_used| RuleOutcome {
        result,
        lists_used,
        macros_used,
    };
    let mut issues = Vec::new();
    let file = r.last.file;
    let rule_loc = || Loc::new("rule", r.name.clone(), r.first.offset);
    let item_span = Span::new(r.first.offset, r.first.end);

    // Output.
    let out = match output::compile_rule_output(&r.def.output.text, &r.source, opts.profile) {
        Ok(o) => o,
        Err(e) => {
            for w in &e.warnings {
                issues.push(warning_issue(
                    w,
                    r,
                    vec![rule_loc()],
                    Some((file, item_span)),
                ));
            }
            let locs = vec![rule_loc(), Loc::new("rule output", "", r.def.output_offset)];
            let code = if r.def.skip_if_unknown_filter && e.unknown_filter {
                Code::LoadUnknownFilter
            } else {
                Code::LoadErrCompileOutput
            };
            let mut i = Issue::new(code, e.message.clone(), file, locs);
            i.span = source_span(scalars, &r.def.output, e.span.range());
            issues.push(i);
            let result = if code == Code::LoadUnknownFilter {
                Ok((None, issues))
            } else {
                Err(issues)
            };
            return done(result, false, Vec::new());
        }
    };
    for w in &out.warnings {
        let locs = if w.deprecated_field.is_some() {
            vec![rule_loc(), Loc::new("rule output", "", r.def.output_offset)]
        } else {
            vec![rule_loc()]
        };
        issues.push(warning_issue(w, r, locs, Some((file, item_span))));
    }

    // Condition: exceptions and lists (done by the caller), parse.
    let cond = match condition {
        Ok(c) => c,
        Err(i) => {
            issues.push(i.clone());
            return done(Err(issues), false, Vec::new());
        }
    };
    let excs: Vec<Exception> = r
        .def
        .exceptions
        .iter()
        .map(|e| e.exception.clone())
        .collect();
    let written = &cond.written;
    let text = &cond.text;
    let cond_locs = || {
        vec![
            rule_loc(),
            Loc::new("rule condition", "", r.def.condition_offset),
        ]
    };
    // Borrowed from the memo (a rule's tree is only read, by the expansion).
    let ast = match parse_in(&mut memo.parsed, &text.text) {
        Ok(a) => a,
        Err(e) => {
            let mut i = Issue::new(
                Code::LoadErrCompileCondition,
                e.message.clone(),
                file,
                cond_locs(),
            );
            i.cond_expr = Some(cond_expr(written, &text.text, e.pos(&text.text)));
            i.span = source_span(scalars, text, e.offset..e.offset + 1);
            issues.push(i);
            return done(Err(issues), true, Vec::new());
        }
    };
    let mut used_macros = HashSet::new();
    let expanded = match table.expand_tracked(ast, Viewer::Rule, &mut used_macros, looked_up) {
        Ok(x) => x,
        Err(e) => {
            let used_macros = used_macros.into_iter().collect();
            let mut i = Issue::new(Code::LoadErrValidate, e.message(), file, vec![rule_loc()]);
            i.cond_expr = Some(cond_expr(written, &text.text, ParserPos::of("", 0)));
            i.span = source_span(scalars, text, 0..text.text.len());
            if let ExpandError::Undefined(name) = &e {
                if let Some(at) = find_word(&text.text, name) {
                    i.span = source_span(scalars, text, at..at + name.len());
                }
            }
            issues.push(i);
            return done(Err(issues), true, used_macros);
        }
    };
    let macros_used: Vec<String> = used_macros.iter().cloned().collect();

    // Check fields, types, operators, constants.
    let compiled_condition = condition::print::as_string(&expanded);
    let checked = match memo.check(&expanded, &r.source, opts.profile) {
        Ok(c) => c,
        Err(e) => {
            for w in &e.warnings {
                issues.push(warning_issue(
                    w,
                    r,
                    cond_locs(),
                    source_span(scalars, text, w.span.range()),
                ));
            }
            let code = if r.def.skip_if_unknown_filter && e.unknown_filter {
                Code::LoadUnknownFilter
            } else {
                Code::LoadErrCompileCondition
            };
            let mut i = Issue::new(code, e.message.clone(), file, cond_locs());
            i.cond_expr = Some(cond_expr(written, &text.text, ParserPos::of("", 0)));
            i.span = source_span(scalars, text, e.span.range());
            issues.push(i);
            let result = if code == Code::LoadUnknownFilter {
                Ok((None, issues))
            } else {
                Err(issues)
            };
            return done(result, true, macros_used);
        }
    };
    for w in &checked.warnings {
        let mut locs = cond_locs();
        let mut i = warning_issue(w, r, Vec::new(), source_span(scalars, text, w.span.range()));
        if w.code == Code::LoadCompileCondition {
            i.cond_expr = Some(cond_expr(written, &text.text, ParserPos::of("", 0)));
        }
        i.locs.append(&mut locs);
        issues.push(i);
    }

    // Event types.
    let mut event_codes = None;
    if r.source == falcoc_schema::fields::SYSCALL_SOURCE {
        let async_names = opts.profile.async_event_names(&r.source);
        match events::analysis::event_codes(&expanded, &async_names) {
            Ok(codes) => {
                if r.def.warn_evttypes && events::warns_no_evttype(&codes) {
                    issues.push(
                        Issue::new(
                            Code::LoadNoEvttype,
                            "Rule matches too many evt.type values. This has a significant performance penalty.",
                            file,
                            vec![rule_loc()],
                        )
                        .at(item_span),
                    );
                }
                event_codes = Some(codes);
            }
            Err(m) => {
                // Falco exits with a runtime error here; we report it as a condition error.
                let mut i = Issue::new(Code::LoadErrCompileCondition, m, file, cond_locs());
                i.span = source_span(scalars, text, 0..text.text.len());
                issues.push(i);
                return done(Err(issues), true, macros_used);
            }
        }
    }

    let rule = CompiledRule {
        name: r.name.clone(),
        source: r.source.clone(),
        desc: r.def.desc.clone(),
        priority: r.def.priority,
        tags: r.def.tags.clone(),
        enabled: r.def.enabled,
        condition: r.def.condition.text.clone(),
        expanded,
        compiled_condition,
        checked,
        event_codes,
        output: out,
        exceptions: excs,
        macros: used_macros.into_iter().collect(),
        lists: cond.lists.iter().cloned().collect(),
        capture: r.def.capture,
        capture_duration: r.def.capture_duration,
        at: r.first,
    };
    done(Ok((Some(rule), issues)), true, macros_used)
}

/// The first whole-word occurrence of `word` in `text`.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find(word) {
        let s = from + i;
        let e = s + word.len();
        let left =
            s == 0 || !(b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_' || b[s - 1] == b'.');
        let right = e >= b.len() || !(b[e].is_ascii_alphanumeric() || b[e] == b'_' || b[e] == b'.');
        if left && right {
            return Some(s);
        }
        from = s + 1;
    }
    None
}

/// A condition compiled on its own against the lists and macros of a collection
/// (`falcoc compile --condition`).
#[derive(Debug, Clone)]
pub struct StandaloneCondition {
    /// The macro- and list-expanded condition.
    pub expanded: Expr,
    /// Its canonical print.
    pub compiled: String,
    /// The event codes it can match (syscall source).
    pub event_codes: EventSet,
}

/// `text` with the lists of `c` substituted, parsed, and its macros expanded.
fn expand_standalone(c: &Collection, text: &str) -> Result<Expr, String> {
    let lists = compile_lists(c);
    let mut table = MacroTable::default();
    let mut unused = HashSet::new();
    for m in &c.macros {
        let mut t = m.condition.clone();
        substitute_lists(&mut t, &lists, &mut unused);
        table.insert(
            m.name.clone(),
            MacroDef {
                body: condition::parse(&t.text).ok(),
                first_defined: m.first_defined,
                last_defined: m.last_defined,
            },
        );
    }
    let mut t = SourcedText::plain(text);
    substitute_lists(&mut t, &lists, &mut unused);
    let ast = condition::parse(&t.text).map_err(|e| e.message)?;
    table
        .expand(&ast, Viewer::Rule, &mut unused)
        .map_err(|e| e.message())
}

/// Compiles `text` as a syscall rule condition, with the lists and macros of `c`:
/// list substitution, parse, macro expansion, field checks and event types. Errors are
/// Falco's messages.
pub fn compile_condition(
    c: &Collection,
    text: &str,
    profile: &PluginProfile,
) -> Result<StandaloneCondition, String> {
    let expanded = expand_standalone(c, text)?;
    check::check_condition(&expanded, falcoc_schema::fields::SYSCALL_SOURCE, profile)
        .map_err(|e| e.message)?;
    let async_names = profile.async_event_names(falcoc_schema::fields::SYSCALL_SOURCE);
    let event_codes = events::analysis::event_codes(&expanded, &async_names)?;
    Ok(StandaloneCondition {
        compiled: condition::print::as_string(&expanded),
        expanded,
        event_codes,
    })
}

/// The event codes of `text` (with the lists and macros of `c`) as libsinsp's
/// `ppm_event_codes` of `semantics` computes them: over the parsed, expanded condition
/// only, before its fields and constants are checked. So a condition that would not
/// compile (an unknown field, `evt.num = 1.5`) still has event types;
/// [`compile_condition`] reports why it does not compile. Errors: parse and macro errors,
/// and the analysis' own errors.
pub fn condition_event_codes(
    c: &Collection,
    text: &str,
    profile: &PluginProfile,
    semantics: events::analysis::Semantics,
) -> Result<EventSet, String> {
    let expanded = expand_standalone(c, text)?;
    let async_names = profile.async_event_names(falcoc_schema::fields::SYSCALL_SOURCE);
    events::analysis::event_codes_as(&expanded, &async_names, semantics)
}
