//! Replaying a capture through the state and the engine (Falco's `engine.kind: replay`).

use std::sync::mpsc;

use crate::SyscallEngine;
use falcoc_engine::Alert;
use falcoc_scap::{EventBatch, EventRef, Reader, ScapError};
use falcoc_state::{State, StateOptions};

/// Full batches queued between the threads.
const QUEUED: usize = 4;
/// Batches in circulation (each holds one reader window): the queue, the one being
/// replayed and the one being filled.
const POOL: usize = QUEUED + 2;

/// The reading thread: fills batches (reusing those given back on `empty`; each takes
/// over the reader's window, so events are not copied) and sends them, then the read
/// error if there is one. Stops at the end of the input, after an error, or when the
/// replay thread has gone.
fn read_batches(
    reader: &mut Reader<'_>,
    full: &mpsc::SyncSender<Result<EventBatch, ScapError>>,
    empty: &mpsc::Receiver<EventBatch>,
) {
    let mut made = 0;
    loop {
        // A spare batch back from the replay thread, a new one while fewer than the
        // pool's size exist, else wait for one (so memory stays at `POOL` windows).
        let mut batch = match empty.try_recv() {
            Ok(b) => b,
            Err(_) if made < POOL => {
                made += 1;
                EventBatch::new()
            }
            Err(_) => match empty.recv() {
                Ok(b) => b,
                Err(_) => return,
            },
        };
        let read = reader.next_batch(&mut batch);
        let end = batch.is_empty();
        if !end && full.send(Ok(batch)).is_err() {
            return;
        }
        if let Err(e) = read {
            let _ = full.send(Err(e));
            return;
        }
        if end {
            return;
        }
    }
}

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
    let mut consume = |evt: &EventRef<'_>, summary: &mut ReplaySummary| {
        summary.events += 1;
        let p = state.process(evt);
        if p.filtered_out {
            summary.filtered_out += 1;
            return;
        }
        if engine.evaluate_into(&mut state, evt, &mut alerts) > 0 {
            summary.alerts += alerts.len() as u64;
            alerts.drain(..).for_each(&mut on_alert);
        }
    };
    let pipelined = std::thread::scope(|scope| {
        // Reading and decoding on a second thread, in batches; state and rules here, in
        // the same order.
        let (full_tx, full_rx) = mpsc::sync_channel::<Result<EventBatch, ScapError>>(QUEUED);
        let (empty_tx, empty_rx) = mpsc::channel::<EventBatch>();
        let reading = &mut *reader;
        let producer = std::thread::Builder::new()
            .name("falcoc-read".to_string())
            .spawn_scoped(scope, move || read_batches(reading, &full_tx, &empty_rx));
        let Ok(producer) = producer else {
            return false;
        };
        for msg in full_rx {
            match msg {
                Ok(batch) => {
                    for evt in batch.iter() {
                        consume(&evt, &mut summary);
                    }
                    let _ = empty_tx.send(batch);
                }
                Err(e) => summary.error = Some(e),
            }
        }
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        true
    });
    if !pipelined {
        while let Some(next) = reader.next_event_ref() {
            match next {
                Ok(evt) => consume(&evt, &mut summary),
                Err(e) => {
                    summary.error = Some(e);
                    break;
                }
            }
        }
    }
    summary.bytes = Reader::position(reader);
    summary
}
