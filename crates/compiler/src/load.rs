//! Loading rule files: the per-file loop of Falco's engine (read, decode, collect, then
//! compile the whole collection), and the conversion of issues into Falco's load results.

use crate::collector::Collection;
use crate::compile::{self, CompileOptions, CompiledRule};
use crate::decl::{Decl, RuleBody};
use crate::issue::{Issue, Loc};
use crate::reader::{decode_item, Decoded, Failed, ScalarStore};
use crate::result::{Code, FileResult, LoadMessage, Location, Position};
use crate::version::{Version, ENGINE_VERSION};
use falcoc_lang::rulefile::{read_rules_file, ReadResult};
use falcoc_lang::Span;
use falcoc_schema::fields::PluginProfile;

/// One input file: its name (as the user gave it) and contents.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Name shown in results.
    pub name: &'a str,
    /// Contents.
    pub bytes: &'a [u8],
}

/// How far to go after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exactly as Falco: a file stops at its first error, and nothing is compiled after a
    /// reading error. Results are comparable with `falco -V`.
    Falco,
    /// Go on after errors (skipping the broken item or rule) to report every problem.
    AllProblems,
}

/// Load options.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The loaded plugins (field tables and event sources).
    pub profile: PluginProfile,
    /// Falco-exact or every problem.
    pub mode: Mode,
    /// The engine version requirements are checked against.
    pub engine_version: Version,
    /// The plugins (name, version) `required_plugin_versions` are checked against; `None`
    /// means the profile's plugins with the versions of their field tables.
    pub loaded_plugins: Option<Vec<(String, String)>>,
    /// Keep what the compile passes computed (parsed conditions among them) in the
    /// [`Loaded`] result instead of freeing it at the end of the load: for a caller that
    /// uses [`Loaded::parsed_condition`], or ends the process soon after and skips freeing
    /// (`falcoc lint`). A long-running caller leaves it off.
    pub keep_cache: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            profile: PluginProfile::all(),
            mode: Mode::Falco,
            engine_version: ENGINE_VERSION,
            loaded_plugins: None,
            keep_cache: false,
        }
    }
}

/// What loading gives.
#[derive(Debug)]
pub struct Loaded {
    /// The files as read (text, items), in load order.
    pub files: Vec<ReadResult>,
    /// One result per file, Falco's model.
    pub results: Vec<FileResult>,
    /// The compiled rules after the last file (in first-definition order).
    pub rules: Vec<CompiledRule>,
    /// Everything collected.
    pub collection: Collection,
    /// The parses of the compile passes, when [`LoadOptions::keep_cache`] asked for them.
    parsed: Option<compile::Parsed>,
    /// The rest of what the compile passes computed, then: never used again, only held
    /// (behind a mutex, so that a `Loaded` can be shared between threads) for a caller that
    /// ends the process without freeing it.
    _cache: Option<std::sync::Mutex<compile::CompileCache>>,
}

impl Loaded {
    /// The parse of condition text `text` if a compile pass of this load parsed that very
    /// text (only with [`LoadOptions::keep_cache`]): the same as parsing it again.
    pub fn parsed_condition(
        &self,
        text: &str,
    ) -> Option<&Result<falcoc_lang::condition::ast::Expr, falcoc_lang::condition::ParseError>>
    {
        self.parsed.as_ref()?.get(text)
    }

    /// True if any file has an error.
    pub fn has_errors(&self) -> bool {
        self.results.iter().any(|r| !r.successful())
    }
}

/// Reads `inputs` (no I/O: they are bytes) with the rule-file reader, in order. Files are
/// independent until they are loaded, so several are read on as many threads as the
/// machine has cores (YAML reading is a third of the work of linting the stock rule
/// files); the results are the same as reading them one after the other.
pub fn read_inputs(inputs: &[Input<'_>]) -> Vec<ReadResult> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len());
    if threads <= 1 {
        return inputs
            .iter()
            .map(|i| read_rules_file(i.name, i.bytes))
            .collect();
    }
    let chunk = inputs.len().div_ceil(threads);
    let read_chunk = |c: &[Input<'_>]| -> Vec<ReadResult> {
        c.iter().map(|i| read_rules_file(i.name, i.bytes)).collect()
    };
    std::thread::scope(|scope| {
        let mut chunks = inputs.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let n = chunks.len();
        let others: Vec<_> = chunks
            .enumerate()
            .map(|(k, c)| {
                scope.spawn(move || {
                    let read = read_chunk(c);
                    // The last chunk has the fewest files: its thread then builds the field
                    // and event tables that loading needs next (built once, on first use).
                    if k + 1 == n {
                        warm_tables();
                    }
                    read
                })
            })
            .collect();
        let mut out = read_chunk(first);
        for h in others {
            match h.join() {
                Ok(r) => out.extend(r),
                // The reader catches its parser's panics; anything else is a bug: re-raise.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

/// Builds the field and event tables now (they are built on first use), so that another
/// thread can do it while files are read.
fn warm_tables() {
    falcoc_schema::fields::builtin_classes();
    falcoc_schema::events::events();
}

/// Loads `inputs` in order into one engine.
pub fn load(inputs: &[Input<'_>], opts: &LoadOptions) -> Loaded {
    load_read(read_inputs(inputs), opts)
}

/// Loads files already read with [`read_inputs`] (so a caller can look at them first,
/// e.g. with [`auto_profile_of`]).
pub fn load_read(read_files: Vec<ReadResult>, opts: &LoadOptions) -> Loaded {
    let falco = opts.mode == Mode::Falco;
    let mut files = Vec::with_capacity(read_files.len());
    let mut results = Vec::with_capacity(read_files.len());
    let mut collection = Collection::default();
    let mut scalars = ScalarStore::default();
    let mut rule_names = Vec::new();
    let mut order = 0usize;
    let mut cache = compile::CompileCache::default();
    let field_check = |source: &str, field: &str| -> bool {
        if !opts.profile.has_source(source) {
            return true;
        }
        exception_field_ok(&opts.profile, source, field)
    };
    // Every item is decoded when loading goes on after errors: then the next file's items
    // are decoded on a second thread while a file's compile pass runs (decoding does not
    // depend on the collection; its scalars are numbered after the ones before).
    let ahead = !falco && std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
    let mut predecoded: Option<(Vec<Result<Decoded, Failed>>, ScalarStore)> = None;
    let mut queue: std::collections::VecDeque<ReadResult> = read_files.into();
    while let Some(mut read) = queue.pop_front() {
        let fi = files.len();
        read.set_file_index(fi);
        let mut issues: Vec<Issue> = Vec::new();
        let mut failed = false;
        // A YAML syntax error: yaml-cpp fails before Falco looks at any item.
        let reader_error = read.diagnostics.iter().find(|d| d.is_error()).map(|d| {
            let code = if d.code == "LOAD_ERR_YAML_VALIDATE" {
                Code::LoadErrYamlValidate
            } else {
                Code::LoadErrYamlParse
            };
            let span = d.primary.as_ref().map(|l| l.span).unwrap_or_default();
            let mut locs = Vec::new();
            if code == Code::LoadErrYamlParse {
                locs.push(Loc::new("value for", "", span.start as usize));
            } else if d.message.starts_with("Unexpected element type") {
                locs.push(Loc::new("rules content item", "", span.start as usize));
            }
            // Falco prints yaml-cpp's exception text, which starts with `yaml-cpp: `.
            let message =
                if code == Code::LoadErrYamlParse && d.message.starts_with("error at line") {
                    format!("yaml-cpp: {}", d.message)
                } else {
                    d.message.clone()
                };
            Issue::new(code, message, fi, locs).at(span)
        });
        let parse_failed = reader_error
            .as_ref()
            .is_some_and(|e| e.code == Code::LoadErrYamlParse);
        let mut ready = predecoded
            .take()
            .and_then(|(decoded, store)| scalars.append(store).then(|| decoded.into_iter()));
        if !(parse_failed && falco) {
            for item in &read.items {
                order += 1;
                let decoded = match ready.as_mut().and_then(Iterator::next) {
                    Some(d) => d,
                    None => decode_item(item, fi, order, &mut scalars),
                };
                match decoded {
                    Ok((decl, warnings)) => {
                        issues.extend(warnings);
                        let Some(decl) = decl else { continue };
                        let unknown_source = match &decl {
                            Decl::Rule(r) if matches!(r.body, RuleBody::Define(_)) => r
                                .source
                                .as_deref()
                                .filter(|s| !opts.profile.has_source(s))
                                .map(|s| (s.to_string(), r.name.clone(), r.at)),
                            _ => None,
                        };
                        if let Decl::EngineVersion(v, at) = &decl {
                            if !opts.engine_version.satisfies(*v) {
                                let e = Issue::new(
                                    Code::LoadErrValidate,
                                    format!(
                                        "Rules require engine version {v}, but engine version is {}",
                                        opts.engine_version
                                    ),
                                    fi,
                                    vec![Loc::new("required_engine_version", "", at.offset)],
                                )
                                .at(Span::new(at.offset, at.end));
                                issues.push(e);
                                failed = true;
                                if falco {
                                    break;
                                }
                            }
                        }
                        match collection.apply(decl, &field_check) {
                            Ok(w) => issues.extend(w),
                            Err(e) => {
                                issues.push(e);
                                failed = true;
                                if falco {
                                    break;
                                }
                            }
                        }
                        if let Some((source, name, at)) = unknown_source {
                            issues.push(
                                Issue::new(
                                    Code::LoadUnknownSource,
                                    format!("Unknown source {source}, skipping"),
                                    fi,
                                    vec![Loc::new("rule", name, at.offset)],
                                )
                                .at(Span::new(at.offset, at.end)),
                            );
                        }
                    }
                    Err(item_failure) => {
                        let (e, warnings) = *item_failure;
                        issues.extend(warnings);
                        issues.push(e);
                        failed = true;
                        if falco {
                            break;
                        }
                    }
                }
            }
        }
        if let Some(e) = reader_error {
            if !(failed && falco) {
                issues.push(e);
            }
            failed = true;
        }
        if !(failed && falco) {
            let options = CompileOptions {
                profile: &opts.profile,
                stop_at_first_error: falco,
            };
            let compiled = match queue.front() {
                Some(next) if ahead => {
                    let store = scalars.continuation();
                    let start = order;
                    std::thread::scope(|scope| {
                        let other = scope.spawn(move || decode_all(next, fi + 1, start, store));
                        let compiled =
                            compile::compile_pass(&collection, &scalars, &options, &mut cache);
                        match other.join() {
                            Ok(d) => predecoded = Some(d),
                            Err(p) => std::panic::resume_unwind(p),
                        }
                        compiled
                    })
                }
                _ => compile::compile_pass(&collection, &scalars, &options, &mut cache),
            };
            issues.extend(compiled.issues);
            rule_names = compiled.rules;
        }
        results.push(file_result(&read, &files, issues));
        files.push(read);
    }
    let rules = cache.rules_of(&rule_names, true);
    // Falco checks plugin requirements after loading, whatever the load found (a fatal
    // error there that replaces the load results; a located error here, on the last file).
    {
        if let (Some(last), Some(file)) = (results.last_mut(), files.last()) {
            for req in &collection.plugin_requirements {
                if let Some(message) = unsatisfied(req, &loaded_plugins(opts)) {
                    let at = req_offset(&files, req);
                    let mut m = message_for(file, &files, at, message);
                    m.code = Code::LoadErrValidate;
                    last.errors.push(m);
                }
            }
        }
    }
    Loaded {
        files,
        results,
        rules,
        collection,
        parsed: opts.keep_cache.then(|| cache.take_parsed()),
        _cache: opts.keep_cache.then(|| std::sync::Mutex::new(cache)),
    }
}

/// Decodes every item of `read` (file `file`), as the loop of [`load_read`] does when it
/// goes on after errors: the items numbered from `order + 1`, their scalars in `scalars`.
fn decode_all(
    read: &ReadResult,
    file: usize,
    mut order: usize,
    mut scalars: ScalarStore,
) -> (Vec<Result<Decoded, Failed>>, ScalarStore) {
    let decoded = read
        .items
        .iter()
        .map(|item| {
            order += 1;
            decode_item(item, file, order, &mut scalars)
        })
        .collect();
    (decoded, scalars)
}

/// The loaded plugins and their versions, for the requirement check.
fn loaded_plugins(opts: &LoadOptions) -> Vec<(String, String)> {
    match &opts.loaded_plugins {
        Some(l) => l.clone(),
        None => opts
            .profile
            .plugins()
            .iter()
            .map(|p| (p.name.to_string(), p.version.to_string()))
            .collect(),
    }
}

/// Falco's plugin requirement check: `None` when some alternative is loaded with a
/// compatible version (same major, not older), else Falco's message.
fn unsatisfied(
    req: &crate::decl::PluginRequirement,
    loaded: &[(String, String)],
) -> Option<String> {
    let ok = req.alternatives.iter().any(|(name, want)| {
        loaded.iter().any(|(n, v)| {
            n == name && Version::parse_semver(v).is_some_and(|have| have.satisfies(*want))
        })
    });
    if ok {
        return None;
    }
    let alts: Vec<String> = req
        .alternatives
        .iter()
        .map(|(n, v)| format!("{n} (>= {v})"))
        .collect();
    Some(format!(
        "Plugin requirement not satisfied, must load one of: {}",
        alts.join(", ")
    ))
}

/// Where a plugin requirement was declared: (file index, byte offset).
fn req_offset(files: &[ReadResult], req: &crate::decl::PluginRequirement) -> (usize, usize) {
    let first = req
        .alternatives
        .first()
        .map(|(n, _)| n.as_str())
        .unwrap_or("");
    for (fi, f) in files.iter().enumerate() {
        for item in &f.items {
            let Some(seq) = item
                .get("required_plugin_versions")
                .and_then(|n| n.as_sequence())
            else {
                continue;
            };
            for entry in &seq.items {
                if entry.get("name").and_then(|n| n.as_str()) == Some(first) {
                    return (fi, entry.span().start as usize);
                }
            }
        }
    }
    (files.len().saturating_sub(1), 0)
}

/// A message about byte `at.1` of file `at.0`, reported in the result of `current`.
fn message_for(
    current: &ReadResult,
    files: &[ReadResult],
    at: (usize, usize),
    message: String,
) -> LoadMessage {
    let file = files.get(at.0).unwrap_or(current);
    let issue = Issue::new(
        Code::LoadErrValidate,
        message,
        at.0,
        vec![Loc::new("required plugin versions", "", at.1)],
    )
    .at(Span::new(at.1, at.1 + 1));
    crate::load::message(file, issue)
}

/// Whether an exception's field is valid for `source`: a field (with its argument), or a
/// transformer expression over fields (`tolower(proc.name)`).
fn exception_field_ok(profile: &PluginProfile, source: &str, field: &str) -> bool {
    use falcoc_lang::condition::ast::{ExprKind, Operand, OperandKind, TransformArg};
    fn operand_ok(p: &PluginProfile, source: &str, o: &Operand) -> bool {
        match &o.kind {
            OperandKind::Field(f) => p.lookup(source, &f.name, f.arg.as_deref()).is_ok(),
            OperandKind::Transform(t) => t.args.iter().all(|a| match a {
                TransformArg::Operand(o) => operand_ok(p, source, o),
                _ => true,
            }),
        }
    }
    match falcoc_lang::condition::parse(&format!("{field} exists")) {
        Ok(e) => match &e.kind {
            ExprKind::Exists(o) => operand_ok(profile, source, o),
            _ => false,
        },
        Err(_) => false,
    }
}

/// The plugins a Falco user would load for these files: the container plugin (as the stock
/// `falco.yaml` does) plus, for each `required_plugin_versions` entry, the first plugin of
/// the entry and its alternatives whose field table we know.
pub fn auto_profile(inputs: &[Input<'_>]) -> PluginProfile {
    auto_profile_of(&read_inputs(inputs))
}

/// The profile a `--plugins`-style specification names: `auto` ([`auto_profile_of`] the
/// files), `all`, `container`, `none`, or a comma-separated list of plugin names (an
/// unknown name is an error).
pub fn profile_for(spec: &str, files: &[ReadResult]) -> Result<PluginProfile, String> {
    match spec {
        "auto" => Ok(auto_profile_of(files)),
        "all" => Ok(PluginProfile::all()),
        "container" => Ok(PluginProfile::container_only()),
        "none" => Ok(PluginProfile::none()),
        list => {
            let names: Vec<&str> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            PluginProfile::from_names(&names)
        }
    }
}

/// [`auto_profile`] of files already read.
pub fn auto_profile_of(files: &[ReadResult]) -> PluginProfile {
    let mut names: Vec<&'static str> = vec!["container"];
    for read in files {
        for item in &read.items {
            let Some(seq) = item
                .get("required_plugin_versions")
                .and_then(|n| n.as_sequence())
            else {
                continue;
            };
            for entry in &seq.items {
                let mut candidates = Vec::new();
                if let Some(n) = entry.get("name").and_then(|n| n.as_str()) {
                    candidates.push(n.to_string());
                }
                if let Some(alts) = entry.get("alternatives").and_then(|n| n.as_sequence()) {
                    for a in &alts.items {
                        if let Some(n) = a.get("name").and_then(|n| n.as_str()) {
                            candidates.push(n.to_string());
                        }
                    }
                }
                if let Some(p) = candidates
                    .iter()
                    .find_map(|c| falcoc_schema::fields::plugin(c))
                {
                    if !names.contains(&p.name) {
                        names.push(p.name);
                    }
                }
            }
        }
    }
    PluginProfile::from_names(&names).unwrap_or_else(|_| PluginProfile::container_only())
}

/// Splits `name[arg]` into the name and argument.
pub fn split_field(field: &str) -> (&str, Option<&str>) {
    match (field.find('['), field.ends_with(']')) {
        (Some(i), true) => (&field[..i], Some(&field[i + 1..field.len() - 1])),
        _ => (field, None),
    }
}

fn file_result(current: &ReadResult, earlier: &[ReadResult], issues: Vec<Issue>) -> FileResult {
    let mut r = FileResult {
        name: current.name.clone(),
        ..FileResult::default()
    };
    for i in issues {
        let file = if i.file < earlier.len() {
            &earlier[i.file]
        } else {
            current
        };
        let m = message(file, i);
        if m.code.is_error() {
            r.errors.push(m);
        } else {
            r.warnings.push(m);
        }
    }
    r
}

fn position(file: &ReadResult, offset: usize) -> Position {
    let m = file.mark(offset);
    Position {
        name: file.name.clone(),
        line: m.line as u64,
        column: m.column as u64,
        offset: m.offset as u64,
    }
}

/// Converts an issue into Falco's message form (locations, snippet).
fn message(file: &ReadResult, i: Issue) -> LoadMessage {
    let mut locations = vec![Location {
        item_type: "rules content".into(),
        item_name: String::new(),
        position: Position {
            name: file.name.clone(),
            line: 0,
            column: 0,
            offset: 0,
        },
    }];
    for l in &i.locs {
        locations.push(Location {
            item_type: l.item_type.to_string(),
            item_name: l.item_name.clone(),
            position: position(file, l.offset),
        });
    }
    let mut snippet_content = file.text.as_str();
    if let Some(ce) = &i.cond_expr {
        let last = locations
            .last()
            .map(|l| l.position.clone())
            .unwrap_or(Position {
                name: String::new(),
                line: 0,
                column: 0,
                offset: 0,
            });
        let mut name = if ce.text.len() > 20 {
            let mut cut = 17;
            while !ce.text.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("\"{}...\"", &ce.text[..cut])
        } else {
            format!("\"{}\"", ce.text)
        };
        name = name.replace(['\n', '\r'], " ");
        locations.push(Location {
            item_type: "condition expression".into(),
            item_name: String::new(),
            position: Position {
                name,
                line: last.line + u64::from(ce.pos.line),
                column: last.column + u64::from(ce.pos.col),
                offset: last.offset + u64::from(ce.pos.idx),
            },
        });
        snippet_content = &ce.text;
    }
    let snippet_offset = locations.last().map_or(0, |l| l.position.offset as usize);
    LoadMessage {
        code: i.code,
        message: i.message,
        snippet: snippet(snippet_content, snippet_offset, 160),
        locations,
        deprecated_field: i.deprecated_field,
        span: i.span,
    }
}

/// Falco's snippet: the line around `pos` (at most `width/2` bytes each side, `...` where
/// cut) and a caret line.
pub fn snippet(content: &str, pos: usize, width: usize) -> String {
    let b = content.as_bytes();
    if b.is_empty() {
        return "<No context available>\n".into();
    }
    let half = width / 2;
    let mut pos = pos;
    while pos > 0 && (pos >= b.len() || b[pos] == b'\n') {
        pos -= 1;
    }
    let mut from = pos;
    while from > 0 && b[from] != b'\n' && pos - from < half {
        from -= 1;
    }
    let mut to = pos;
    while to < b.len() - 1 && b[to] != b'\n' && to - pos < half {
        to += 1;
    }
    if from < b.len() && b[from] == b'\n' {
        from += 1;
    }
    if to < b.len() && b[to] == b'\n' && to > 0 {
        to -= 1;
    }
    if to < from {
        return "<No context available>\n".into();
    }
    let mut ret: Vec<u8> = b[from..=to].to_vec();
    if ret.is_empty() {
        return "<No context available>\n".into();
    }
    if pos >= from && pos - from >= half && ret.len() >= 3 {
        ret[..3].copy_from_slice(b"...");
    }
    if to >= pos && to - pos >= half && ret.len() >= 3 {
        let n = ret.len();
        ret[n - 3..].copy_from_slice(b"...");
    }
    let mut s = String::from_utf8_lossy(&ret).into_owned();
    s.push('\n');
    let col = pos.saturating_sub(from);
    if col < s.len() {
        s.push_str(&" ".repeat(col));
        s.push_str("^\n");
    }
    s
}
