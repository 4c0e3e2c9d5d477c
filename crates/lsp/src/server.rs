//! The server's state and its answer to each message: the open documents, the rule sets
//! they belong to, one [`Analysis`] per rule set (redone when one of its files changes),
//! and the request handlers.

use crate::analysis::Analysis;
use crate::config::Settings;
use crate::{actions, completion, hover, navigate, uri};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, GotoDefinition, HoverRequest, PrepareRenameRequest, References,
    Rename, Request as _,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    CompletionResponse, GotoDefinitionResponse, HoverProviderCapability, InitializeParams,
    LogMessageParams, MessageType, OneOf, Position, PrepareRenameResponse,
    PublishDiagnosticsParams, RenameOptions, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri, WorkDoneProgressOptions,
};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// An open document.
#[derive(Debug, Clone)]
struct Doc {
    text: String,
}

/// The server state.
pub struct Server {
    root: Option<PathBuf>,
    settings: Settings,
    /// The configured rule set (empty: none), in load order.
    configured: Vec<Uri>,
    docs: HashMap<String, Doc>,
    /// Analyses by rule-set key.
    analyses: HashMap<String, Analysis>,
    /// Rule sets to load again before the next answer.
    dirty: HashSet<String>,
    /// Files whose last published diagnostics were not empty.
    published: HashSet<String>,
    /// Messages for the client's log not yet sent.
    log: Vec<String>,
    /// Analyses replaced by newer ones, freed by [`Server::free_retired`] once the new
    /// diagnostics are sent (freeing a large load takes a while).
    retired: Vec<Analysis>,
}

/// What the server supports.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "%".into(), "(".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// The canonical form of a document URI (`file:` URIs re-encoded from their path), so that
/// the client's spelling and ours compare equal.
fn canonical(u: &Uri) -> Uri {
    uri::to_path(u)
        .and_then(|p| uri::from_path(&p))
        .unwrap_or_else(|| u.clone())
}

fn key_of(set: &[Uri]) -> String {
    set.iter()
        .map(|u| u.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Server {
    /// A server for the client's `initialize` parameters.
    pub fn new(params: &InitializeParams) -> Server {
        #[allow(deprecated)] // root_uri: older clients send only it.
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or_else(|| params.root_uri.clone())
            .and_then(|u| uri::to_path(&u));
        let (settings, note) = Settings::from_json(params.initialization_options.as_ref());
        let mut s = Server {
            root,
            settings,
            configured: Vec::new(),
            docs: HashMap::new(),
            analyses: HashMap::new(),
            dirty: HashSet::new(),
            published: HashSet::new(),
            log: note.into_iter().collect(),
            retired: Vec::new(),
        };
        s.configure();
        s
    }

    fn configure(&mut self) {
        let (files, notes) = self.settings.rule_files(self.root.as_deref());
        self.log.extend(notes);
        self.configured = files.iter().filter_map(|p| uri::from_path(p)).collect();
        self.analyses.clear();
        self.dirty.clear();
        if !self.configured.is_empty() {
            self.dirty.insert(key_of(&self.configured));
        }
        for k in self.docs.keys().cloned().collect::<Vec<_>>() {
            if let Ok(u) = k.parse::<Uri>() {
                let set = self.set_of(&u);
                self.dirty.insert(key_of(&set));
            }
        }
    }

    /// The rule set a document belongs to: the configured one if it lists the document,
    /// else the document alone.
    fn set_of(&self, u: &Uri) -> Vec<Uri> {
        if self.configured.iter().any(|c| c.as_str() == u.as_str()) {
            self.configured.clone()
        } else {
            vec![u.clone()]
        }
    }

    /// Every current rule set.
    fn sets(&self) -> Vec<Vec<Uri>> {
        let mut v = Vec::new();
        if !self.configured.is_empty() {
            v.push(self.configured.clone());
        }
        for k in self.docs.keys() {
            if let Ok(u) = k.parse::<Uri>() {
                if !self.configured.iter().any(|c| c.as_str() == u.as_str()) {
                    v.push(vec![u]);
                }
            }
        }
        v
    }

    /// The text of a file of a rule set: the open document, else the file on disk.
    fn text_of(&mut self, u: &Uri) -> String {
        if let Some(d) = self.docs.get(u.as_str()) {
            return d.text.clone();
        }
        match uri::to_path(u).map(std::fs::read) {
            Some(Ok(bytes)) => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            Some(Err(e)) => {
                self.log.push(format!("cannot read {}: {e}", u.as_str()));
                String::new()
            }
            None => String::new(),
        }
    }

    fn display_name(u: &Uri) -> String {
        uri::to_path(u).map_or_else(|| u.as_str().to_string(), |p| p.display().to_string())
    }

    /// Loads the changed rule sets again and returns their diagnostics (and log
    /// messages) to send.
    pub fn flush(&mut self) -> Vec<Message> {
        self.free_retired();
        let mut out: Vec<Message> = self.log.drain(..).map(log_message).collect();
        if self.dirty.is_empty() {
            return out;
        }
        let sets = self.sets();
        let current: HashSet<String> = sets.iter().map(|s| key_of(s)).collect();
        self.analyses.retain(|k, _| current.contains(k));
        for set in sets {
            let key = key_of(&set);
            if !self.dirty.contains(&key) {
                continue;
            }
            let files: Vec<(Uri, String, String)> = set
                .iter()
                .map(|u| (u.clone(), Self::display_name(u), self.text_of(u)))
                .collect();
            let analysis = Analysis::new(&files, self.settings.plugins());
            if let Some(n) = &analysis.note {
                out.push(log_message(n.clone()));
            }
            for (u, diagnostics) in set.iter().zip(analysis.diagnostics()) {
                if diagnostics.is_empty() {
                    self.published.remove(u.as_str());
                } else {
                    self.published.insert(u.as_str().to_string());
                }
                out.push(publish(u.clone(), diagnostics));
            }
            if let Some(old) = self.analyses.insert(key, analysis) {
                self.retired.push(old);
            }
        }
        self.dirty.clear();
        // Files no longer in any rule set: clear what was published for them.
        let members: HashSet<String> = self
            .analyses
            .values()
            .flat_map(|a| a.uris.iter().map(|u| u.as_str().to_string()))
            .collect();
        let stale: Vec<String> = self
            .published
            .iter()
            .filter(|u| !members.contains(*u))
            .cloned()
            .collect();
        for u in stale {
            self.published.remove(&u);
            if let Ok(parsed) = u.parse::<Uri>() {
                out.push(publish(parsed, Vec::new()));
            }
        }
        out.extend(self.log.drain(..).map(log_message));
        out
    }

    /// Frees the analyses that newer ones replaced.
    pub fn free_retired(&mut self) {
        self.retired.clear();
    }

    fn touch(&mut self, u: &Uri) {
        let set = self.set_of(u);
        self.dirty.insert(key_of(&set));
    }

    /// Handles one message; returns what to send (diagnostics wait for [`Server::flush`],
    /// which requests call first).
    pub fn handle(&mut self, msg: Message) -> Vec<Message> {
        match msg {
            Message::Request(req) => {
                let mut out = self.flush();
                out.push(Message::Response(self.request(req)));
                out
            }
            Message::Notification(n) => {
                self.notification(n);
                Vec::new()
            }
            Message::Response(_) => Vec::new(),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    let u = canonical(&p.text_document.uri);
                    self.docs.insert(
                        u.as_str().to_string(),
                        Doc {
                            text: p.text_document.text,
                        },
                    );
                    self.touch(&u);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) {
                    let u = canonical(&p.text_document.uri);
                    if let Some(doc) = self.docs.get_mut(u.as_str()) {
                        for c in p.content_changes {
                            crate::text::apply_change(&mut doc.text, c.range, &c.text);
                        }
                        self.touch(&u);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    let u = canonical(&p.text_document.uri);
                    // A file of the configured set is read from disk again.
                    self.touch(&u);
                    self.docs.remove(u.as_str());
                    self.dirty.insert(key_of(&self.set_of(&u)));
                }
            }
            DidSaveTextDocument::METHOD => {}
            DidChangeConfiguration::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidChangeConfigurationParams>(
                    DidChangeConfiguration::METHOD,
                ) {
                    let v = p.settings.get("falco").cloned().unwrap_or(p.settings);
                    if v.is_object() {
                        let (settings, note) = Settings::from_json(Some(&v));
                        self.log.extend(note);
                        self.settings = settings;
                        self.configure();
                    }
                }
            }
            _ => {}
        }
    }

    /// The analysis holding `u` and the file's index in it.
    fn analysis(&self, u: &Uri) -> Option<(&Analysis, usize)> {
        let u = canonical(u);
        let a = self.analyses.get(&key_of(&self.set_of(&u)))?;
        Some((a, a.file_of(&u)?))
    }

    fn offset(a: &Analysis, file: usize, pos: Position) -> Option<usize> {
        let f = a.file(file)?;
        Some(a.lines.get(file)?.offset(&f.text, pos))
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result: Result<serde_json::Value, (ErrorCode, String)> = match req.method.as_str() {
            HoverRequest::METHOD => self.on::<HoverRequest>(req, |s, p| {
                let pp = p.text_document_position_params;
                let (a, f) = s.analysis(&pp.text_document.uri)?;
                Some(hover::hover(a, f, Self::offset(a, f, pp.position)?))
            }),
            GotoDefinition::METHOD => self.on::<GotoDefinition>(req, |s, p| {
                let pp = p.text_document_position_params;
                let (a, f) = s.analysis(&pp.text_document.uri)?;
                let locs = navigate::definition(a, f, Self::offset(a, f, pp.position)?);
                Some((!locs.is_empty()).then_some(GotoDefinitionResponse::Array(locs)))
            }),
            References::METHOD => self.on::<References>(req, |s, p| {
                let pp = p.text_document_position;
                let (a, f) = s.analysis(&pp.text_document.uri)?;
                let off = Self::offset(a, f, pp.position)?;
                Some(Some(navigate::references(
                    a,
                    f,
                    off,
                    p.context.include_declaration,
                )))
            }),
            Completion::METHOD => self.on::<Completion>(req, |s, p| {
                let pp = p.text_document_position;
                let (a, f) = s.analysis(&pp.text_document.uri)?;
                let off = Self::offset(a, f, pp.position)?;
                Some(Some(CompletionResponse::Array(completion::completion(
                    a, f, off,
                ))))
            }),
            CodeActionRequest::METHOD => self.on::<CodeActionRequest>(req, |s, p| {
                let (a, f) = s.analysis(&p.text_document.uri)?;
                let start = Self::offset(a, f, p.range.start)?;
                let end = Self::offset(a, f, p.range.end)?;
                Some(Some(actions::quick_fixes(a, f, start, end)))
            }),
            PrepareRenameRequest::METHOD => {
                match req
                    .extract::<lsp_types::TextDocumentPositionParams>(PrepareRenameRequest::METHOD)
                {
                    Ok((_, p)) => match self.analysis(&p.text_document.uri) {
                        Some((a, f)) => {
                            let off = Self::offset(a, f, p.position).unwrap_or(0);
                            match navigate::prepare_rename(a, f, off) {
                                Ok(o) => {
                                    Ok(serde_json::to_value(a.location(o.file, o.span).map(|l| {
                                        PrepareRenameResponse::RangeWithPlaceholder {
                                            range: l.range,
                                            placeholder: o.name.clone(),
                                        }
                                    }))
                                    .unwrap_or_default())
                                }
                                Err(e) => Err((ErrorCode::InvalidRequest, e.0)),
                            }
                        }
                        None => Ok(serde_json::Value::Null),
                    },
                    Err(e) => Err((ErrorCode::InvalidParams, e.to_string())),
                }
            }
            Rename::METHOD => match req.extract::<lsp_types::RenameParams>(Rename::METHOD) {
                Ok((_, p)) => {
                    let pp = p.text_document_position;
                    match self.analysis(&pp.text_document.uri) {
                        Some((a, f)) => {
                            let off = Self::offset(a, f, pp.position).unwrap_or(0);
                            match navigate::rename(a, f, off, &p.new_name) {
                                Ok(edit) => Ok(serde_json::to_value(edit).unwrap_or_default()),
                                Err(e) => Err((ErrorCode::InvalidRequest, e.0)),
                            }
                        }
                        None => Err((
                            ErrorCode::InvalidRequest,
                            "the document is not open".to_string(),
                        )),
                    }
                }
                Err(e) => Err((ErrorCode::InvalidParams, e.to_string())),
            },
            m => Err((ErrorCode::MethodNotFound, format!("unsupported method {m}"))),
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// Decodes a request's parameters and runs `f`; `None` from `f` answers `null`.
    fn on<R>(
        &self,
        req: Request,
        f: impl FnOnce(&Self, R::Params) -> Option<R::Result>,
    ) -> Result<serde_json::Value, (ErrorCode, String)>
    where
        R: lsp_types::request::Request,
    {
        let (_, params) = req
            .extract::<R::Params>(R::METHOD)
            .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
        let Some(result) = f(self, params) else {
            return Ok(serde_json::Value::Null);
        };
        serde_json::to_value(result).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }
}

fn publish(u: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Message {
    Message::Notification(Notification::new(
        PublishDiagnostics::METHOD.to_string(),
        PublishDiagnosticsParams {
            uri: u,
            diagnostics,
            version: None,
        },
    ))
}

fn log_message(message: String) -> Message {
    Message::Notification(Notification::new(
        LogMessage::METHOD.to_string(),
        LogMessageParams {
            typ: MessageType::WARNING,
            message,
        },
    ))
}

/// An error answer for a request whose handler panicked.
pub fn internal_error(id: RequestId, what: &str) -> Message {
    Message::Response(Response::new_err(
        id,
        ErrorCode::InternalError as i32,
        format!("falcoc lsp: internal error while answering {what}"),
    ))
}
