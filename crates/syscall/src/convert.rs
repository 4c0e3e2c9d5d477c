//! Which events reach the rules, and as what, in Falco 0.42.1.
//!
//! libs 0.22's capture reader passes every event through the scap converter
//! (`userspace/libscap/engine/savefile/converter`), which moves old captures to the event
//! layouts of the current drivers: those no longer send most **enter** events, so the
//! converter *stores* them (they never reach libsinsp or the rules) and appends their
//! parameters to the matching exit event; old event versions become the current ones
//! (`accept4` exits of codes 57 and 249, named `accept` in the table, become code 389
//! `accept4`). The live drivers of libs 0.22 produce the same shape.
//!
//! falcoc's state and field extraction keep libsinsp's older model (enter events stored
//! by the state, parameters read from each event's own layout), so the [`SyscallEngine`](crate::SyscallEngine) emulates
//! the converter where rules can see it:
//!
//! * rules are not evaluated on the enter events the converter stores ([`delivered`]);
//! * events are routed by their converted code, and `evt.type` of a renamed event is its
//!   new name ([`converted_code`], [`renamed`]);
//! * an exit event's `evt.arg.NAME` / `evt.rawarg.NAME` missing from its own layout is
//!   read from the thread's preceding enter event ([`Converted`]).
//!
//! The tables below are derived from the conversion table of libs 0.22.2
//! (`converter/table.cpp`) and the event flags of `falcoc_schema::events`.

use falcoc_codegen::{FieldDesc, FieldId};
use falcoc_compiler::ir::{Operand, OperandKind};
use falcoc_schema::events::{self, Direction, EventFlags};
use falcoc_schema::fields::{FieldArg, ResolvedField};
use serde_json::Value;

use crate::extract::{ExtractOptions, Extractor, Field};
use falcoc_engine::vm::{FieldSource, Values};
use falcoc_engine::{CodeFacts, EventFields};
use falcoc_scap::EventRef;
use falcoc_schema::events::PPM_EVENT_MAX;
use falcoc_state::evtable;

/// Enter events flagged `EF_CONVERTER_MANAGED` that the converter still delivers
/// (`C_ACTION_PASS`, `C_ACTION_STORE_AND_PASS`, or a type change ending in one): open,
/// the execve versions, procexit, connect, creat, switch, container, openat, openat2,
/// execveat.
const DELIVERED_MANAGED_ENTERS: [u16; 18] = [
    2, 12, 16, 22, 58, 146, 154, 172, 214, 228, 230, 272, 282, 288, 292, 306, 326, 330,
];

/// Old event versions and the current version the converter turns them into
/// (`C_ACTION_CHANGE_TYPE` chains, followed to the end).
const CONVERSIONS: [(u16, u16); 33] = [
    (11, 159),
    (12, 292),
    (15, 223),
    (16, 186),
    (27, 247),
    (57, 389),
    (85, 83),
    (91, 171),
    (99, 277),
    (101, 279),
    (103, 307),
    (105, 309),
    (107, 311),
    (109, 301),
    (111, 303),
    (125, 367),
    (146, 152),
    (154, 292),
    (157, 223),
    (172, 292),
    (183, 225),
    (185, 227),
    (214, 292),
    (217, 223),
    (219, 225),
    (221, 227),
    (228, 324),
    (230, 292),
    (249, 389),
    (259, 387),
    (272, 324),
    (282, 292),
    (283, 293),
];

/// Whether the converter delivers an event of `code` (with the current drivers' shape)
/// to libsinsp and the rules: unused events never; enter events of old versions or
/// managed by the converter only when listed in [`DELIVERED_MANAGED_ENTERS`]; every
/// other event (exit, meta and unknown codes) yes.
pub(crate) fn delivered(code: u16) -> bool {
    let Some(info) = events::event(code) else {
        return true;
    };
    if info.is_unused() {
        return false;
    }
    if info.direction != Direction::Enter {
        return true;
    }
    let managed = info.flags.has(EventFlags::CONVERTER_MANAGED);
    if !managed {
        return !info.is_old_version();
    }
    DELIVERED_MANAGED_ENTERS.contains(&code)
}

/// How the converter delivers an event of one code: [`delivered`], [`converted_code`] and
/// [`renamed`], computed once per code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    /// Whether it reaches the rules.
    pub delivered: bool,
    /// Its converted code.
    pub code: u16,
    /// Its converted `evt.type`, when that changes.
    pub rename: Option<&'static str>,
}

impl Route {
    /// The route of `code`.
    pub(crate) fn of(code: u16) -> Route {
        Route {
            delivered: delivered(code),
            code: converted_code(code),
            rename: renamed(code),
        }
    }
}

/// `evt.type` and `evt.dir` as the rules see them on every event the engine is given
/// with one code (after conversion when `convert`): fixed when all the codes delivered
/// under it agree (`evt.type` of the generic events 0 and 1 comes from a parameter).
/// The engine folds the checks they decide ([`falcoc_engine::Engine::specialize`]).
#[derive(Debug, Clone)]
pub(crate) struct FixedNames {
    types: Vec<Option<&'static str>>,
    dirs: Vec<Option<&'static str>>,
}

impl FixedNames {
    /// The fixed names of every code, for conversion on or off.
    pub(crate) fn new(convert: bool) -> FixedNames {
        let n = PPM_EVENT_MAX;
        // None: no code delivered yet; Some(None): they differ.
        let mut types: Vec<Option<Option<&'static str>>> = vec![None; n];
        let mut dirs: Vec<Option<Option<&'static str>>> = vec![None; n];
        let merge = |slot: &mut Option<Option<&'static str>>, v: Option<&'static str>| {
            *slot = match *slot {
                None => Some(v),
                Some(old) if old == v => Some(old),
                Some(_) => Some(None),
            };
        };
        for o in 0..n as u16 {
            let (to, rename) = if convert {
                let r = Route::of(o);
                if !r.delivered {
                    continue;
                }
                (r.code, r.rename)
            } else {
                (o, None)
            };
            let desc = evtable::event(o);
            let ty = match rename {
                Some(name) => Some(name),
                None if o <= 1 => None,
                None => Some(desc.map_or("NA", |d| d.name)),
            };
            let exit = desc.is_some_and(|d| d.direction == Direction::Exit);
            if let (Some(t), Some(d)) = (types.get_mut(to as usize), dirs.get_mut(to as usize)) {
                merge(t, ty);
                merge(d, Some(if exit { "<" } else { ">" }));
            }
        }
        FixedNames {
            types: types.into_iter().map(Option::flatten).collect(),
            dirs: dirs.into_iter().map(Option::flatten).collect(),
        }
    }
}

impl CodeFacts for FixedNames {
    fn may_fix(&self, field: &FieldDesc) -> bool {
        matches!(
            Field::resolve(&field.field, field.mode),
            Field::EvtType | Field::EvtDir
        ) && (is_evt_type(&field.field) || field.field.field_name() == "evt.dir")
    }

    fn fixed(&self, code: u16, field: &FieldDesc, out: &mut Values) -> Option<bool> {
        // Only asked for fields `may_fix` accepted.
        let table = match field.field.field_name() {
            "evt.type" => &self.types,
            "evt.dir" => &self.dirs,
            _ => return None,
        };
        out.push_str((*table.get(code as usize)?)?);
        Some(true)
    }
}

/// The code an event of `code` has once converted (itself unless it is an old version).
pub(crate) fn converted_code(code: u16) -> u16 {
    CONVERSIONS
        .iter()
        .find(|(from, _)| *from == code)
        .map_or(code, |(_, to)| *to)
}

/// The new `evt.type` of an event whose conversion changes its name.
pub(crate) fn renamed(code: u16) -> Option<&'static str> {
    let to = converted_code(code);
    if to == code {
        return None;
    }
    let new = events::event_name(to)?;
    (events::event_name(code) != Some(new)).then_some(new)
}

/// The parameter name of an `evt.arg.NAME` / `evt.rawarg.NAME` field.
pub(crate) fn param_name(f: &ResolvedField) -> Option<&'static str> {
    match (f.field_name(), &f.arg) {
        ("evt.arg" | "evt.rawarg", FieldArg::EventParam(n)) => Some(n),
        _ => None,
    }
}

fn is_evt_type(f: &ResolvedField) -> bool {
    f.field_name() == "evt.type"
}

/// An event as the rules of Falco 0.42.1 see it: the extractor of the event, with the
/// converted event's name and the parameters the converter takes from the enter event.
pub(crate) struct Converted<'x, 'a, 'e> {
    pub ex: Extractor<'a, 'e>,
    /// The thread's preceding enter event, for the parameters of an exit event.
    pub enter: Option<EventRef<'x>>,
    /// The converted `evt.type`, when it changes.
    pub rename: Option<&'static str>,
    pub opts: ExtractOptions,
}

impl Converted<'_, '_, '_> {
    /// Runs `f` on an extractor of the enter event (`None` without one).
    fn on_enter<T>(&mut self, f: impl FnOnce(&mut Extractor<'_, '_>) -> T) -> Option<T> {
        let enter = self.enter?;
        let opts = self.opts;
        let mut ex = Extractor::new(self.ex.state(), &enter, opts);
        Some(f(&mut ex))
    }
}

impl FieldSource for Converted<'_, '_, '_> {
    fn extract(&mut self, id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
        if let Some(name) = self.rename.filter(|_| is_evt_type(&field.field)) {
            out.push_str(name);
            return true;
        }
        if self.ex.extract(id, field, out) {
            return true;
        }
        if self.enter.is_none() || param_name(&field.field).is_none() {
            return false;
        }
        out.clear();
        self.on_enter(|ex| FieldSource::extract(ex, id, field, out))
            .unwrap_or(false)
    }
}

impl EventFields for Converted<'_, '_, '_> {
    fn display_operand(&mut self, operand: &Operand) -> Option<String> {
        if let (Some(name), OperandKind::Field(f)) = (self.rename, &operand.kind) {
            if is_evt_type(f) {
                return Some(name.to_string());
            }
        }
        if let Some(v) = self.ex.display_operand(operand) {
            return Some(v);
        }
        operand.base_field().and_then(param_name)?;
        self.on_enter(|ex| ex.display_operand(operand)).flatten()
    }

    fn json_field(&mut self, field: &ResolvedField) -> Value {
        if let Some(name) = self.rename.filter(|_| is_evt_type(field)) {
            return Value::String(name.to_string());
        }
        let v = self.ex.json(field);
        if !v.is_null() || self.enter.is_none() || param_name(field).is_none() {
            return v;
        }
        self.on_enter(|ex| ex.json(field)).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_events() {
        // ptrace, accept4 (old and new), read: stored by the converter.
        for code in [168, 248, 388, 6] {
            assert!(!delivered(code), "{code}");
        }
        // execve, openat, connect, procexit, container: delivered.
        for code in [292, 306, 22, 186, 324, 2] {
            assert!(delivered(code), "{code}");
        }
        // exit events always.
        for code in [169, 249, 389, 7, 293] {
            assert!(delivered(code), "{code}");
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(converted_code(249), 389);
        assert_eq!(renamed(249), Some("accept4"));
        assert_eq!(renamed(57), Some("accept4"));
        assert_eq!(renamed(283), None);
        assert_eq!(converted_code(283), 293);
        assert_eq!(renamed(293), None);
    }
}
