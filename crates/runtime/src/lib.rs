//! The falcoc runtime (planned): capture reading, process/fd state, a bytecode VM over
//! rules indexed by event type, Falco-compatible alerts and the `falco.yaml` outputs.
//! Nothing is implemented yet; the crate exists so the workspace shows where it will live.
