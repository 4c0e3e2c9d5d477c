//! `falcoc lsp`: a language server for Falco rule files (LSP 3.17 over stdio).
//!
//! The server keeps the texts of the open documents and loads each rule set with
//! [`falcoc_compiler::load()`] exactly as `falcoc lint` does (all-problems mode, falcoc's
//! lints at their default levels), so the editor shows the same codes at the same spans.
//! A rule set is the files a `falco.yaml` (`rules_files`) or the client's settings name, in
//! that order ([`config`]); a file outside it is a rule set of its own.
//!
//! Features: diagnostics on open and change ([`analysis`]); completion of item and
//! exception keys, priorities, sources, fields (with type and description), operators
//! valid for the field's type, the macros visible at that point and list names
//! ([`completion`]); hover on fields, macros, lists and rules ([`hover`]); go to definition,
//! find references and rename across the files ([`navigate`], over [`symbols`]); quick fixes
//! for the "did you mean" lints ([`actions`]). Positions are converted between byte offsets
//! and LSP's UTF-16 columns in [`text`].
//!
//! Built on `lsp-server` (synchronous, the message loop of rust-analyzer) and `lsp-types`:
//! one thread answers in order, and the I/O threads of `lsp-server` read and write stdio.
//! Changes are coalesced: after a burst of edits, the rule set is loaded once, when no
//! message is waiting.

pub mod actions;
pub mod analysis;
pub mod completion;
pub mod config;
pub mod hover;
pub mod navigate;
pub mod server;
pub mod symbols;
pub mod text;
pub mod uri;

use lsp_server::{Connection, Message};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The server's name and version, as `initialize` reports them.
pub const SERVER_NAME: &str = "falcoc-lsp";

/// Why the server stopped abnormally.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Serves the LSP protocol on stdin/stdout until the client sends `shutdown` and `exit`
/// (or closes stdin).
pub fn run_stdio() -> Result<(), Error> {
    let (connection, io_threads) = Connection::stdio();
    let served = serve(&connection);
    drop(connection);
    // A read or write failure (malformed framing, invalid JSON) ends the I/O threads first:
    // their error says more than the closed channel the loop saw.
    let io = io_threads.join().map_err(|e| Error(format!("stdio: {e}")));
    match (served, io) {
        (Err(_), Err(io)) | (Ok(()), Err(io)) => Err(io),
        (Err(e), Ok(())) => Err(e),
        (Ok(()), Ok(())) => Ok(()),
    }
}

/// Serves one connection: the `initialize` handshake, then every message until
/// `shutdown`/`exit`. A handler that panics (it should not) answers an internal error
/// and the server goes on.
pub fn serve(connection: &Connection) -> Result<(), Error> {
    let e = |e: lsp_server::ProtocolError| Error(e.to_string());
    let (id, params) = connection.initialize_start().map_err(e)?;
    let init: lsp_types::InitializeParams =
        serde_json::from_value(params).map_err(|x| Error(format!("initialize: {x}")))?;
    let result = lsp_types::InitializeResult {
        capabilities: server::capabilities(),
        server_info: Some(lsp_types::ServerInfo {
            name: SERVER_NAME.to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|x| Error(x.to_string()))?;
    connection.initialize_finish(id, result).map_err(e)?;
    let mut srv = server::Server::new(&init);
    let send = |m: Message| -> Result<(), Error> {
        connection
            .sender
            .send(m)
            .map_err(|x| Error(format!("cannot send: {x}")))
    };
    for m in guarded(|| srv.flush(), None) {
        send(m)?;
    }
    while let Ok(msg) = connection.receiver.recv() {
        if let Message::Request(req) = &msg {
            if connection.handle_shutdown(req).map_err(e)? {
                return Ok(());
            }
        }
        let id = match &msg {
            Message::Request(r) => Some((r.id.clone(), r.method.clone())),
            _ => None,
        };
        for m in guarded(|| srv.handle(msg), id) {
            send(m)?;
        }
        if connection.receiver.is_empty() {
            for m in guarded(|| srv.flush(), None) {
                send(m)?;
            }
        }
        srv.free_retired();
    }
    Ok(())
}

/// Runs `f`; if it panics, the answer is an internal error for the request (if any).
fn guarded(
    f: impl FnOnce() -> Vec<Message>,
    request: Option<(lsp_server::RequestId, String)>,
) -> Vec<Message> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => request
            .map(|(id, method)| server::internal_error(id, &method))
            .into_iter()
            .collect(),
    }
}
