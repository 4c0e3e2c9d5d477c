//! Replaying a capture through the state and the engine (Falco's `engine.kind: replay`).

use crate::state::{State, StateOptions};
use crate::SyscallEngine;
use falcoc_engine::Alert;
use falcoc_scap::{Reader, ScapError};

/// What [`replay`] did.
#[derive(Debug, Default)]
pub struct ReplaySummary {
    /// Events read from the capture.
    pub events: u64,
    /// Events libsinsp drops before the rules (state-only, leading container events).
    pub filtered_out: u64,
    /// Alerts produced.
    pub alerts: u64,
    /// Bytes of the (uncompressed) capture consumed.
    pub bytes: u64,
    /// The read error that stopped the replay, if any (every event before it was
    /// processed). It carries the byte offset in the uncompressed stream.
    pub error: Option<ScapError>,
}

/// Reads every event of `reader` (whose metadata has not been read yet), keeps a
/// [`State`], runs `engine` on each event and hands every alert to `on_alert`, in event
/// order. On a read error the events before it have been processed; the error is in the
/// summary. The state follows the engine's libsinsp version ([`SyscallEngine::libs`]; the other
/// settings are `state_options`').
pub fn replay(
    engine: &mut SyscallEngine,
    reader: &mut Reader<'_>,
    state_options: StateOptions,
    mut on_alert: impl FnMut(Alert),
) -> ReplaySummary {
    let mut summary = ReplaySummary::default();
    let mut state = State::new(StateOptions {
        libs: engine.libs(),
        ..state_options
    });
    if let Err(e) = reader.read_metadata() {
        summary.bytes = Reader::position(reader);
        summary.error = Some(e);
        return summary;
    }
    state.set_metadata(reader.take_metadata());
    let mut alerts = Vec::new();
    while let Some(next) = reader.next_event_ref() {
        let evt = match next {
            Ok(e) => e,
            Err(e) => {
                summary.error = Some(e);
                break;
            }
        };
        summary.events += 1;
        let p = state.process(&evt);
        if p.filtered_out {
            summary.filtered_out += 1;
            continue;
        }
        if engine.evaluate_into(&mut state, &evt, &mut alerts) > 0 {
            summary.alerts += alerts.len() as u64;
            alerts.drain(..).for_each(&mut on_alert);
        }
    }
    summary.bytes = Reader::position(reader);
    summary
}
