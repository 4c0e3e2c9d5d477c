//! `falcoc compile`: shows what the compiler makes of rules and conditions.
//!
//! * `falcoc compile --expand FILE…` prints every rule's fully expanded condition.
//! * `falcoc compile --condition TEXT [--rules FILE]… --evttypes` prints the event types
//!   the condition can match, one name per line, sorted: libsinsp's analysis of the parsed
//!   condition, which does not need the condition to compile (a compile error is then
//!   printed as a warning, and the exit code is still 0). `--libs 0.22` gives Falco
//!   0.42.1's analysis (the one rule loading uses), the default libsinsp master's.

use crate::inputs::load_paths;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_compiler::collector::Collection;
use falcoc_compiler::compile;
use falcoc_compiler::load::Mode;
use falcoc_schema::events;
use falcoc_schema::events::analysis::Semantics;
use falcoc_schema::fields::PluginProfile;

/// Arguments of `falcoc compile`.
#[derive(clap::Args)]
pub struct CompileArgs {
    /// Rule files to compile (with `--expand`).
    files: Vec<std::path::PathBuf>,
    /// Print each rule's expanded condition (`name: condition`).
    #[arg(long)]
    expand: bool,
    /// Compile this condition instead of rules.
    #[arg(long, short = 'c')]
    condition: Option<String>,
    /// Rule files whose lists and macros the condition may use.
    #[arg(long = "rules", short = 'r')]
    rules: Vec<std::path::PathBuf>,
    /// Print the event types the condition can match, one per line, sorted.
    #[arg(long)]
    evttypes: bool,
    /// Whose event-type analysis `--evttypes` follows: `master` (libsinsp master, default:
    /// what the upstream `filter_ppm_codes` tests assert, with the `evt.num` invariant) or
    /// `0.22` (libs 0.22, Falco 0.42.1, which rule loading uses).
    #[arg(long, value_name = "LIBS", default_value = "master", value_parser = ["master", "0.22"])]
    libs: String,
    /// Plugins (see `falcoc lint --help`).
    #[arg(long, default_value = "auto")]
    plugins: String,
}

/// Runs `falcoc compile`.
pub fn run(args: CompileArgs) -> u8 {
    let paths = if args.condition.is_some() {
        args.rules.clone()
    } else {
        args.files.clone()
    };
    let (loaded, profile) = match load_paths(&paths, &args.plugins, Mode::Falco) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code();
        }
    };
    if let Some(text) = &args.condition {
        if loaded.has_errors() {
            eprintln!("error: the rule files do not load (see `falcoc lint`)");
            return EXIT_PROBLEMS;
        }
        if args.evttypes {
            let semantics = if args.libs == "0.22" {
                Semantics::Libs022
            } else {
                Semantics::LibsMaster
            };
            return print_evttypes(&loaded.collection, text, &profile, semantics);
        }
        return match compile::compile_condition(&loaded.collection, text, &profile) {
            Ok(c) => {
                println!("{}", c.compiled);
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_PROBLEMS
            }
        };
    }
    if !args.expand {
        eprintln!("error: give --expand FILE… or --condition TEXT");
        return EXIT_USAGE;
    }
    if loaded.has_errors() {
        eprintln!("error: the rule files do not load (see `falcoc lint`)");
        return EXIT_PROBLEMS;
    }
    for r in &loaded.rules {
        println!("{}: {}", r.name, r.compiled_condition);
    }
    EXIT_OK
}

/// `--evttypes`: the event names of the condition's event codes, one per line.
fn print_evttypes(
    collection: &Collection,
    text: &str,
    profile: &PluginProfile,
    semantics: Semantics,
) -> u8 {
    let codes = match compile::condition_event_codes(collection, text, profile, semantics) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_PROBLEMS;
        }
    };
    if let Err(e) = compile::compile_condition(collection, text, profile) {
        eprintln!("warning: the condition does not compile: {e}");
    }
    for name in events::event_set_to_names(&codes, true) {
        println!("{name}");
    }
    EXIT_OK
}
