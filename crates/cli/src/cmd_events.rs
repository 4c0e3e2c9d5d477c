//! `falcoc events -r CAPTURE [-p FORMAT] [--rules FILE]… [FILTER]`: prints the events of a
//! capture that match a condition, formatted like `sysdig -p`.

use std::io::Write;
use std::path::PathBuf;

use crate::inputs::load_paths;
use crate::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use falcoc_compiler::load::Mode;
use falcoc_engine::time::TimeZone;
use falcoc_scap::{self as scap, Reader, ReaderOptions, ScapError};
use falcoc_state::{State, StateOptions};
use falcoc_syscall::extract::{ExtractOptions, Extractor};
use falcoc_syscall::filter::{Filter, Format, SYSDIG_EVENT_LIMIT};

/// sysdig's default `-p` format.
pub const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";

/// Arguments of `falcoc events`.
#[derive(clap::Args)]
pub struct EventsArgs {
    /// The capture to read (`.scap`, plain or gzip).
    #[arg(short = 'r', long = "read", value_name = "CAPTURE")]
    capture: PathBuf,
    /// Output format (`%field` tokens, as `sysdig -p`). With a leading `*` events lacking
    /// a field print `<NA>` for it; without, they are not printed. Default: sysdig's.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    format: Option<String>,
    /// Rule files whose macros and lists the filter may use.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Plugins whose fields are known (see `falcoc lint --help`).
    #[arg(long, default_value = "auto")]
    plugins: String,
    /// Also print libsinsp-internal events (sysdig `-D`).
    #[arg(short = 'D', long = "internal")]
    internal: bool,
    /// Number and show event types newer than sysdig 0.29's table (by default they are
    /// skipped without a number, as the reference outputs do).
    #[arg(long)]
    all_event_types: bool,
    /// Print byte buffers in full (sysdig `-v`; by default they are cut at 80 bytes).
    #[arg(short = 'v', long)]
    verbose: bool,
    /// The condition events must match.
    filter: Vec<String>,
}

/// Runs `falcoc events`.
pub fn run(args: EventsArgs) -> u8 {
    let (loaded, profile) = match load_paths(&args.rules, &args.plugins, Mode::Falco) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code();
        }
    };
    if loaded.has_errors() {
        eprintln!("error: the rule files do not load (see `falcoc lint`)");
        return EXIT_PROBLEMS;
    }
    let text = args.filter.join(" ");
    let mut filter = None;
    if !text.trim().is_empty() {
        match Filter::compile(&text, &loaded.collection, &profile) {
            Ok(f) => filter = Some(f),
            Err(e) => {
                match e.offset {
                    Some(off) => {
                        eprintln!("error: filter error at offset {off}: {}", e.message);
                        eprintln!("  {text}");
                        let col = text.get(..off).map_or(off, |s| s.chars().count());
                        eprintln!("  {}^", " ".repeat(col));
                    }
                    None => eprintln!("error: filter error: {}", e.message),
                }
                return EXIT_PROBLEMS;
            }
        }
    }
    let fmt_text = args.format.as_deref().unwrap_or(DEFAULT_FORMAT);
    let format = match Format::compile(fmt_text, &profile) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: invalid format: {e}");
            return EXIT_USAGE;
        }
    };
    let file = match std::fs::File::open(&args.capture) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", args.capture.display());
            return EXIT_USAGE;
        }
    };
    let mut reader_opts = ReaderOptions::default();
    if !args.all_event_types {
        reader_opts.event_code_limit = SYSDIG_EVENT_LIMIT;
    }
    let mut reader = match scap::Reader::with_options(file, reader_opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", args.capture.display());
            return EXIT_USAGE;
        }
    };
    let (timezone, warning) = TimeZone::from_env();
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let mut opts = RunOptions {
        show_internal: args.internal,
        ..RunOptions::default()
    };
    opts.extract.timezone = timezone;
    opts.extract.render.max_buffer_len = if args.verbose { 0 } else { 80 };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut broken_pipe = false;
    let (summary, error) = run_capture(&mut reader, filter.as_mut(), &format, opts, |line| {
        if !broken_pipe && writeln!(out, "{line}").is_err() {
            broken_pipe = true;
        }
    });
    let _ = out.flush();
    match error {
        None => EXIT_OK,
        // Not a capture at all (not even one block): a usage error.
        Some(e) if summary.events == 0 && reader.stats().blocks == 0 => {
            eprintln!("error: {}: {e}", args.capture.display());
            EXIT_USAGE
        }
        Some(e) => {
            eprintln!("error: {}: {e}", args.capture.display());
            EXIT_PROBLEMS
        }
    }
}

/// Settings of [`run_capture`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Print libsinsp-internal events too (sysdig `-D`).
    pub show_internal: bool,
    /// Extraction settings.
    pub extract: ExtractOptions,
    /// State settings.
    pub state: StateOptions,
}

/// What [`run_capture`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Events read (numbered).
    pub events: u64,
    /// Events that would be shown without a filter.
    pub visible: u64,
    /// Events printed.
    pub printed: u64,
    /// Threads in the table at the end.
    pub threads: usize,
    /// Fds in the tables at the end.
    pub fds: usize,
}

/// Reads every event of `reader`, tracks the state, and calls `emit` with the rendering
/// of each shown event that `filter` matches. On a read error the events before it have
/// been emitted; the error is returned with the summary so far.
pub fn run_capture(
    reader: &mut Reader<'_>,
    mut filter: Option<&mut Filter>,
    format: &Format,
    opts: RunOptions,
    mut emit: impl FnMut(&str),
) -> (RunSummary, Option<ScapError>) {
    let mut summary = RunSummary::default();
    let mut state = State::new(opts.state);
    if let Err(e) = reader.read_metadata() {
        return (summary, Some(e));
    }
    state.set_metadata(reader.take_metadata());
    let mut error = None;
    while let Some(next) = reader.next_event_ref() {
        let evt = match next {
            Ok(e) => e,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        summary.events += 1;
        let p = state.process(&evt);
        let shown = !p.filtered_out && (opts.show_internal || !p.internal);
        if !shown {
            continue;
        }
        summary.visible += 1;
        let line = {
            let mut ex = Extractor::new(&mut state, &evt, opts.extract);
            format.render(&mut ex)
        };
        let Some(line) = line else {
            continue;
        };
        if let Some(f) = filter.as_deref_mut() {
            if !f.matches(&mut state, &evt, opts.extract) {
                continue;
            }
        }
        summary.printed += 1;
        emit(&line);
    }
    summary.threads = state.thread_count();
    summary.fds = state.fd_count();
    (summary, error)
}
