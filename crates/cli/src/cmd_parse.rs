//! `falcoc parse --condition TEXT [--json]`.

use crate::{EXIT_OK, EXIT_PROBLEMS};
use falcoc_lang::condition::ast::{Expr, ExprKind, Operand, OperandKind, Rhs, TransformArg};
use falcoc_lang::condition::{json, parse, print};

/// Arguments of `falcoc parse`.
#[derive(clap::Args)]
pub struct ParseArgs {
    /// The condition text.
    #[arg(long, short = 'c')]
    condition: String,
    /// Print the AST as JSON (the corpus vector format).
    #[arg(long)]
    json: bool,
}

/// Runs `falcoc parse`.
pub fn run(args: ParseArgs) -> u8 {
    match parse(&args.condition) {
        Ok(e) => {
            if args.json {
                println!("{}", json::to_json(&e));
            } else {
                println!("{}", print::as_string(&e));
                let mut out = String::new();
                tree(&e, 0, &mut out);
                print!("{out}");
            }
            EXIT_OK
        }
        Err(err) => {
            let pos = err.pos(&args.condition);
            eprintln!(
                "error: {} (line {}, column {}, offset {})",
                err.message, pos.line, pos.col, pos.idx
            );
            if let Some(line) = args
                .condition
                .split(['\n', '\r'])
                .nth(pos.line as usize - 1)
            {
                eprintln!("  {line}");
                eprintln!("  {}^", " ".repeat(pos.col as usize - 1));
            }
            EXIT_PROBLEMS
        }
    }
}

fn tree(e: &Expr, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let at = format!("@{}..{}", e.span.start, e.span.end);
    match &e.kind {
        ExprKind::And(c) | ExprKind::Or(c) => {
            let k = if matches!(e.kind, ExprKind::And(_)) {
                "and"
            } else {
                "or"
            };
            out.push_str(&format!("{pad}{k} {at}\n"));
            for x in c {
                tree(x, depth + 1, out);
            }
        }
        ExprKind::Not(c) => {
            out.push_str(&format!("{pad}not {at}\n"));
            tree(c, depth + 1, out);
        }
        ExprKind::Macro(m) => out.push_str(&format!("{pad}macro {m} {at}\n")),
        ExprKind::Exists(o) => {
            out.push_str(&format!("{pad}exists {at}\n"));
            operand(o, depth + 1, out);
        }
        ExprKind::Compare(c) => {
            let m = c
                .modifier
                .map(|m| format!(" {}", m.as_str()))
                .unwrap_or_default();
            out.push_str(&format!("{pad}compare {}{m} {at}\n", c.op.as_str()));
            operand(&c.left, depth + 1, out);
            let p2 = "  ".repeat(depth + 1);
            match &c.right {
                Rhs::Value(v) => out.push_str(&format!("{p2}value {:?}\n", v.text)),
                Rhs::ListRef(v) => out.push_str(&format!("{p2}list-name {:?}\n", v.text)),
                Rhs::List(l) => {
                    let items: Vec<_> = l.items.iter().map(|v| v.text.as_str()).collect();
                    out.push_str(&format!("{p2}list {items:?}\n"));
                }
                Rhs::Operand(o) => operand(o, depth + 1, out),
            }
        }
    }
}

fn operand(o: &Operand, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match &o.kind {
        OperandKind::Field(f) => match &f.arg {
            Some(a) => out.push_str(&format!("{pad}field {}[{a}]\n", f.name)),
            None => out.push_str(&format!("{pad}field {}\n", f.name)),
        },
        OperandKind::Transform(t) => {
            out.push_str(&format!("{pad}transformer {}\n", t.kind.as_str()));
            for a in &t.args {
                match a {
                    TransformArg::Operand(x) => operand(x, depth + 1, out),
                    TransformArg::Value(v) => out.push_str(&format!("{pad}  value {:?}\n", v.text)),
                    TransformArg::List(items, _) => {
                        out.push_str(&format!("{pad}  list of {}\n", items.len()))
                    }
                }
            }
        }
    }
}
