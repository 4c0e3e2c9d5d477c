//! Tests of the span-keeping rules-file reader (`falcoc_lang::rulefile`).
//!
//! * every rule file of `shared/corpus/rules` reads without error, with the item counts of
//!   the corpus manifest, and every scalar of every item maps back to the source exactly
//!   (each verbatim value byte is the source byte at its `source_offset`; each escaped
//!   character maps to its backslash or quote pair);
//! * edge cases of rules-file.md §1 and of the YAML layer (empty files, wrong shapes,
//!   invalid UTF-8, NUL bytes, deep nesting, aliases, multiple documents, errors);
//! * a property test embedding generated condition-like strings in every scalar style.
//!
//! The corpus is read from `../shared` relative to the workspace (CI has it); if it is
//! absent the corpus tests print a note and pass.

use std::path::{Path, PathBuf};
use std::time::Instant;

use falcoc_lang::rulefile::{
    parse_yaml, read_rules_file, ItemKind, Node, ReadResult, Scalar, ScalarStyle, MAX_DEPTH,
};
use proptest::prelude::*;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/rules");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} not found; corpus tests skipped",
            dir.to_string_lossy()
        );
        None
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

/// Checks the value-to-source map of one scalar; returns the number of characters checked.
fn check_scalar(text: &str, s: &Scalar, what: &str) -> usize {
    assert!(
        s.is_precise(),
        "{what}: marker pass disagrees with the parser"
    );
    let v = s.value();
    let mut checked = 0;
    for (i, c) in v.char_indices() {
        let off = s.source_offset(i);
        assert!(
            off >= s.span().start as usize && off <= s.span().end as usize,
            "{what}: offset {off} of value byte {i} outside the scalar {:?}",
            s.span()
        );
        if s.is_verbatim(i) {
            assert!(
                text[off..].starts_with(c),
                "{what}: value char {c:?} at {i} maps to {:?}",
                &text[off..(off + 8).min(text.len())]
            );
            checked += 1;
        } else if !c.is_whitespace() {
            // Only escapes produce non-white-space characters.
            match s.style() {
                ScalarStyle::DoubleQuoted => assert_eq!(&text[off..off + 1], "\\", "{what}"),
                ScalarStyle::SingleQuoted => {
                    assert_eq!(c, '\'', "{what}");
                    assert_eq!(&text[off..off + 2], "''", "{what}");
                }
                style => panic!("{what}: produced {c:?} in a {style:?} scalar"),
            }
        }
    }
    // The end of the value maps to the end of the content.
    assert_eq!(s.source_offset(v.len()), s.content_span().end as usize);
    checked
}

/// Checks every scalar below `node`.
fn check_tree(text: &str, node: &Node, what: &str) -> usize {
    match node {
        Node::Null(_) => 0,
        Node::Scalar(s) => check_scalar(text, s, what),
        Node::Sequence(seq) => seq.items.iter().map(|n| check_tree(text, n, what)).sum(),
        Node::Mapping(m) => m
            .entries
            .iter()
            .map(|e| check_tree(text, &e.key, what) + check_tree(text, &e.value, what))
            .sum(),
    }
}

/// Per-file item counts from the corpus manifest, read with our own YAML parser.
fn manifest_counts(dir: &Path) -> Vec<(String, Option<[usize; 3]>)> {
    let text = std::fs::read_to_string(dir.join("manifest.yaml")).unwrap_or_default();
    let (docs, err) = parse_yaml(&text);
    assert!(err.is_none(), "manifest: {err:?}");
    let mut out = Vec::new();
    let files = docs
        .first()
        .and_then(|d| d.get("files"))
        .and_then(Node::as_sequence);
    for f in files.map(|s| s.items.as_slice()).unwrap_or_default() {
        let name = f.get("file").and_then(Node::as_str).unwrap_or_default();
        // Files PyYAML rejects (`yaml_parse`) have no counts.
        let counts = f.get("counts").map(|c| {
            let count = |k: &str| {
                c.get(k)
                    .and_then(Node::as_str)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            [count("rule"), count("macro"), count("list")]
        });
        out.push((name.to_string(), counts));
    }
    out
}

#[test]
fn corpus_rule_files_read_and_map_back() {
    let Some(dir) = corpus_dir() else { return };
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    let manifest = manifest_counts(&dir);
    let mut n_files = 0;
    let mut n_conditions = 0;
    let mut n_chars = 0;
    for path in files {
        let rel = path
            .strip_prefix(&dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if rel == "manifest.yaml" {
            continue;
        }
        n_files += 1;
        let bytes = std::fs::read(&path).unwrap_or_default();
        let r = read_rules_file(&rel, &bytes);
        assert!(r.diagnostics.is_empty(), "{rel}: {:?}", r.diagnostics);
        let count = |k: ItemKind| r.items.iter().filter(|i| i.kind == k).count();
        let counts = [
            count(ItemKind::Rule),
            count(ItemKind::Macro),
            count(ItemKind::List),
        ];
        let expected = manifest.iter().find(|(f, _)| *f == rel).map(|(_, c)| *c);
        let Some(expected) = expected else {
            panic!("{rel} is not in the manifest");
        };
        if let Some(expected) = expected {
            assert_eq!(counts, expected, "{rel}: rule/macro/list counts");
        }
        for item in &r.items {
            let what = format!("{rel}: {:?} {:?}", item.kind, item.name_str());
            assert_eq!(
                &r.text[item.key_span.range()],
                item.kind.key().unwrap_or(&r.text[item.key_span.range()])
            );
            n_chars += check_tree(&r.text, &Node::Mapping(item.map.clone()), &what);
            if matches!(item.kind, ItemKind::Macro | ItemKind::Rule) {
                if let Some(cond) = item.get("condition").and_then(Node::as_scalar) {
                    n_conditions += 1;
                    // Every non-white-space character of a condition is found at its
                    // source offset (escapes excepted, checked above).
                    for (i, c) in cond.value().char_indices() {
                        if !c.is_whitespace() && cond.is_verbatim(i) {
                            assert!(r.text[cond.source_offset(i)..].starts_with(c), "{what}");
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n_files, manifest.len(), "every manifest file is present");
    eprintln!(
        "corpus: {n_files} files, {n_conditions} conditions, {n_chars} verbatim chars checked"
    );
    assert!(n_conditions > 9_000);
}

fn read(text: &str) -> ReadResult {
    read_rules_file("test.yaml", text.as_bytes())
}

fn assert_clean(r: &ReadResult) {
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
}

#[test]
fn empty_whitespace_and_comment_only_files() {
    for text in [
        "",
        "\n\n",
        "   \n\t\n",
        "# only a comment\n# another",
        "---\n",
        "--- ~\n...\n",
    ] {
        let r = read(text);
        assert_clean(&r);
        assert!(r.items.is_empty(), "{text:?}");
    }
}

#[test]
fn scalar_top_level_is_not_yaml() {
    let r = read("just some text\n");
    assert!(r.items.is_empty());
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_VALIDATE");
    assert_eq!(e.message, "Rules content is not yaml");
}

#[test]
fn mapping_top_level_is_not_an_array() {
    let r = read("rule: x\ncondition: y\n");
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_VALIDATE");
    assert_eq!(e.message, "Rules content is not yaml array of objects");
}

#[test]
fn non_mapping_element_stops_the_file() {
    let r = read("- rule: a\n- just a string\n- rule: b\n");
    assert_eq!(r.items.len(), 1);
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_VALIDATE");
    assert_eq!(
        e.message,
        "Unexpected element type. Each element should be a yaml associative array."
    );
    let span = e.primary.map(|l| l.span).unwrap_or_default();
    assert_eq!(&r.text[span.range()], "just a string");
}

#[test]
fn null_elements_are_skipped() {
    let r = read("- rule: a\n-\n- ~\n- null\n-\n- macro: b\n");
    assert_clean(&r);
    assert_eq!(r.items.len(), 2);
    assert_eq!(r.items[1].index, 5);
    // A quoted "null" is a string, hence an error.
    let r = read("- rule: a\n- \"null\"\n");
    assert!(r.has_errors());
}

#[test]
fn invalid_utf8_reports_the_offset() {
    let mut bytes = b"- rule: a\n  desc: caf".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28, b'\n']);
    let r = read_rules_file("bad.yaml", &bytes);
    assert!(r.items.is_empty());
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_PARSE");
    assert!(e.message.contains("byte offset 21"), "{}", e.message);
    assert_eq!(e.primary.map(|l| l.span.start), Some(21));
}

#[test]
fn nul_bytes_and_binary_data_are_clean_errors() {
    let r = read_rules_file("nul.yaml", b"- rule: a\0b\n");
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_PARSE");
    assert!(
        e.message.contains("NUL byte at byte offset 9"),
        "{}",
        e.message
    );
    // Pseudo-random binary data.
    let mut x: u32 = 12345;
    let data: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    let r = read_rules_file("bin", &data);
    assert!(r.has_errors());
    assert!(r.items.is_empty());
}

#[test]
fn deep_nesting_is_a_located_error() {
    let cases = [
        "[".repeat(100_000),
        "{".repeat(100_000),
        "- ".repeat(100_000),
        format!("- a: {}", "[".repeat(100_000)),
        (0..2000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect(),
    ];
    for text in &cases {
        let r = read(text);
        let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
        assert_eq!(e.code, "LOAD_ERR_YAML_PARSE");
        assert!(
            e.message.contains("nesting deeper than 500"),
            "{}",
            e.message
        );
        assert!(e.message.starts_with("error at line 1, column ") || text.contains('\n'));
        assert!(e.primary.is_some());
    }
    // Exactly MAX_DEPTH levels are fine.
    let ok = format!(
        "- x: {}1{}",
        "[".repeat(MAX_DEPTH - 3),
        "]".repeat(MAX_DEPTH - 3)
    );
    let r = read(&ok);
    assert_clean(&r);
    let too_deep = format!(
        "- x: {}1{}",
        "[".repeat(MAX_DEPTH - 2),
        "]".repeat(MAX_DEPTH - 2)
    );
    assert!(read(&too_deep).has_errors());
}

#[test]
fn item_kind_order() {
    let r = read(
        "- rule: r1\n  macro: m1\n- macro: m2\n  list: l2\n- rule: r3\n  required_engine_version: 9\n\
         - required_plugin_versions: []\n  required_engine_version: 1\n- desc: what\n- {}\n",
    );
    assert_clean(&r);
    let got: Vec<_> = r.items.iter().map(|i| (i.kind, i.name_str())).collect();
    assert_eq!(
        got,
        [
            (ItemKind::Macro, Some("m1")),
            (ItemKind::List, Some("l2")),
            (ItemKind::RequiredEngineVersion, Some("9")),
            (ItemKind::RequiredEngineVersion, Some("1")),
            (ItemKind::Unknown, None),
            (ItemKind::Unknown, None),
        ]
    );
    assert_eq!(&r.text[r.items[0].key_span.range()], "macro");
    assert_eq!(&r.text[r.items[4].key_span.range()], "desc");
    assert_eq!(&r.text[r.items[5].key_span.range()], "{}");
}

#[test]
fn multiple_documents() {
    let r = read(
        "---\n- rule: a\n...\n---\n# empty\n---\n- macro: b\n--- ~\n---\n- list: c\n  items: []\n",
    );
    assert_clean(&r);
    let names: Vec<_> = r.items.iter().map(|i| (i.name_str(), i.document)).collect();
    assert_eq!(names, [(Some("a"), 0), (Some("b"), 2), (Some("c"), 4)]);
    assert_eq!(r.documents, 5);
    // A shape error in a later document stops there.
    let r = read("- rule: a\n---\nx: 1\n---\n- rule: b\n");
    assert_eq!(r.items.len(), 1);
    assert_eq!(
        r.error().map(|e| e.message.as_str()),
        Some("Rules content is not yaml array of objects")
    );
}

#[test]
fn syntax_error_keeps_preceding_items() {
    let text = "- rule: a\n  desc: x\n- macro: b\n  condition: [a, b\n- rule: c\n";
    let r = read(text);
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_PARSE");
    assert!(e.message.starts_with("error at line "), "{}", e.message);
    let names: Vec<_> = r.items.iter().map(Item::name_str).collect();
    assert_eq!(names, [Some("a")]);
    // An error in a later document: earlier documents are kept, and the syntax error
    // comes first even after a shape error.
    let r = read("- rule: a\n---\n- rule: b\n  c: d: e\n");
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.error().map(|e| e.code), Some("LOAD_ERR_YAML_PARSE"));
    let r = read("- rule: a\n- 5\n---\n- [\n");
    assert_eq!(r.diagnostics.len(), 2);
    assert_eq!(r.diagnostics[0].code, "LOAD_ERR_YAML_PARSE");
    assert_eq!(r.diagnostics[1].code, "LOAD_ERR_YAML_VALIDATE");
    assert_eq!(r.items.len(), 1);
}

use falcoc_lang::rulefile::Item;

#[test]
fn yaml_error_reads_like_falco() {
    // falcosecurity/testing TestFalco_Legacy_InvalidYamlParseError: Falco prints
    // `yaml-cpp: error at line 1, column 11: illegal map value`.
    let r = read("This : is : not : yaml\n");
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.code, "LOAD_ERR_YAML_PARSE");
    assert_eq!(e.message, "error at line 1, column 11: illegal map value");
    let m = r.mark(e.primary.map_or(0, |l| l.span.start as usize));
    assert_eq!((m.line, m.column, m.offset), (0, 10, 10));
    // Unmapped libyaml wording is kept.
    let r = read("- a: 'unterminated\n");
    assert!(r
        .error()
        .is_some_and(|e| e.message.contains("illegal EOF in scalar")));
}

#[test]
fn falco_positions_of_the_spec_example() {
    // rules-file.md §10.2.
    let text = "- macro: never_used\n  condition: proc.name = foo\n- rule: Read shadow\n  desc: detect reads of /etc/shadow\n  condition: evt.type in (open, openat) and fd.name = /etc/shadow and proc.nme = cat\n  output: \"shadow read (proc=%proc.name)\"\n  priority: WARNING\n";
    let r = read(text);
    assert_clean(&r);
    let m = r.mark(r.items[0].key_span.start as usize);
    assert_eq!((m.line, m.column, m.offset), (0, 2, 2));
    let rule = &r.items[1];
    let m = r.mark(rule.key_span.start as usize);
    assert_eq!((m.line, m.column, m.offset), (2, 2, 51));
    let cond = rule
        .get("condition")
        .and_then(Node::as_scalar)
        .unwrap_or_else(|| panic!("no condition"));
    let m = r.mark(cond.span().start as usize);
    assert_eq!((m.line, m.column, m.offset), (4, 13, 118));
    // The parser error at index 57 of the condition.
    assert_eq!(cond.source_offset(57), 175);
    assert_eq!(r.line_col(175), (5, 71));
}

#[test]
fn duplicate_keys_keep_the_first() {
    let r = read("- macro: m\n  condition: first\n  condition: second\n");
    assert_clean(&r);
    let item = &r.items[0];
    assert_eq!(item.get("condition").and_then(Node::as_str), Some("first"));
    assert_eq!(item.map.entries.len(), 3);
    let dups = item.map.duplicates();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].1.value.as_str(), Some("second"));
}

#[test]
fn aliases_are_resolved_and_bounded() {
    let r = read("- list: a\n  items: &xs [x, \"y\"]\n- list: b\n  items: *xs\n");
    assert_clean(&r);
    assert_eq!(r.items[0].get("items"), r.items[1].get("items"));
    // Billion laughs.
    let mut text = String::from(
        "- a: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        text.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let t0 = Instant::now();
    let r = read(&text);
    let e = r.error().cloned().unwrap_or_else(|| panic!("no error"));
    assert!(
        e.message.contains("alias expansion exceeds"),
        "{}",
        e.message
    );
    assert!(t0.elapsed().as_secs() < 20);
    // Undefined and recursive aliases, and aliases to another document's anchor.
    assert!(read("- a: *nope\n").has_errors());
    assert!(read("- a: &x 1\n---\n- b: *x\n").has_errors());
    assert!(read("- &r [*r]\n").has_errors());
}

#[test]
fn corpus_yaml_edge_cases() {
    // TAB after a comma in a flow sequence, a bare `=`, lone `-` items, no final newline,
    // a closing bracket at the key's indentation, a tab after a colon.
    let text = "- rule: r\n  tags: [GCP, IAM,\tabuse]\n  condition: =\n-\n- list: l\n  items: [\n    a,\n    b\n  ]\n- macro: m\n  condition:\tx and\n    y";
    let r = read(text);
    assert_clean(&r);
    assert_eq!(r.items.len(), 3);
    let tags = r.items[0].get("tags").and_then(Node::as_sequence);
    assert_eq!(tags.map(|t| t.items.len()), Some(3));
    assert_eq!(
        r.items[0].get("condition").and_then(Node::as_str),
        Some("=")
    );
    assert_eq!(
        r.items[2].get("condition").and_then(Node::as_str),
        Some("x and y")
    );
}

#[test]
fn tabs_on_blank_and_comment_lines() {
    // yaml-cpp skips them; libyaml needs the second pass. (Right after a block scalar
    // such a line is an error for both: a TAB where indentation is expected.)
    let text = "\t\n- macro: m\n  condition: >\n    a\n\n    b\n  desc: d\n\t\n\t# comment\n  \t  \n- rule: r\n  desc: \"x\n\t\n  y\"\n";
    let r = read(text);
    assert_clean(&r);
    assert_eq!(r.items.len(), 2);
    assert_eq!(
        r.items[0].get("condition").and_then(Node::as_str),
        Some("a\nb\n")
    );
    assert_eq!(r.items[1].get("desc").and_then(Node::as_str), Some("x\ny"));
    // A blank line whose TAB is content of a literal block: the value must not change,
    // so the original error stands.
    let text = "\t\n- macro: m\n  condition: |\n    a\n    \t\n    b\n";
    let r = read(text);
    assert!(r.has_errors(), "{:?}", r.items);
    assert!(r
        .error()
        .is_some_and(|e| e.message.starts_with("error at line 1, column 1")));
}

#[test]
fn block_scalar_at_end_of_file_without_newline() {
    for (text, expected) in [
        ("- macro: m\n  condition: >\n    a and\n    b", "a and b"),
        ("- macro: m\n  condition: |\n    a\n    b", "a\nb"),
        ("- macro: m\n  condition: |-\n    a", "a"),
        ("- macro: m\n  condition: |+\n    a", "a"),
        ("- macro: m\n  condition: \"a\\\n    b\"", "ab"),
    ] {
        let r = read(text);
        assert_clean(&r);
        let c = r.items[0]
            .get("condition")
            .and_then(Node::as_scalar)
            .unwrap_or_else(|| panic!("{text:?}"));
        assert_eq!(c.value(), expected, "{text:?}");
        check_scalar(&r.text, c, text);
    }
    // Unterminated escapes and quotes at EOF are errors, not panics.
    for text in [
        "- a: \"x\\",
        "- a: \"x",
        "- a: 'x",
        "- a: |",
        "- a: [!t, b]",
        "- !",
    ] {
        let r = read(text);
        let _ = r.has_errors();
    }
    assert!(read("- a: [!t, b]\n").has_errors());
}

#[test]
fn bom_and_crlf() {
    let text = "\u{feff}- macro: m\r\n  condition: >\r\n    a and\r\n    \"b\"\r\n- rule: x\r\n  condition: 'p\r\n    q'\r\n";
    let r = read(text);
    assert_clean(&r);
    let m = r.mark(r.items[0].key_span.start as usize);
    assert_eq!((m.line, m.column, m.offset), (0, 2, 2));
    let c = r.items[0].get("condition").and_then(Node::as_scalar);
    assert_eq!(c.map(Scalar::value), Some("a and \"b\"\n"));
    for item in &r.items {
        check_tree(&r.text, &Node::Mapping(item.map.clone()), "bom/crlf");
    }
}

#[test]
fn tricky_scalars_map_back() {
    let cases = [
        "- macro: m\n  condition: >-\n    a\n\n    b\n      c\n    d \n  x: 1\n",
        "- macro: m\n  condition: |2+\n      a\n    b\n\n\n  x: 1\n",
        "- macro: m\n  condition: >2\n     more\n    less\n",
        "- macro: m\n  condition: \"\\ta\\u00e9\\x41 \\\" \\\\ \\/ \\N\\_\\L\\P\\0\\e \n\n   end\"\n",
        "- macro: m\n  condition: 'it''s\n\n\n    a''b  '\n",
        "- macro: m\n  condition: plain\twith\ttabs\n     and more   lines\n\n\n     end # comment\n",
        "- macro: m\n  condition: !!str &anchor\n    tagged plain\n- macro: n\n  condition: *anchor\n",
        "- macro: m\n  condition: é ü ∀ 😀\n    ß\n",
        "a\u{2028}b\u{85}c\n",
        "- macro: m\n  condition: |\n   \n    text\n",
        "- macro: m\n  condition: >\n    # not a comment\n    x\n",
        "- macro: m\n  condition: |  # header comment\n    a\n",
        "- [a, \"b\n  c\", 'd\n\n  e', f\n  g]\n",
        "- {a: \"x\", b: 'y', c: z\n   w}\n",
        "- ? complex key\n  : value\n",
    ];
    for text in cases {
        let (docs, err) = parse_yaml(text);
        assert!(err.is_none(), "{text:?}: {err:?}");
        for d in &docs {
            check_tree(text, d, text);
        }
    }
}

#[test]
fn source_span_of_a_condition_token() {
    let text = "- macro: m\n  condition: >\n    proc.name = foo and\n    fd.nme exists\n";
    let r = read(text);
    let c = r.items[0]
        .get("condition")
        .and_then(Node::as_scalar)
        .unwrap_or_else(|| panic!("no condition"));
    let i = c.value().find("fd.nme").unwrap_or(0);
    let span = c.source_span(i..i + 6);
    assert_eq!(&text[span.range()], "fd.nme");
    assert_eq!(r.line_col(span.start as usize), (4, 5));
    let m = r.mark(span.start as usize);
    assert_eq!((m.line, m.column), (3, 4));
}

/// Reading time grows linearly with the input.
#[test]
fn linear_time() {
    let unit = "- macro: m\n  condition: >\n    evt.type in (open, openat) and fd.name startswith /etc\n    and not proc.name in (a, b, c)\n- rule: r\n  desc: \"x\\ty\"\n  condition: 'a = b'\n  output: out %proc.name\n  priority: INFO\n  tags: [a, b, c]\n";
    // Best of two runs, to be robust against a busy machine.
    let time = |n: usize| {
        let text = unit.repeat(n);
        (0..2)
            .map(|_| {
                let t0 = Instant::now();
                let r = read(&text);
                assert_eq!(r.items.len(), 2 * n);
                t0.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let small = time(1_000).max(1e-3);
    let big = time(8_000);
    assert!(
        big / small < 40.0,
        "8x input took {:.1}x the time ({small:.3}s, {big:.3}s)",
        big / small
    );
}

/// A 50 MB file (run with `cargo test --release -- --ignored big_file`).
#[test]
#[ignore]
fn big_file_50mb() {
    let unit = "- macro: m\n  condition: >\n    evt.type in (open, openat) and fd.name startswith /etc\n    and not proc.name in (a, b, c)\n- rule: r\n  desc: \"x\\ty\"\n  condition: 'a = b'\n  output: out %proc.name\n  priority: INFO\n  tags: [a, b, c]\n";
    let text = unit.repeat(50_000_000 / unit.len());
    let t0 = Instant::now();
    let r = read(&text);
    eprintln!(
        "{} bytes, {} items in {:.2}s",
        text.len(),
        r.items.len(),
        t0.elapsed().as_secs_f64()
    );
    assert_clean(&r);
}

// ---------------------------------------------------------------------------------------
// Property test: condition-like strings embedded in every scalar style.

/// Condition-like text: tokens separated by single spaces.
fn condition() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[a-z][a-z0-9_.]{0,10}",
        Just("=".to_string()),
        Just("!=".to_string()),
        Just("and".to_string()),
        Just("or".to_string()),
        Just("not".to_string()),
        Just("in".to_string()),
        "\\([a-z0-9_,]{0,6}( [a-z]{1,3}){0,2}\\)",
        "'[a-z /]{0,6}'",
        "\"[a-z /]{0,6}\"",
        "[<>=!]{1,2}",
        "/[a-z/]{1,12}",
        "[0-9]{1,5}",
        "%[a-z.]{1,8}",
        "[éüß∀😀][a-z]{0,3}",
        "[a-z]{1,3}\\[[0-9]\\]",
        "[a-z]{1,3}\\\\[a-z]{1,3}",
        "#[a-z]{1,3}",
        "[a-z]{1,3}:[a-z]{1,3}",
    ];
    proptest::collection::vec(token, 1..12).prop_map(|v| v.join(" "))
}

/// Positions of single spaces between two non-space characters (safe folding points).
fn fold_points(s: &str) -> Vec<usize> {
    let b = s.as_bytes();
    (1..b.len().saturating_sub(1))
        .filter(|&i| b[i] == b' ' && b[i - 1] != b' ' && b[i + 1] != b' ')
        .collect()
}

/// `s` written in `style` at a value indentation of 4; returns the YAML text (after
/// `condition: `), the expected value and, per value byte, whether an escape produces it.
fn embed(s: &str, style: u8, picks: &[bool]) -> Option<(String, String, Vec<bool>)> {
    let pick = |i: usize| picks.get(i % picks.len().max(1)).copied().unwrap_or(false);
    let folds = fold_points(s);
    let fold_here = |i: usize| folds.contains(&i) && pick(i);
    let mut escaped = vec![false; s.len()];
    let mut out = String::new();
    let expected = match style {
        // Double-quoted, with escapes and folded lines.
        0 => {
            out.push('"');
            for (i, c) in s.char_indices() {
                match c {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                        escaped[i..i + 1].fill(true);
                    }
                    ' ' if fold_here(i) => out.push_str("\n    "),
                    'a'..='f' if pick(i + 1) => {
                        out.push_str(&format!("\\x{:02x}", u32::from(c)));
                        escaped[i] = true;
                    }
                    'é' if pick(i) => {
                        out.push_str("\\u00e9");
                        escaped[i..i + c.len_utf8()].fill(true);
                    }
                    '😀' if pick(i) => {
                        out.push_str("\\U0001F600");
                        escaped[i..i + c.len_utf8()].fill(true);
                    }
                    _ => out.push(c),
                }
            }
            out.push('"');
            s.to_string()
        }
        // Single-quoted with folded lines.
        1 => {
            out.push('\'');
            for (i, c) in s.char_indices() {
                match c {
                    '\'' => {
                        out.push_str("''");
                        escaped[i] = true;
                    }
                    ' ' if fold_here(i) => out.push_str("\n    "),
                    _ => out.push(c),
                }
            }
            out.push('\'');
            s.to_string()
        }
        // Plain, folded, when the text is plain-safe.
        2 => {
            let first = s.chars().next()?;
            if "-?:,[]{}#&*!|>'\"%@`".contains(first)
                || s.contains(": ")
                || s.contains(" #")
                || s.ends_with(':')
                || matches!(s, "~" | "null" | "Null" | "NULL")
            {
                return None;
            }
            for (i, c) in s.char_indices() {
                if c == ' ' && fold_here(i) {
                    out.push_str("\n    ");
                } else {
                    out.push(c);
                }
            }
            s.to_string()
        }
        // Literal, strip chomping, lines split at some spaces; explicit indentation
        // indicator on every other case.
        3 => {
            let explicit = pick(0);
            out.push_str(if explicit { "|2-\n    " } else { "|-\n    " });
            let mut value = String::new();
            for (i, c) in s.char_indices() {
                if c == ' ' && fold_here(i) {
                    out.push_str("\n    ");
                    value.push('\n');
                } else {
                    out.push(c);
                    value.push(c);
                }
            }
            if s.starts_with(' ') && !explicit {
                return None;
            }
            value
        }
        // Folded, clip chomping, lines split at some spaces.
        _ => {
            out.push_str(">\n    ");
            for (i, c) in s.char_indices() {
                if c == ' ' && fold_here(i) {
                    out.push_str("\n    ");
                } else {
                    out.push(c);
                }
            }
            format!("{s}\n")
        }
    };
    Some((out, expected, escaped))
}

proptest! {
    #[test]
    fn embedded_conditions_map_back(
        s in condition(),
        style in 0u8..5,
        picks in proptest::collection::vec(any::<bool>(), 1..16),
        trailer in any::<bool>(),
    ) {
        let Some((yaml, expected, escaped)) = embed(&s, style, &picks) else {
            return Ok(());
        };
        let text = if trailer {
            format!("- macro: m\n  condition: {yaml}\n  x: y\n")
        } else {
            format!("- macro: m\n  condition: {yaml}")
        };
        let r = read(&text);
        prop_assert!(r.diagnostics.is_empty(), "{:?}\n{}", r.diagnostics, text);
        let cond = r.items[0].get("condition").and_then(Node::as_scalar);
        let Some(cond) = cond else {
            return Err(TestCaseError::fail(format!("no condition in {text}")));
        };
        let exp = if style == 4 && !trailer { expected.trim_end_matches('\n') } else { expected.as_str() };
        prop_assert_eq!(cond.value(), exp, "{}", text);
        prop_assert!(cond.is_precise());
        check_scalar(&text, cond, &text);
        if style != 3 {
            // The value is `s` itself: every character that was not escaped is copied.
            for (i, c) in s.char_indices() {
                if c != ' ' && !escaped[i] {
                    prop_assert!(cond.is_verbatim(i), "{:?} at {} in {}", c, i, text);
                    prop_assert!(text[cond.source_offset(i)..].starts_with(c));
                }
                if escaped[i] {
                    prop_assert!(!cond.is_verbatim(i));
                }
            }
        }
    }
}

proptest! {
    /// Any YAML-ish text: the reader never panics (parser panics are caught and reported),
    /// and whenever the parser accepts the text, the marker pass reproduces every scalar.
    #[test]
    fn arbitrary_yaml_never_panics_and_maps_back(
        text in prop_oneof![
            "([ab:#'\"|>!&*?%,\\[\\]{}\\\\\\-]|  |\n|\t|\r\n|é| - |: |x\\\\ny|\\|2-|\\|\\+|>-|'')*",
            "(- |[a-z]{1,4}: |[a-z]{1,5}| |\n|\n  |\n    |\n      |\n\n|'[a-z ]{0,4}'|\"[a-z \\\\n]{0,4}\"|\\|\n|>-\n|\\|2\n| #c|\t|\\[a, b\\]|\\{a: b\\}|\r\n)*",
        ],
    ) {
        let r = read(&text);
        let _ = r.has_errors();
        let (docs, err) = parse_yaml(&text);
        if err.is_none() {
            for d in &docs {
                check_tree(&text, d, &text);
            }
        }
    }
}
