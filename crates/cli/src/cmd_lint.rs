//! `falcoc lint FILE…` (in progress).

use crate::EXIT_OK;

/// Arguments of `falcoc lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Rule files, in load order.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
}

/// Runs `falcoc lint`.
pub fn run(_args: LintArgs) -> u8 {
    EXIT_OK
}
