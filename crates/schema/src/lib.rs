//! What the rules are checked against: the field classes of every event source and the
//! libscap event table of falcosecurity/libs 0.22.2 (the libs of Falco 0.42.1).
//!
//! * [`fields`] — the field registry: each field's type, flags and argument rules, name
//!   resolution as libsinsp does it, the type × operator check and constant parsing.
//! * [`events`] — every event code with its parameters, the syscall (`ppm_sc`) table, the
//!   event-set algebra and the walk computing the event codes a condition can match.
//!
//! Both are tables compiled in from the TSV files next to them and parsed once; they only
//! depend on each other and on the condition AST of `falcoc-lang`, so the compiler, the
//! capture format, the state and the sources share one copy.
//!
//! ```
//! use falcoc_schema::events::{self, Direction};
//! use falcoc_schema::fields::{self, FieldType};
//!
//! // Event code 3 is the exit of `open`; its first parameter is the new fd (8 bytes).
//! let open_x = events::event(3).expect("in the table");
//! assert_eq!((open_x.name, open_x.direction), ("open", Direction::Exit));
//! assert_eq!(open_x.params[0].ty, FieldType::Fd);
//! assert_eq!(open_x.params[0].ty.fixed_width(), Some(8));
//! // `fd.name` of the syscall source is a string field.
//! let f = fields::lookup("syscall", "fd.name", None).expect("a known field");
//! assert_eq!(f.ty, FieldType::Charbuf);
//! ```

#![warn(missing_docs)]

pub mod events;
pub mod fields;
