//! Embedding falcoc: load a rule file, run a capture through the engine, print the alerts
//! as Falco does (`cargo run -p falcoc-syscall --example embed`).
use falcoc_compiler::{load, Input, LoadOptions};
use falcoc_engine::EngineOptions;
use falcoc_outputs::{format_alert, FormatOptions};
use falcoc_syscall::{replay, SyscallEngine, SyscallOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let bytes = std::fs::read(format!("{dir}/rules/demo_rules.yaml"))?;
    let input = Input {
        name: "demo_rules.yaml",
        bytes: &bytes,
    };
    let loaded = load(&[input], &LoadOptions::default());
    if loaded.has_errors() {
        return Err("the rules do not load (see `falcoc lint`)".into());
    }
    let options = EngineOptions::default();
    let mut engine = SyscallEngine::new(loaded.rules, options, SyscallOptions::default())?;
    let mut capture = falcoc_scap::open(format!("{dir}/captures/web-01-attack.scap.gz"))?;
    let format = FormatOptions::default();
    let summary = replay(&mut engine, &mut capture, Default::default(), |alert| {
        println!("{}", format_alert(&alert, &format));
    });
    eprintln!("{} events, {} alerts", summary.events, summary.alerts);
    summary.error.map_or(Ok(()), |e| Err(e.into()))
}
