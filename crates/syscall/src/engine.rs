//! The engine for syscall events: the source-neutral [`Engine`] of `falcoc-engine` with
//! what syscall events need around it — the field plan of the rules' fields, the libsinsp
//! state update before evaluation, and Falco 0.42's event conversion (`convert.rs`).

use std::collections::BTreeSet;
use std::ops::{Deref, DerefMut};

use falcoc_compiler::compile::CompiledRule;
use falcoc_engine::{Alert, CodeFacts, Engine, EngineError, EngineOptions};
use falcoc_scap::{Event, EventRef};
use falcoc_schema::events::PPM_EVENT_MAX;
use rustc_hash::FxHashMap;

use crate::convert;
use crate::extract::render::ParamText;
use crate::extract::{ExtractOptions, Extractor, FieldPlan, LibsVersion};
use falcoc_state::{evtable, State};

/// The syscall settings of a [`SyscallEngine`].
#[derive(Debug, Clone, Copy)]
pub struct SyscallOptions {
    /// Field extraction settings (time zone of `%evt.time` in outputs, buffers; the
    /// libsinsp version, by default libs 0.22 as Falco 0.42.1, which
    /// [`replay`](crate::replay) also gives the state).
    pub extract: ExtractOptions,
    /// Deliver capture events to the rules as Falco 0.42.1 (libs 0.22) does: enter
    /// events the scap converter stores are not evaluated, old event versions are
    /// routed and named as their current version, and an exit event's missing
    /// parameters come from its enter event (default true; see the `convert` notes in
    /// docs/compat.md). Off: every event as read, by its own code.
    pub convert_events: bool,
}

impl Default for SyscallOptions {
    fn default() -> SyscallOptions {
        SyscallOptions {
            extract: ExtractOptions {
                libs: LibsVersion::Falco042,
                ..ExtractOptions::default()
            },
            convert_events: true,
        }
    }
}

impl SyscallOptions {
    /// What the rules can know of syscall events from their code alone under these
    /// options (`evt.type`, `evt.dir`, after conversion when it is on): build the engine
    /// with [`Engine::with_facts`] and [`SyscallEngine::from_engine`] does not
    /// specialise it again.
    pub fn code_facts(&self) -> impl CodeFacts {
        convert::FixedNames::new(self.convert_events)
    }
}

/// The rule engine over syscall events: an [`Engine`] (reached through `Deref` for its
/// rule-level accessors: [`Engine::stats`], [`Engine::match_counts`], …) whose events are
/// [`EventRef`]s of a capture or the live sensor, evaluated after the [`State`] update.
#[derive(Debug)]
pub struct SyscallEngine {
    engine: Engine,
    plan: FieldPlan,
    extract: ExtractOptions,
    convert: bool,
    /// Per enter event code, whether a rule may read one of its parameters from the exit
    /// event (so the enter event is kept until the exit).
    keep_enter: Vec<bool>,
    /// The kept enter events, by thread.
    enters: FxHashMap<i64, Event>,
    /// Kept enter events no longer needed, whose buffers the next kept one reuses.
    spare_enters: Vec<Event>,
    /// Per event code: how the converter delivers it ([`convert::Route`]).
    routes: Box<[convert::Route]>,
    /// The extractors' parameter-text buffer, kept from event to event.
    text: ParamText,
}

impl Deref for SyscallEngine {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl DerefMut for SyscallEngine {
    fn deref_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}

impl SyscallEngine {
    /// Builds the engine for `rules` (see [`Engine::new`]).
    pub fn new(
        rules: Vec<CompiledRule>,
        options: EngineOptions,
        syscall: SyscallOptions,
    ) -> Result<SyscallEngine, EngineError> {
        Ok(SyscallEngine::from_engine(
            Engine::with_facts(rules, options, &syscall.code_facts())?,
            syscall,
        ))
    }

    /// Wraps an engine built with [`Engine::new`].
    pub fn from_engine(mut engine: Engine, syscall: SyscallOptions) -> SyscallEngine {
        // Each rule's checks on `evt.type`/`evt.dir` decided per code (before the plan:
        // it rebuilds the tables).
        if !engine.specialized() {
            engine.specialize(&convert::FixedNames::new(syscall.convert_events));
        }
        let plan = FieldPlan::new(engine.tables());
        let params: BTreeSet<&str> = engine
            .fields_used()
            .filter_map(convert::param_name)
            .collect();
        let keep_enter = (0..PPM_EVENT_MAX as u16)
            .map(|c| {
                let (Some(enter), Some(exit)) = (evtable::event(c), evtable::event(c + 1)) else {
                    return false;
                };
                !convert::delivered(c)
                    && enter
                        .params
                        .iter()
                        .any(|p| params.contains(p.name) && exit.param_index(p.name).is_none())
            })
            .collect();
        SyscallEngine {
            engine,
            plan,
            extract: syscall.extract,
            convert: syscall.convert_events,
            keep_enter,
            enters: Default::default(),
            spare_enters: Vec::new(),
            text: ParamText::default(),
            routes: (0..PPM_EVENT_MAX as u16).map(convert::Route::of).collect(),
        }
    }

    /// The source-neutral engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The libsinsp version the engine's field extraction follows
    /// (`SyscallOptions::extract.libs`).
    pub fn libs(&self) -> LibsVersion {
        self.extract.libs
    }

    /// Updates `state` with `evt` and evaluates the rules on it (unless libsinsp would
    /// drop the event: state-only events, leading container events). Events must be given
    /// in capture order, each once.
    pub fn process(&mut self, state: &mut State, evt: &EventRef<'_>) -> Vec<Alert> {
        let p = state.process(evt);
        if p.filtered_out {
            self.engine.skip_event();
            return Vec::new();
        }
        self.evaluate(state, evt)
    }

    /// Evaluates the rules on `evt`, which `state` has just processed
    /// ([`State::process`]).
    pub fn evaluate(&mut self, state: &mut State, evt: &EventRef<'_>) -> Vec<Alert> {
        let mut out = Vec::new();
        self.evaluate_into(state, evt, &mut out);
        out
    }

    /// [`evaluate`](Self::evaluate), appending the alerts to `out`; returns how many.
    pub fn evaluate_into(
        &mut self,
        state: &mut State,
        evt: &EventRef<'_>,
        out: &mut Vec<Alert>,
    ) -> usize {
        let opts = self.extract;
        if !self.convert {
            if !self.engine.wants(evt.code) {
                self.engine.skip_event();
                return 0;
            }
            let mut ex = Extractor::new(state, evt, opts)
                .with_plan(&self.plan)
                .with_text(&mut self.text);
            return self
                .engine
                .evaluate_fields_into(evt.code, evt.ts, &mut ex, out);
        }
        let route = match self.routes.get(evt.code as usize) {
            Some(r) => *r,
            None => convert::Route::of(evt.code),
        };
        if !route.delivered {
            self.engine.skip_event();
            if self
                .keep_enter
                .get(evt.code as usize)
                .copied()
                .unwrap_or(false)
            {
                // Reuse the buffers of an enter event no longer needed.
                let kept = match self.spare_enters.pop() {
                    Some(mut e) => {
                        evt.copy_into(&mut e);
                        e
                    }
                    None => evt.to_event(),
                };
                if let Some(old) = self.enters.insert(evt.tid, kept) {
                    self.spare_enters.push(old);
                }
            }
            return 0;
        }
        let mut enter = self.enters.remove(&evt.tid);
        if enter
            .as_ref()
            .is_some_and(|e| e.code.wrapping_add(1) != evt.code)
        {
            self.spare_enters.extend(enter.take());
        }
        let code = route.code;
        if !self.engine.wants(code) {
            self.engine.skip_event();
            self.spare_enters.extend(enter);
            return 0;
        }
        let mut src = convert::Converted {
            ex: Extractor::new(state, evt, opts)
                .with_plan(&self.plan)
                .with_text(&mut self.text),
            enter: enter.as_ref().map(Event::as_event_ref),
            rename: route.rename,
            opts,
        };
        let n = self
            .engine
            .evaluate_fields_into(code, evt.ts, &mut src, out);
        self.spare_enters.extend(enter);
        n
    }
}
