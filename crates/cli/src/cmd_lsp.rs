//! `falcoc lsp`: the language server for editors, over stdin/stdout (see `docs/lsp.md`).

use crate::{EXIT_OK, EXIT_USAGE};

/// Arguments of `falcoc lsp`.
#[derive(clap::Args)]
pub struct LspArgs {
    /// Accepted for clients that pass it (`vscode-languageclient` does); stdio is the
    /// only transport.
    #[arg(long)]
    stdio: bool,
}

/// Runs `falcoc lsp` until the client sends `exit` or closes stdin.
pub fn run(args: LspArgs) -> u8 {
    let _ = args.stdio;
    match falcoc_lsp::run_stdio() {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("falcoc lsp: {e}");
            EXIT_USAGE
        }
    }
}
