//! Transformers over extracted values (conditions.md §10): `tolower`, `toupper`, `b64`,
//! `basename`, `len`, and Falco 0.44's `join`, `concat`, `getopt`, literal strings and
//! `( … )` lists. Ports of libsinsp's `sinsp_filter_transformer_*` and
//! `sinsp_filtercheck_multivalue_transformer`.

use falcoc_codegen::ValueRef;
use falcoc_compiler::ir::{Operand, OperandKind};
use falcoc_lang::condition::ast::TransformerKind;
use falcoc_schema::fields::FieldType;

use super::Values;

/// Appends the text of a value as libsinsp's string transformers see it: a string or
/// buffer up to its first NUL (a C string), a number in decimal, an address in its usual
/// notation, a boolean as `true`/`false`.
pub fn c_text(v: ValueRef<'_>, out: &mut Vec<u8>) {
    match v {
        ValueRef::Bytes(b) => {
            let end = memchr_nul(b);
            out.extend_from_slice(&b[..end]);
        }
        ValueRef::U64(u) => out.extend_from_slice(u.to_string().as_bytes()),
        ValueRef::I64(i) => out.extend_from_slice(i.to_string().as_bytes()),
        ValueRef::F64(f) => out.extend_from_slice(f.to_string().as_bytes()),
        ValueRef::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        ValueRef::Ip(a) => out.extend_from_slice(a.to_string().as_bytes()),
    }
}

fn memchr_nul(b: &[u8]) -> usize {
    b.iter().position(|&c| c == 0).unwrap_or(b.len())
}

/// The bytes of a value with trailing NULs removed (libsinsp's string transformers strip
/// them before transforming).
fn input_bytes(v: ValueRef<'_>) -> Option<&[u8]> {
    match v {
        ValueRef::Bytes(b) => {
            let mut n = b.len();
            while n > 0 && b[n - 1] == 0 {
                n -= 1;
            }
            Some(&b[..n])
        }
        _ => None,
    }
}

const B64: [u8; 256] = {
    let mut t = [64u8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// libsinsp `Base64::decodeWithoutPadding`: standard alphabet, up to two `=` of padding
/// (optional), non-zero trailing bits rejected. `None` for invalid input.
pub fn b64_decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return Some(Vec::new());
    }
    let mut n = input.len();
    if input[n - 1] == b'=' {
        n -= 1;
        if n > 0 && input[n - 1] == b'=' {
            n -= 1;
        }
    }
    if n == 0 {
        return None;
    }
    let last = n - 1;
    let mut max_len = n.div_ceil(4) * 3;
    if n % 4 == 3 {
        max_len -= 1;
    }
    if n % 4 == 2 {
        max_len -= 2;
    }
    let mut ret: Vec<u8> = Vec::with_capacity(max_len);
    for (i, &c) in input[..last].iter().enumerate() {
        let v = B64[c as usize];
        if v == 64 {
            return None;
        }
        match i % 4 {
            0 => ret.push(v << 2),
            1 => {
                *ret.last_mut()? |= v >> 4;
                ret.push(v << 4);
            }
            2 => {
                *ret.last_mut()? |= v >> 2;
                ret.push(v << 6);
            }
            _ => *ret.last_mut()? |= v,
        }
    }
    let v = B64[input[last] as usize];
    if v == 64 {
        return None;
    }
    match last % 4 {
        0 => return None,
        1 => {
            *ret.last_mut()? |= v >> 4;
            if v & 0b1111 != 0 {
                return None;
            }
        }
        2 => {
            *ret.last_mut()? |= v >> 2;
            if v & 0b11 != 0 {
                return None;
            }
        }
        _ => *ret.last_mut()? |= v,
    }
    (ret.len() == max_len).then_some(ret)
}

/// Evaluates an output operand into `out`: a list is the C text of its items' values,
/// transformers apply to their evaluated arguments ([`apply`]); fields and literals, the
/// leaves, are the event source's `leaf`. `false` when a value is missing.
pub fn eval_operand(
    op: &Operand,
    out: &mut Values,
    leaf: &mut impl FnMut(&Operand, &mut Values) -> bool,
) -> bool {
    match &op.kind {
        OperandKind::Field(_) | OperandKind::Literal(_) => leaf(op, out),
        OperandKind::List(items) => {
            for it in items {
                let mut v = Values::new();
                if !eval_operand(it, &mut v, leaf) {
                    return false;
                }
                for x in v.iter() {
                    let mut t = Vec::new();
                    c_text(x, &mut t);
                    out.push_bytes(&t);
                }
            }
            true
        }
        OperandKind::Transform { kind, args, arg } => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                let mut v = Values::new();
                if !eval_operand(a, &mut v, leaf) {
                    return false;
                }
                vals.push(v);
            }
            apply(*kind, args, arg.as_deref(), op.ty, &vals, out)
        }
    }
}

/// Applies transformer `kind` to the values of its arguments (`vals`, evaluated from the
/// operands `args`; `arg` is the transformer's own argument, e.g. `getopt`'s option),
/// writing a result of type `out_ty`. `false` when the result is missing.
pub fn apply(
    kind: TransformerKind,
    args: &[Operand],
    arg: Option<&str>,
    out_ty: FieldType,
    vals: &[Values],
    out: &mut Values,
) -> bool {
    match kind {
        TransformerKind::Join => match (vals.first(), vals.get(1)) {
            (Some(s), Some(l)) => join(s, l, out),
            _ => false,
        },
        TransformerKind::Concat => concat(vals.iter(), out),
        TransformerKind::Getopt => match (vals.first(), vals.get(1)) {
            (Some(a), Some(o)) => getopt(a, o, arg.and_then(|s| s.bytes().next()), out),
            _ => false,
        },
        TransformerKind::Val => match vals.first() {
            Some(v) => {
                for x in v.iter() {
                    out.push(x);
                }
                true
            }
            None => false,
        },
        k => {
            let (in_ty, in_list) = args
                .first()
                .map_or((FieldType::Charbuf, false), |a| (a.ty, a.is_list));
            match vals.first() {
                Some(v) => unary(k, in_ty, in_list, out_ty, v, out),
                None => false,
            }
        }
    }
}

/// Applies a single-argument transformer to every value of `input` (of type `in_ty`,
/// a list when `in_list`), writing `out` (of type `out_ty`). `false` when the result is
/// missing (`b64` of invalid input).
pub fn unary(
    kind: TransformerKind,
    in_ty: FieldType,
    in_list: bool,
    out_ty: FieldType,
    input: &Values,
    out: &mut Values,
) -> bool {
    match kind {
        TransformerKind::Len => {
            if in_list {
                out.push_u64(input.len() as u64);
                return true;
            }
            match input.first() {
                Some(ValueRef::Bytes(b)) => {
                    let n = if in_ty == FieldType::Bytebuf {
                        b.len()
                    } else {
                        memchr_nul(b)
                    };
                    out.push_u64(n as u64);
                    true
                }
                _ => false,
            }
        }
        TransformerKind::Val => {
            for v in input.iter() {
                out.push(v);
            }
            true
        }
        _ => {
            let mut buf = Vec::new();
            for v in input.iter() {
                let Some(b) = input_bytes(v) else {
                    out.push(v);
                    continue;
                };
                buf.clear();
                match kind {
                    TransformerKind::ToLower => buf.extend(b.iter().map(u8::to_ascii_lowercase)),
                    TransformerKind::ToUpper => buf.extend(b.iter().map(u8::to_ascii_uppercase)),
                    TransformerKind::Basename => {
                        let start = b.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
                        buf.extend_from_slice(&b[start..]);
                    }
                    TransformerKind::B64 => match b64_decode(b) {
                        Some(d) => buf = d,
                        None => return false,
                    },
                    _ => buf.extend_from_slice(b),
                }
                if out_ty != FieldType::Bytebuf {
                    buf.truncate(memchr_nul(&buf));
                }
                out.push_bytes(&buf);
            }
            true
        }
    }
}

/// `join(sep, list)`: the list's values as C strings joined with `sep`'s first value.
pub fn join(sep: &Values, list: &Values, out: &mut Values) -> bool {
    let Some(ValueRef::Bytes(sep)) = sep.first() else {
        return false;
    };
    let mut buf = Vec::new();
    for (i, v) in list.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(sep);
        }
        c_text(v, &mut buf);
    }
    buf.truncate(memchr_nul(&buf));
    out.push_bytes(&buf);
    true
}

/// `concat(a, b, …)`: the first value of each argument, as C strings.
pub fn concat<'a>(args: impl IntoIterator<Item = &'a Values>, out: &mut Values) -> bool {
    let mut buf = Vec::new();
    for a in args {
        match a.first() {
            Some(v) => c_text(v, &mut buf),
            None => return false,
        }
    }
    out.push_bytes(&buf);
    true
}

/// `getopt(args, optstring)` (list of option letters and values; `?` for an unknown
/// option) or `getopt(args, optstring)[c]` (`select`: the value of the last `-c`, or `c`
/// when it takes no value, empty when its value is missing; missing when absent).
pub fn getopt(args: &Values, optstring: &Values, select: Option<u8>, out: &mut Values) -> bool {
    let Some(ValueRef::Bytes(opts)) = optstring.first() else {
        return false;
    };
    let mut valid = [false; 256];
    let mut with_arg = [false; 256];
    let mut i = usize::from(opts.first() == Some(&b':'));
    while i < opts.len() {
        let o = opts[i];
        if o != b':' {
            valid[o as usize] = true;
            if opts.get(i + 1) == Some(&b':') {
                with_arg[o as usize] = true;
                i += 1;
            }
        }
        i += 1;
    }
    let mut texts: Vec<Vec<u8>> = Vec::with_capacity(args.len());
    for v in args.iter() {
        let mut t = Vec::new();
        match v {
            ValueRef::Bytes(b) => t.extend_from_slice(b),
            v => c_text(v, &mut t),
        }
        texts.push(t);
    }
    let mut selected: Option<Vec<u8>> = None;
    let mut emit = |out: &mut Values, name: &[u8], value: Option<&[u8]>| match select {
        Some(_) => selected = Some(value.unwrap_or(name).to_vec()),
        None => {
            out.push_bytes(name);
            if let Some(v) = value {
                out.push_bytes(v);
            }
        }
    };
    let mut idx = 0;
    while idx < texts.len() {
        let arg = &texts[idx];
        if arg.as_slice() == b"--" {
            break;
        }
        if arg.len() > 2 && arg[0] == b'-' && arg[1] == b'-' {
            idx += 1;
            continue;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            break;
        }
        let mut j = 1;
        while j < arg.len() {
            let opt = arg[j];
            if opt == b':' || !valid[opt as usize] {
                if select.is_none() {
                    out.push_bytes(b"?");
                }
                j += 1;
                continue;
            }
            let matched = select.is_none_or(|s| s == opt);
            let name = &arg[j..j + 1];
            if !with_arg[opt as usize] {
                if matched {
                    emit(out, name, None);
                }
                j += 1;
                continue;
            }
            let value: Option<&[u8]> = if j + 1 < arg.len() {
                Some(&arg[j + 1..])
            } else if idx + 1 < texts.len() {
                idx += 1;
                Some(&texts[idx])
            } else {
                None
            };
            if matched {
                match value {
                    Some(v) => emit(out, name, Some(v)),
                    None => emit(out, b"", None),
                }
            }
            break;
        }
        idx += 1;
    }
    match select {
        Some(_) => match selected {
            Some(v) => {
                out.push_bytes(&v);
                true
            }
            None => false,
        },
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &Values) -> Vec<String> {
        v.iter()
            .map(|x| match x {
                ValueRef::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn vals(items: &[&str]) -> Values {
        let mut v = Values::new();
        for i in items {
            v.push_bytes(i.as_bytes());
        }
        v
    }

    #[test]
    fn base64() {
        assert_eq!(b64_decode(b"aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(b64_decode(b"aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(b64_decode(b"YWFhLWJiYg"), Some(b"aaa-bbb".to_vec()));
        assert_eq!(b64_decode(b""), Some(Vec::new()));
        assert_eq!(b64_decode(b"=="), None);
        assert_eq!(b64_decode(b"a"), None);
        assert_eq!(b64_decode(b"aGVsbG9"), None, "non-zero trailing bits");
        assert_eq!(b64_decode(b"a$=="), None);
    }

    #[test]
    fn getopt_cases() {
        let run = |args: &[&str], opts: &str, sel: Option<u8>| {
            let mut out = Values::new();
            let ok = getopt(&vals(args), &vals(&[opts]), sel, &mut out);
            ok.then(|| strs(&out))
        };
        assert_eq!(
            run(&["-nt", "hello"], "nt:", None),
            Some(vec!["n".into(), "t".into(), "hello".into()])
        );
        assert_eq!(
            run(&["-x", "-n"], "n", None),
            Some(vec!["?".into(), "n".into()])
        );
        assert_eq!(
            run(&["-n", "--", "-t"], "nt:", None),
            Some(vec!["n".into()])
        );
        assert_eq!(run(&["--exec"], "e:", None), Some(vec![]));
        assert_eq!(run(&["-t"], ":t:", None), Some(vec!["".into()]));
        assert_eq!(
            run(&["-t", "v1", "-t", "v2"], "t:", Some(b't')),
            Some(vec!["v2".into()])
        );
        assert_eq!(
            run(&["-t", "v1", "-t"], "t:", Some(b't')),
            Some(vec!["".into()])
        );
        assert_eq!(run(&["-n"], "nt:", Some(b't')), None);
        assert_eq!(run(&["arg1", "-n"], "n", None), Some(vec![]));
    }

    #[test]
    fn unary_transformers() {
        let mut out = Values::new();
        assert!(unary(
            TransformerKind::Basename,
            FieldType::Charbuf,
            false,
            FieldType::Charbuf,
            &vals(&["/usr/bin/"]),
            &mut out
        ));
        assert_eq!(strs(&out), vec![""]);
        out.clear();
        assert!(unary(
            TransformerKind::Len,
            FieldType::Charbuf,
            true,
            FieldType::Uint64,
            &vals(&["a", "b"]),
            &mut out
        ));
        assert_eq!(out.first(), Some(ValueRef::U64(2)));
        out.clear();
        assert!(!unary(
            TransformerKind::B64,
            FieldType::Charbuf,
            false,
            FieldType::Charbuf,
            &vals(&["***"]),
            &mut out
        ));
    }
}
