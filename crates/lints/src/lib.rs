//! falcoc's own lints: checks beyond what Falco reports, in their own code space
//! (`FC001`, `FC002`, …), in the style of ruff.
//!
//! Every lint is a [`LintRule`] of the [`registry`]: a stable code, a short kebab-case
//! name, a default [`Level`] and a documentation paragraph. [`run`] runs every enabled
//! lint over a [`Loaded`] result (the files as read, Falco's load results, the compiled
//! rules and the collection) and returns [`Finding`]s located at exact byte spans of the
//! rule files. Lints never change what Falco would do; they point at places where a rule
//! file most likely does not do what its author meant.
//!
//! | code | name | default | catches |
//! |---|---|---|---|
//! | FC001 | `unknown-field-suggestion` | warn | unknown fields and undefined macros (Falco's errors), with "did you mean" |
//! | FC002 | `unknown-list-reference` | warn | a list value that is a near miss of a defined list name (taken literally) |
//! | FC003 | `no-evttype-restriction` | warn | a syscall rule that does not restrict the event type at all |
//! | FC004 | `constant-condition` | warn | a condition that is always false or always true |
//! | FC005 | `duplicate-list-items` | warn | an item repeated in a list (appends included) |
//! | FC006 | `shadowed-rule` | warn | a rule identical to an earlier enabled rule |
//! | FC007 | `unused-exception-fields` | warn | an exception whose fields the rule's condition never uses |
//! | FC008 | `unknown-key` | warn | a misspelt or unknown key on an item or exception |
//! | FC009 | `duplicate-key` | warn | a key written twice in one item (Falco reads only the first) |
//! | FC010 | `mixed-and-or` | warn | `a or b and c` without parentheses |
//!
//! FC001 reports what Falco's load results contain: with [`Mode::Falco`] that is the first
//! error of each file only, with [`Mode::AllProblems`] every one.
//!
//! [`Mode::Falco`]: falcoc_compiler::load::Mode::Falco
//! [`Mode::AllProblems`]: falcoc_compiler::load::Mode::AllProblems
//!
//! # Levels and configuration
//!
//! Each lint has a default level ([`Level::Allow`] = off, [`Level::Warn`],
//! [`Level::Deny`] = error). A [`LintConfig`] holds overrides — a code (`FC004`), a name
//! (`constant-condition`) or `all`, with a level — applied in order, so a later override
//! wins (`--allow all --warn FC001` enables only FC001).
//!
//! # Inline suppression
//!
//! A YAML comment of the form
//!
//! ```yaml
//! # falcoc: allow(FC001)
//! # falcoc: allow(FC001, FC004)
//! # falcoc: allow(constant-condition)
//! # falcoc: allow(all)
//! ```
//!
//! (lint codes or names, comma-separated, case-insensitive, blanks optional:
//! `#falcoc:allow(fc004)` works too; `all` means every lint) suppresses the
//! named lints for a finding when it is
//!
//! * on the line where the finding's span starts, or
//! * anywhere on the lines of the top-level item (rule, macro, list…) that contains the
//!   finding, from the item's first line (`- rule: …`) to its last line, or
//! * on the line right above the item, or anywhere in the block of comment-only lines
//!   directly above it.
//!
//! ```yaml
//! # falcoc: allow(FC003)
//! - rule: Netcat on the backdoor port
//!   condition: proc.name = nc and fd.sport = 4444
//!   # …
//!
//! - list: shells
//!   items: [bash, sh, bash]   # falcoc: allow(duplicate-list-items)
//! ```

mod conditions;
mod keys;
mod lists;
mod rules;
mod similar;
mod suppress;
mod unknown;

use falcoc_compiler::load::Loaded;
use falcoc_lang::condition::{self, Expr};
use falcoc_lang::rulefile::{Item, ItemKind, Node, Scalar};
use falcoc_lang::{Diagnostic, Label, Severity, Span};
use falcoc_schema::fields::PluginProfile;

/// How a lint's findings are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Off: the lint does not run.
    Allow,
    /// Findings are warnings.
    Warn,
    /// Findings are errors.
    Deny,
}

impl Level {
    /// `allow`, `warn` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }

    /// Parses `allow`/`off`, `warn`/`warning`, `deny`/`error` (case-insensitive).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allow" | "off" => Some(Level::Allow),
            "warn" | "warning" => Some(Level::Warn),
            "deny" | "error" => Some(Level::Deny),
            _ => None,
        }
    }

    /// The diagnostic severity of findings at this level (`None` for [`Level::Allow`]).
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Allow => None,
            Level::Warn => Some(Severity::Warning),
            Level::Deny => Some(Severity::Error),
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lint of the [`registry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintRule {
    /// Stable code, `FC001`… (never reused).
    pub code: &'static str,
    /// Short kebab-case name, e.g. `unknown-field-suggestion`.
    pub name: &'static str,
    /// Level when no [`LintConfig`] override applies.
    pub default: Level,
    /// One line: what it reports.
    pub summary: &'static str,
    /// One paragraph: what it catches, why it matters, an example.
    pub doc: &'static str,
}

impl LintRule {
    /// True if `key` names this lint: its code or its name (case-insensitive).
    pub fn matches(&self, key: &str) -> bool {
        let key = key.trim();
        key.eq_ignore_ascii_case(self.code) || key.eq_ignore_ascii_case(self.name)
    }
}

static REGISTRY: [LintRule; 10] = [
    LintRule {
        code: "FC001",
        name: "unknown-field-suggestion",
        // A warning: Falco's own error is reported beside it, once is enough to fail.
        default: Level::Warn,
        summary: "unknown field or undefined macro, with a suggestion",
        doc: "Attaches to Falco's own errors `filter_check called with nonexistent field X`, \
              `invalid formatting token X`, `'X' is not a supported filter field` and \
              `Undefined macro 'X' used in filter.`: it points at the exact token in the \
              condition, output or exception (also inside a macro the rule uses) and, when a \
              known field or defined macro is close in spelling, suggests it. It also says \
              when the field belongs to another event source or to a plugin that is not \
              loaded, or when the undefined macro is in fact a list. Example: \
              `condition: spawned_process and proc.nme = bash` gives \
              \"unknown field `proc.nme`\" with \"did you mean `proc.name`?\".",
    },
    LintRule {
        code: "FC002",
        name: "unknown-list-reference",
        default: Level::Warn,
        summary: "list value that looks like a misspelt list name",
        doc: "Falco substitutes list names into conditions as text; a word that is not the \
              name of a defined list is silently compared as a literal string. A value in \
              `in (…)`, `intersects (…)` or `pmatch (…)`, or a bare identifier after those \
              operators, that is not a defined list but is within edit distance 2 of one (or \
              differs only by a `_list`/plural suffix) is almost certainly a typo, and the \
              check then never matches what the list holds. Example: \
              `proc.name in (shell_binary)` with a list `shell_binaries` gives \
              \"did you mean list `shell_binaries`?\".",
    },
    LintRule {
        code: "FC003",
        name: "no-evttype-restriction",
        default: Level::Warn,
        summary: "syscall rule that does not restrict the event type",
        doc: "Falco indexes syscall rules by the event types their condition can match and \
              evaluates a rule only for those events. A condition without any `evt.type` \
              check that narrows the set (its event-code set is the universe of all event \
              codes) is evaluated on every single event the sensor sees — hundreds of \
              thousands per second on a busy host — which costs CPU and drops events under \
              load. Falco only warns (`LOAD_NO_EVTTYPE`) above 100 event types and not at all \
              with `warn_evttypes: false`; this lint reports every such rule. Example: \
              `condition: proc.name = nc and fd.sport = 4444` should start with \
              `evt.type in (connect, accept, accept4) and …`.",
    },
    LintRule {
        code: "FC004",
        name: "constant-condition",
        default: Level::Warn,
        summary: "condition that is always false or always true",
        doc: "Reports rule and macro conditions that can never match or always match: a \
              rule whose event-type set is empty (`evt.type = open and evt.type = close`), \
              an `in ()` with nothing in the parentheses directly under an `and`, `A and not A` (always false) or `A or not A` (always true) with \
              the same `A`, and one single-valued field compared with `=` to two different \
              constants in the same `and` (`proc.name = bash and proc.name = sh`). Such a \
              rule is dead (or fires on everything); it is usually a logic slip such as \
              `and` written for `or`.",
    },
    LintRule {
        code: "FC005",
        name: "duplicate-list-items",
        default: Level::Warn,
        summary: "item repeated in a list",
        doc: "An item that occurs twice in the same list — in its definition or through \
              later `append` / `override: {items: append}` items — is harmless for matching \
              but is a sign of copy-paste drift, makes every condition that uses the list \
              longer, and often hides a misspelling of the intended second item. The \
              finding points at the repeat; a note gives the first occurrence. Example: \
              `items: [bash, sh, bash]`.",
    },
    LintRule {
        code: "FC006",
        name: "shadowed-rule",
        default: Level::Warn,
        summary: "rule identical to an earlier enabled rule",
        doc: "A rule whose compiled condition (macros, lists and exceptions expanded), \
              source and output are identical to those of an earlier enabled rule. With \
              Falco's default `rule_matching: first`, only the first matching rule fires for \
              an event, so the later rule never fires; with `rule_matching: all` it \
              duplicates every alert. Usually a rule copied to be changed and never \
              changed, or a rename that left the old rule in place.",
    },
    LintRule {
        code: "FC007",
        name: "unused-exception-fields",
        default: Level::Warn,
        summary: "exception on fields the rule's condition never uses",
        doc: "An exception whose `fields` share no field with the rule's own condition \
              (after macro expansion, exceptions excluded). Exceptions normally carve known \
              good cases out of what the condition matches, so they test the same fields \
              (`proc.name`, `fd.name`, …); an exception on entirely unrelated fields is \
              usually copied from another rule and does not exclude what its author \
              intended. Example: a rule on `fd.name startswith /etc` with an exception on \
              `k8s.ns.name` only.",
    },
    LintRule {
        code: "FC008",
        name: "unknown-key",
        default: Level::Warn,
        summary: "key that Falco does not know on an item or exception",
        doc: "Falco 0.42 silently ignores keys it does not know on rule, macro, list, \
              exception and plugin-requirement items (0.44 warns `LOAD_UNKNOWN_KEY`). A \
              misspelt key therefore changes nothing — `enable: false` leaves the rule \
              enabled, `value:` in an exception leaves it without values (it then excludes \
              nothing), and on an append or override item the intended change is simply \
              lost. The finding suggests the closest accepted key. Example: `priorty: \
              WARNING` gives \"did you mean `priority`?\".",
    },
    LintRule {
        code: "FC009",
        name: "duplicate-key",
        default: Level::Warn,
        summary: "key written twice in one item",
        doc: "YAML mappings should not repeat a key; yaml-cpp (Falco's parser) keeps both \
              and Falco reads the first, so the second `condition:` (or `output:`, \
              `values:`…) of an item is silently ignored — often the one the author edited \
              last. The finding points at the ignored key and notes the one Falco reads.",
    },
    LintRule {
        code: "FC010",
        name: "mixed-and-or",
        default: Level::Warn,
        summary: "`or` and `and` mixed without parentheses",
        doc: "`and` binds tighter than `or`, so `evt.type = open or evt.type = openat and \
              proc.name = cat` means `evt.type = open or (evt.type = openat and proc.name = \
              cat)`: the `proc.name` check does not apply to `open`. This lint asks for \
              explicit parentheses around an `and` that is an operand of an `or`, written in \
              the same condition text. Real rule sets had exactly this bug for years \
              (`inbound_outbound` in Falco ≤ 0.23: `(… or (fd.typechar = 4 or fd.typechar = \
              6) and …)`).",
    },
];

/// Every lint, in code order.
pub fn registry() -> &'static [LintRule] {
    &REGISTRY
}

/// The lint with this code or name (case-insensitive).
pub fn lookup(key: &str) -> Option<&'static LintRule> {
    REGISTRY.iter().find(|r| r.matches(key))
}

/// The keys Falco accepts on a top-level item of `kind` (what FC008 checks against),
/// e.g. for completion in an editor.
pub fn item_keys(kind: ItemKind) -> &'static [&'static str] {
    keys::item_keys(kind)
}

/// The keys Falco accepts on an exception (`name`, `fields`, `comps`, `values`).
pub fn exception_keys() -> &'static [&'static str] {
    keys::exception_keys()
}

/// Level overrides, applied in order (a later override wins); built from the command
/// line's `--warn`, `--deny` and `--allow` options in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintConfig {
    /// (a code, a name or `all`; the level).
    overrides: Vec<(String, Level)>,
}

impl LintConfig {
    /// No overrides: every lint at its default level.
    pub fn new() -> LintConfig {
        LintConfig::default()
    }

    /// Adds overrides: `key` is a code (`FC004`), a name (`constant-condition`), `all`,
    /// or several of these separated by commas. Unknown keys are an error (nothing is
    /// added then).
    pub fn set(&mut self, key: &str, level: Level) -> Result<(), String> {
        let keys: Vec<&str> = key
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        if keys.is_empty() {
            return Err("empty lint name".to_string());
        }
        for k in &keys {
            if !k.eq_ignore_ascii_case("all") && lookup(k).is_none() {
                return Err(format!("unknown lint `{k}`"));
            }
        }
        self.overrides
            .extend(keys.into_iter().map(|k| (k.to_string(), level)));
        Ok(())
    }

    /// [`set`](Self::set), by value.
    pub fn with(mut self, key: &str, level: Level) -> Result<LintConfig, String> {
        self.set(key, level)?;
        Ok(self)
    }

    /// The overrides, in order.
    pub fn overrides(&self) -> &[(String, Level)] {
        &self.overrides
    }

    /// The level of `rule`: its default, then every matching override in order.
    pub fn level(&self, rule: &LintRule) -> Level {
        self.overrides
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("all") || rule.matches(k))
            .map(|(_, l)| *l)
            .next_back()
            .unwrap_or(rule.default)
    }
}

/// One problem found by a lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The lint's code (`FC001`…).
    pub code: &'static str,
    /// Its level for this run ([`Level::Warn`] or [`Level::Deny`]).
    pub level: Level,
    /// One-line message.
    pub message: String,
    /// Index of the file in [`Loaded::files`].
    pub file: usize,
    /// Byte span in that file.
    pub span: Span,
    /// Notes and hints ("did you mean …?").
    pub notes: Vec<String>,
    /// Related places (e.g. the first occurrence of a duplicate), with a label each.
    pub secondary: Vec<Label>,
}

impl Finding {
    /// The lint that produced it.
    pub fn rule(&self) -> Option<&'static LintRule> {
        lookup(self.code)
    }

    /// The finding as a located [`Diagnostic`] (severity from its level; the lint's name
    /// is added as a last note).
    pub fn to_diagnostic(&self) -> Diagnostic {
        let severity = self.level.severity().unwrap_or(Severity::Note);
        let mut d = Diagnostic::new(severity, self.code, self.message.clone())
            .with_primary(self.file, self.span, "");
        d.secondary = self.secondary.clone();
        d.notes = self.notes.clone();
        if let Some(r) = self.rule() {
            d.notes.push(format!("lint `{}` ({})", r.name, r.code));
        }
        d
    }
}

/// Runs every enabled lint over `loaded` and returns the findings that are not suppressed
/// inline (see the module docs), sorted by file and position, without duplicates.
pub fn run(loaded: &Loaded, config: &LintConfig) -> Vec<Finding> {
    let cx = Cx::new(loaded);
    let enabled: Vec<(&LintRule, Level)> = registry()
        .iter()
        .map(|r| (r, config.level(r)))
        .filter(|(_, level)| *level != Level::Allow)
        .collect();
    // The lints are independent: the costlier ones (on the stock rule files) and the
    // suppressions run on a second thread, the others here; the findings are put together
    // in registry order, as one thread would give them.
    let on_second = |code: &str| matches!(code, "FC004" | "FC006" | "FC007");
    let run_lints = |second: bool| -> Vec<Vec<Hit>> {
        enabled
            .iter()
            .filter(|(r, _)| on_second(r.code) == second)
            .map(|(r, _)| run_lint(&cx, r.code))
            .collect()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mine, theirs, supp) = if cores < 2 {
        (
            run_lints(false),
            run_lints(true),
            suppress::Suppressions::new(loaded),
        )
    } else {
        std::thread::scope(|scope| {
            let other = scope.spawn(|| (run_lints(true), suppress::Suppressions::new(loaded)));
            let mine = run_lints(false);
            match other.join() {
                Ok((theirs, supp)) => (mine, theirs, supp),
                Err(p) => std::panic::resume_unwind(p),
            }
        })
    };
    let (mut mine, mut theirs) = (mine.into_iter(), theirs.into_iter());
    let mut out: Vec<Finding> = Vec::new();
    for (rule, level) in &enabled {
        let hits = if on_second(rule.code) {
            theirs.next()
        } else {
            mine.next()
        };
        out.extend(hits.unwrap_or_default().into_iter().map(|h| Finding {
            code: rule.code,
            level: *level,
            message: h.message,
            file: h.file,
            span: h.span,
            notes: h.notes,
            secondary: h.secondary,
        }));
    }
    out.sort_by(|a, b| {
        (a.file, a.span.start, a.code, &a.message).cmp(&(b.file, b.span.start, b.code, &b.message))
    });
    out.dedup_by(|a, b| {
        a.code == b.code && a.file == b.file && a.span == b.span && a.message == b.message
    });
    out.retain(|f| !supp.suppressed(f));
    out
}

/// The hits of the lint `code`.
fn run_lint(cx: &Cx<'_>, code: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    match code {
        "FC001" => unknown::fc001(cx, &mut hits),
        "FC002" => lists::fc002(cx, &mut hits),
        "FC003" => conditions::fc003(cx, &mut hits),
        "FC004" => conditions::fc004(cx, &mut hits),
        "FC005" => lists::fc005(cx, &mut hits),
        "FC006" => rules::fc006(cx, &mut hits),
        "FC007" => rules::fc007(cx, &mut hits),
        "FC008" => keys::fc008(cx, &mut hits),
        "FC009" => keys::fc009(cx, &mut hits),
        "FC010" => conditions::fc010(cx, &mut hits),
        _ => {}
    }
    hits
}

/// A finding before its level is known.
pub(crate) struct Hit {
    message: String,
    file: usize,
    span: Span,
    notes: Vec<String>,
    secondary: Vec<Label>,
}

impl Hit {
    fn new(file: usize, span: Span, message: impl Into<String>) -> Hit {
        Hit {
            message: message.into(),
            file,
            span,
            notes: Vec::new(),
            secondary: Vec::new(),
        }
    }

    fn note(mut self, note: impl Into<String>) -> Hit {
        self.notes.push(note.into());
        self
    }

    fn secondary(mut self, file: usize, span: Span, label: impl Into<String>) -> Hit {
        self.secondary.push(Label::new(file, span, label));
        self
    }
}

/// A rule or macro item with its condition scalar, parsed on its own (without list
/// substitution or macro expansion; `None` when the text does not parse alone, e.g. an
/// appended `and …` fragment).
pub(crate) struct CondItem<'a> {
    file: usize,
    item: &'a Item,
    scalar: &'a Scalar,
    expr: Option<std::borrow::Cow<'a, Expr>>,
}

impl CondItem<'_> {
    /// The file span of bytes `span` of the condition value.
    fn span(&self, span: Span) -> Span {
        self.scalar.source_span(span.range())
    }

    /// The text of bytes `span` of the condition value.
    fn text(&self, span: Span) -> &str {
        self.scalar.value().get(span.range()).unwrap_or_default()
    }
}

/// Parses every condition: a text the load's compile passes parsed already (see
/// [`Loaded::parsed_condition`]) is borrowed from them (the same parse); the others are
/// parsed on as many threads as there are cores (the conditions are independent; a few
/// hundred of them are a good part of linting a large rule set).
fn parse_all<'a>(loaded: &'a Loaded, conds: &mut [CondItem<'a>]) {
    let mut todo: Vec<&mut CondItem<'a>> = Vec::with_capacity(conds.len());
    for c in conds.iter_mut() {
        match loaded.parsed_condition(c.scalar.value()) {
            Some(r) => c.expr = r.as_ref().ok().map(std::borrow::Cow::Borrowed),
            None => todo.push(c),
        }
    }
    let parse = |c: &mut &mut CondItem<'a>| {
        c.expr = condition::parse(c.scalar.value())
            .ok()
            .map(std::borrow::Cow::Owned)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(todo.len() / 32)
        .max(1);
    if threads == 1 {
        todo.iter_mut().for_each(parse);
        return;
    }
    let chunk = todo.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut chunks = todo.chunks_mut(chunk);
        let first = chunks.next();
        for c in chunks {
            scope.spawn(move || c.iter_mut().for_each(parse));
        }
        if let Some(c) = first {
            c.iter_mut().for_each(parse);
        }
    });
}

/// What every lint can look at.
pub(crate) struct Cx<'a> {
    loaded: &'a Loaded,
    /// Every field table we know, to look fields up whatever the load's profile was.
    profile: PluginProfile,
    /// Rule and macro items that have a condition scalar, in load order.
    conds: Vec<CondItem<'a>>,
}

impl<'a> Cx<'a> {
    fn new(loaded: &'a Loaded) -> Cx<'a> {
        let mut conds = Vec::new();
        for (file, item) in items(loaded) {
            if !matches!(item.kind, ItemKind::Rule | ItemKind::Macro) {
                continue;
            }
            let Some(scalar) = item.get("condition").and_then(Node::as_scalar) else {
                continue;
            };
            conds.push(CondItem {
                file,
                item,
                scalar,
                expr: None,
            });
        }
        parse_all(loaded, &mut conds);
        Cx {
            loaded,
            profile: PluginProfile::all(),
            conds,
        }
    }

    /// Parses of condition texts without parsing again what is parsed already (see
    /// [`Parses::get`]).
    fn parses(&self) -> Parses<'_> {
        Parses {
            loaded: self.loaded,
            conds: self
                .conds
                .iter()
                .filter_map(|c| Some((c.scalar.value(), c.expr.as_deref()?)))
                .collect(),
        }
    }

    /// Every item of every file, in load order, with its file index.
    fn items(&self) -> impl Iterator<Item = (usize, &'a Item)> {
        items(self.loaded)
    }

    /// The items of `kind` named `name`, in load order.
    fn items_named(&self, kind: ItemKind, name: &str) -> Vec<(usize, &'a Item)> {
        self.items()
            .filter(|(_, i)| i.kind == kind && i.name_str() == Some(name))
            .collect()
    }

    /// The item at `at` (a collector position).
    fn item_at(&self, at: falcoc_compiler::decl::ItemAt) -> Option<&'a Item> {
        self.loaded
            .files
            .get(at.file)?
            .items
            .iter()
            .find(|i| i.map.span.start as usize == at.offset)
    }

    /// `name:line:col` of byte `offset` of file `file`, for notes.
    fn pos(&self, file: usize, offset: u32) -> String {
        match self.loaded.files.get(file) {
            Some(f) => {
                let (l, c) = f.line_col(offset as usize);
                format!("{}:{l}:{c}", f.name)
            }
            None => String::new(),
        }
    }

    /// The event source of a rule item (its `source:`, else the collected rule's, else
    /// `syscall`).
    fn rule_source(&self, item: &Item) -> String {
        if let Some(s) = item.get("source").and_then(Node::as_str) {
            return s.to_string();
        }
        item.name_str()
            .and_then(|n| self.loaded.collection.rule(n))
            .map_or_else(
                || falcoc_schema::fields::SYSCALL_SOURCE.to_string(),
                |r| r.source.clone(),
            )
    }
}

/// Condition texts already parsed: by the load's compile passes or as an item's own
/// condition.
pub(crate) struct Parses<'c> {
    loaded: &'c Loaded,
    conds: rustc_hash::FxHashMap<&'c str, &'c Expr>,
}

impl<'c> Parses<'c> {
    /// The parse of `text` (`None` if it does not parse): borrowed when parsed already,
    /// else parsed now; the same as `condition::parse(text).ok()`.
    fn get(&self, text: &str) -> Option<std::borrow::Cow<'c, Expr>> {
        if let Some(r) = self.loaded.parsed_condition(text) {
            return r.as_ref().ok().map(std::borrow::Cow::Borrowed);
        }
        if let Some(e) = self.conds.get(text) {
            return Some(std::borrow::Cow::Borrowed(*e));
        }
        condition::parse(text).ok().map(std::borrow::Cow::Owned)
    }
}

fn items(loaded: &Loaded) -> impl Iterator<Item = (usize, &Item)> {
    loaded
        .files
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| f.items.iter().map(move |i| (fi, i)))
}

/// yaml-cpp's boolean spellings (as Falco decodes `append:`).
fn yaml_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// Whether an item appends (`append: true`, or `override` with some `append` entry).
fn is_append(item: &Item) -> bool {
    if item
        .get("append")
        .and_then(Node::as_str)
        .and_then(yaml_bool)
        == Some(true)
    {
        return true;
    }
    item.get("override")
        .and_then(Node::as_mapping)
        .is_some_and(|m| m.entries.iter().any(|e| e.value.as_str() == Some("append")))
}

/// Whether an item overrides or appends (it changes an existing item).
fn is_update(item: &Item) -> bool {
    is_append(item) || item.get("override").is_some_and(|n| !n.is_null())
}

/// `text` cut to about `max` characters for messages.
fn clip(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}
