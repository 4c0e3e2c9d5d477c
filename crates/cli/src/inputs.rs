//! Reading rule files from disk and loading them: the one place the CLI does file I/O
//! for rules, shared by `lint` and `compile`.

use falcoc_compiler::fields::PluginProfile;
use falcoc_compiler::load::{load_read, read_inputs, Input, LoadOptions, Loaded, Mode};
use falcoc_lang::rulefile::ReadResult;
use std::path::PathBuf;

/// Reads every file; an unreadable file is a usage/I-O error.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, String> {
    paths
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            std::fs::read(p)
                .map(|b| (name.clone(), b))
                .map_err(|e| format!("cannot read {name}: {e}"))
        })
        .collect()
}

/// The plugin profile named on the command line (`auto` is decided from the files).
pub fn profile(spec: &str, files: &[ReadResult]) -> Result<PluginProfile, String> {
    match spec {
        "auto" => Ok(falcoc_compiler::load::auto_profile_of(files)),
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

/// Reads `paths` and loads them in order with the plugins `plugins` names.
pub fn load_paths(
    paths: &[PathBuf],
    plugins: &str,
    mode: Mode,
) -> Result<(Loaded, PluginProfile), String> {
    let contents = read_files(paths)?;
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let read = read_inputs(&inputs);
    let profile = profile(plugins, &read).map_err(|e| format!("--plugins: {e}"))?;
    let loaded = load_read(
        read,
        &LoadOptions {
            profile: profile.clone(),
            mode,
            ..LoadOptions::default()
        },
    );
    Ok((loaded, profile))
}
