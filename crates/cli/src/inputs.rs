//! Reading rule files from disk and loading them: the one place the CLI does file I/O
//! for rules, shared by `lint` and `compile`.

use falcoc_compiler::load::{load_read, read_inputs, Input, LoadOptions, Loaded, Mode};
use falcoc_lang::rulefile::ReadResult;
use falcoc_schema::fields::PluginProfile;
use std::fmt;
use std::path::PathBuf;

use crate::{EXIT_PROBLEMS, EXIT_USAGE};

/// Why rule files could not be loaded at all.
#[derive(Debug)]
pub enum InputError {
    /// A rule file cannot be read (missing, a directory, no permission): Falco's fatal
    /// `Could not open file PATH for reading`, exit 1.
    Unreadable {
        /// The path as given.
        path: String,
        /// What the system said.
        reason: std::io::Error,
    },
    /// A bad `--plugins` value: a usage error.
    Plugins(String),
}

impl InputError {
    /// The exit code: 1 for an unreadable rule file (as Falco), 2 for a usage error.
    pub fn exit_code(&self) -> u8 {
        match self {
            InputError::Unreadable { .. } => EXIT_PROBLEMS,
            InputError::Plugins(_) => EXIT_USAGE,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Unreadable { path, reason } => {
                write!(f, "Could not open file {path} for reading ({reason})")
            }
            InputError::Plugins(e) => write!(f, "--plugins: {e}"),
        }
    }
}

/// Reads every file, in order; the first unreadable one is the error.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, InputError> {
    paths
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            match std::fs::read(p) {
                Ok(b) => Ok((name, b)),
                Err(reason) => Err(InputError::Unreadable { path: name, reason }),
            }
        })
        .collect()
}

/// The plugin profile named on the command line (`auto` is decided from the files).
pub fn profile(spec: &str, files: &[ReadResult]) -> Result<PluginProfile, String> {
    falcoc_compiler::load::profile_for(spec, files)
}

/// Reads `paths` and loads them in order with the plugins `plugins` names.
pub fn load_paths(
    paths: &[PathBuf],
    plugins: &str,
    mode: Mode,
) -> Result<(Loaded, PluginProfile), InputError> {
    load_paths_with(paths, plugins, mode, false)
}

/// [`load_paths`], keeping the compile cache in the result when `keep_cache` (see
/// [`LoadOptions::keep_cache`]).
pub fn load_paths_with(
    paths: &[PathBuf],
    plugins: &str,
    mode: Mode,
    keep_cache: bool,
) -> Result<(Loaded, PluginProfile), InputError> {
    let contents = read_files(paths)?;
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let read = read_inputs(&inputs);
    let profile = profile(plugins, &read).map_err(InputError::Plugins)?;
    let loaded = load_read(
        read,
        &LoadOptions {
            profile: profile.clone(),
            mode,
            keep_cache,
            ..LoadOptions::default()
        },
    );
    Ok((loaded, profile))
}
