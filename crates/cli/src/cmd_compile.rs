//! `falcoc compile`: shows what the compiler makes of rules and conditions.
//!
//! * `falcoc compile --expand FILE…` prints every rule's fully expanded condition.
//! * `falcoc compile --condition TEXT [--rules FILE]… --evttypes` prints the event types
//!   the condition can match, one name per line, sorted.

use crate::inputs::load_paths;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_compiler::events;
use falcoc_compiler::load::Mode;

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
            return EXIT_USAGE;
        }
    };
    if let Some(text) = &args.condition {
        if loaded.has_errors() {
            eprintln!("error: the rule files do not load (see `falcoc lint`)");
            return EXIT_PROBLEMS;
        }
        return match falcoc_compiler::compile::compile_condition(&loaded.collection, text, &profile)
        {
            Ok(c) => {
                if args.evttypes {
                    for name in events::event_set_to_names(&c.event_codes, true) {
                        println!("{name}");
                    }
                } else {
                    println!("{}", c.compiled);
                }
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
