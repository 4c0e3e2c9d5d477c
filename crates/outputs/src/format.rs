//! Falco's text alert line (outputs.md §3) and JSON alert object (§4, §5).
//!
//! * Text: `<time>: <Priority> <message>`, `<time>` being `%evt.time` (local
//!   `HH:MM:SS.nnnnnnnnn` in the [`TimeZone`] of [`FormatOptions`]) or, with
//!   `time_format_iso_8601`, `%evt.time.iso8601` (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000`,
//!   always UTC). No trailing newline: the channels add it.
//! * JSON: compact, keys in alphabetical order (`hostname`, `message`, `output`,
//!   `output_fields`, `priority`, `rule`, `source`, `tags`, `time`) as nlohmann's
//!   `std::map` prints them; `output_fields` sorted by key (byte order) with the prefix
//!   time field added as the integer nanosecond timestamp; `tags` sorted and unique;
//!   `time` is always `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`. Strings are escaped as nlohmann
//!   does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as
//!   `\u00xx`; non-ASCII text as is), which is what `serde_json` does too.
//! * Internal alerts (source `internal`, §5): text `<local time>: <Priority> <message>
//!   (k1=v1 k2=v2 …)` with keys sorted and each value JSON-encoded; JSON with `hostname`,
//!   `output` (the message, no prefix), `output_fields`, `priority`, `rule`, `source`,
//!   `time`, whatever the `json_include_*` options say.
//!
//! [`parse_json_alert`] reads such a JSON line back into an [`Alert`] and the layout it
//! was printed with, so that formatting it again reproduces the same bytes.

use falcoc_compiler::priority::Priority;
use falcoc_config::Config;
use falcoc_engine::time::{iso8601_time, json_time, parse_json_time, text_time, TimeZone};
use falcoc_engine::Alert;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The formatting settings of `falco.yaml` (plus the time zone of the text prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatOptions {
    /// `json_output` (default false).
    pub json_output: bool,
    /// `json_include_output_property` (default true).
    pub json_include_output_property: bool,
    /// `json_include_message_property` (default false).
    pub json_include_message_property: bool,
    /// `json_include_output_fields_property` (default true).
    pub json_include_output_fields_property: bool,
    /// `json_include_tags_property` (default true).
    pub json_include_tags_property: bool,
    /// `time_format_iso_8601` (default false).
    pub time_format_iso_8601: bool,
    /// The zone of the `HH:MM:SS` prefix (UTC by default).
    pub timezone: TimeZone,
}

impl Default for FormatOptions {
    fn default() -> FormatOptions {
        FormatOptions {
            json_output: false,
            json_include_output_property: true,
            json_include_message_property: false,
            json_include_output_fields_property: true,
            json_include_tags_property: true,
            time_format_iso_8601: false,
            timezone: TimeZone::UTC,
        }
    }
}

impl FormatOptions {
    /// The options of a configuration, with the given time zone.
    pub fn from_config(config: &Config, timezone: TimeZone) -> FormatOptions {
        FormatOptions {
            json_output: config.json_output,
            json_include_output_property: config.json_include_output_property,
            json_include_message_property: config.json_include_message_property,
            json_include_output_fields_property: config.json_include_output_fields_property,
            json_include_tags_property: config.json_include_tags_property,
            time_format_iso_8601: config.time_format_iso_8601,
            timezone,
        }
    }
}

/// The prefix time of a rule alert's text line, per `time_format_iso_8601`.
fn prefix_time(ns: u64, opts: &FormatOptions) -> String {
    if opts.time_format_iso_8601 {
        iso8601_time(ns)
    } else {
        text_time(ns, opts.timezone)
    }
}

/// The key of the prefix time field in `output_fields`.
fn prefix_field(opts: &FormatOptions) -> &'static str {
    if opts.time_format_iso_8601 {
        "evt.time.iso8601"
    } else {
        "evt.time"
    }
}

/// Falco's text alert line (§3; §5 for internal alerts), without the final newline.
pub fn text_line(alert: &Alert, opts: &FormatOptions) -> String {
    if alert.is_internal() {
        let mut s = format!(
            "{}: {} {} (",
            text_time(alert.time_ns, opts.timezone),
            alert.priority.name(),
            alert.message
        );
        for (i, (k, v)) in sorted_fields(&alert.output_fields).into_iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{k}={}", json(v));
        }
        s.push(')');
        return s;
    }
    format!(
        "{}: {} {}",
        prefix_time(alert.time_ns, opts),
        alert.priority.name(),
        alert.message
    )
}

/// The output fields sorted by key; for a repeated key, the last value.
fn sorted_fields(fields: &[(String, Value)]) -> BTreeMap<&str, &Value> {
    fields.iter().map(|(k, v)| (k.as_str(), v)).collect()
}

/// Compact JSON of a value (map keys sorted, as `serde_json`'s default map does).
fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    // Serialising strings, numbers and `Value`s into a String cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}

/// Falco's JSON alert object (§4; §5 for internal alerts), one line, no newline.
pub fn json_alert(alert: &Alert, opts: &FormatOptions) -> String {
    let internal = alert.is_internal();
    let mut out = String::with_capacity(256 + alert.message.len() * 2);
    out.push('{');
    let mut first = true;
    let mut key = |out: &mut String, k: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
    };
    key(&mut out, "hostname");
    out.push_str(&json(&alert.hostname));
    if internal {
        key(&mut out, "output");
        out.push_str(&json(&alert.message));
    } else {
        if opts.json_include_message_property {
            key(&mut out, "message");
            out.push_str(&json(&alert.message));
        }
        if opts.json_include_output_property {
            key(&mut out, "output");
            out.push_str(&json(&text_line(alert, opts)));
        }
    }
    if internal || opts.json_include_output_fields_property {
        key(&mut out, "output_fields");
        let mut fields = sorted_fields(&alert.output_fields);
        let time_value = Value::from(alert.time_ns);
        if !internal {
            fields.insert(prefix_field(opts), &time_value);
        }
        out.push('{');
        for (i, (k, v)) in fields.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json(k));
            out.push(':');
            out.push_str(&json(v));
        }
        out.push('}');
    }
    key(&mut out, "priority");
    out.push_str(&json(alert.priority.name()));
    key(&mut out, "rule");
    out.push_str(&json(&alert.rule));
    key(&mut out, "source");
    out.push_str(&json(&alert.source));
    if !internal && opts.json_include_tags_property {
        key(&mut out, "tags");
        let mut tags: Vec<&str> = alert.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        tags.dedup();
        out.push_str(&json(&tags));
    }
    key(&mut out, "time");
    out.push_str(&json(&json_time(alert.time_ns)));
    out.push('}');
    out
}

/// The message every channel receives: the JSON object with `json_output`, else the
/// text line.
pub fn format_alert(alert: &Alert, opts: &FormatOptions) -> String {
    if opts.json_output {
        json_alert(alert, opts)
    } else {
        text_line(alert, opts)
    }
}

/// How a JSON alert was printed: which optional properties it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLayout {
    /// `output` present.
    pub output: bool,
    /// `message` present.
    pub message: bool,
    /// `output_fields` present.
    pub output_fields: bool,
    /// `tags` present.
    pub tags: bool,
    /// The prefix time is ISO 8601 (`evt.time.iso8601`).
    pub iso8601: bool,
}

impl JsonLayout {
    /// Format options that print this layout (JSON output, UTC).
    pub fn options(&self) -> FormatOptions {
        FormatOptions {
            json_output: true,
            json_include_output_property: self.output,
            json_include_message_property: self.message,
            json_include_output_fields_property: self.output_fields,
            json_include_tags_property: self.tags,
            time_format_iso_8601: self.iso8601,
            timezone: TimeZone::UTC,
        }
    }
}

/// Reads a JSON alert as Falco prints it back into an [`Alert`] and its [`JsonLayout`].
///
/// The message is taken from `message`, else from `output` minus its `time: Priority `
/// prefix (empty when neither is present); the prefix time field (`evt.time` or
/// `evt.time.iso8601`) is removed from the output fields when it equals the alert time
/// (the formatter adds it back).
pub fn parse_json_alert(line: &str) -> Result<(Alert, JsonLayout), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let str_of = |k: &str| -> Result<String, String> {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("missing string `{k}`"))
    };
    let time = str_of("time")?;
    let time_ns = parse_json_time(&time).ok_or_else(|| format!("bad time {time:?}"))?;
    let priority_name = str_of("priority")?;
    let priority =
        Priority::parse(&priority_name).ok_or_else(|| format!("bad priority {priority_name:?}"))?;
    let source = str_of("source")?;
    let internal = source == falcoc_engine::alert::INTERNAL_SOURCE;
    let output = obj.get("output").and_then(Value::as_str);
    let fields_obj = obj.get("output_fields").and_then(Value::as_object);
    let iso8601 = match fields_obj {
        Some(f) => f.contains_key("evt.time.iso8601") && !f.contains_key("evt.time"),
        None => output.is_some_and(|o| o.get(4..5) == Some("-")),
    };
    let message = if internal {
        output.unwrap_or_default().to_string()
    } else if let Some(m) = obj.get("message").and_then(Value::as_str) {
        m.to_string()
    } else if let Some(o) = output {
        let (_, rest) = o.split_once(": ").ok_or("output has no time prefix")?;
        let rest = rest
            .strip_prefix(priority.name())
            .ok_or("output has no priority")?;
        rest.strip_prefix(' ').unwrap_or(rest).to_string()
    } else {
        String::new()
    };
    let time_key = if iso8601 {
        "evt.time.iso8601"
    } else {
        "evt.time"
    };
    let output_fields = fields_obj
        .map(|f| {
            f.iter()
                .filter(|(k, v)| {
                    internal || !(k.as_str() == time_key && v.as_u64() == Some(time_ns))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let tags = obj
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let alert = Alert {
        rule: str_of("rule")?,
        priority,
        time_ns,
        message,
        output_fields,
        tags,
        source,
        hostname: str_of("hostname")?,
    };
    let layout = JsonLayout {
        output: output.is_some(),
        message: obj.contains_key("message"),
        output_fields: fields_obj.is_some(),
        tags: obj.contains_key("tags"),
        iso8601,
    };
    Ok((alert, layout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_alert() -> Alert {
        Alert {
            rule: "Shell spawned".into(),
            priority: Priority::Warning,
            time_ns: 1_705_312_800_000_380_323,
            message: "Shell spawned (user=root cmd=sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1 parent=cron gp=systemd ggggp=<NA> pid=3008 tty=0 fd=<NA> width=sh          | upper=SH)".into(),
            output_fields: vec![
                ("user.name".into(), "root".into()),
                ("proc.cmdline".into(), "sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1".into()),
                ("proc.pname".into(), "cron".into()),
                ("proc.aname[2]".into(), "systemd".into()),
                ("proc.aname[9]".into(), Value::Null),
                ("proc.pid".into(), 3008.into()),
                ("proc.tty".into(), 0.into()),
                ("fd.name".into(), Value::Null),
                ("proc.name".into(), "sh".into()),
            ],
            tags: vec!["shell".into(), "mitre_execution".into()],
            source: "syscall".into(),
            hostname: "example-host".into(),
        }
    }

    #[test]
    fn spec_text_lines() {
        let a = spec_alert();
        let mut o = FormatOptions::default();
        assert_eq!(
            text_line(&a, &o),
            format!("10:00:00.000380323: Warning {}", a.message)
        );
        o.timezone = TimeZone::fixed(-5 * 3600);
        assert_eq!(
            text_line(&a, &o),
            format!("05:00:00.000380323: Warning {}", a.message)
        );
        o.time_format_iso_8601 = true;
        assert_eq!(
            text_line(&a, &o),
            format!("2024-01-15T10:00:00.000380323+0000: Warning {}", a.message)
        );
    }

    #[test]
    fn spec_json_objects() {
        let a = spec_alert();
        let o = FormatOptions {
            json_output: true,
            ..FormatOptions::default()
        };
        let expected = r#"{"hostname":"example-host","output":"10:00:00.000380323: Warning Shell spawned (user=root cmd=sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1 parent=cron gp=systemd ggggp=<NA> pid=3008 tty=0 fd=<NA> width=sh          | upper=SH)","output_fields":{"evt.time":1705312800000380323,"fd.name":null,"proc.aname[2]":"systemd","proc.aname[9]":null,"proc.cmdline":"sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1","proc.name":"sh","proc.pid":3008,"proc.pname":"cron","proc.tty":0,"user.name":"root"},"priority":"Warning","rule":"Shell spawned","source":"syscall","tags":["mitre_execution","shell"],"time":"2024-01-15T10:00:00.000380323Z"}"#;
        assert_eq!(format_alert(&a, &o), expected);
        let (back, layout) = parse_json_alert(expected).unwrap();
        assert_eq!(json_alert(&back, &layout.options()), expected);

        let o2 = FormatOptions {
            json_output: true,
            json_include_message_property: true,
            json_include_tags_property: false,
            json_include_output_fields_property: false,
            time_format_iso_8601: true,
            ..FormatOptions::default()
        };
        let expected2 = r#"{"hostname":"example-host","message":"Shell spawned (user=root cmd=sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1 parent=cron gp=systemd ggggp=<NA> pid=3008 tty=0 fd=<NA> width=sh          | upper=SH)","output":"2024-01-15T10:00:00.000380323+0000: Warning Shell spawned (user=root cmd=sh -c command -v debian-sa1 > /dev/null && debian-sa1 1 1 parent=cron gp=systemd ggggp=<NA> pid=3008 tty=0 fd=<NA> width=sh          | upper=SH)","priority":"Warning","rule":"Shell spawned","source":"syscall","time":"2024-01-15T10:00:00.000380323Z"}"#;
        assert_eq!(format_alert(&a, &o2), expected2);
        let (back, layout) = parse_json_alert(expected2).unwrap();
        assert_eq!(
            layout.options(),
            FormatOptions {
                json_output: true,
                ..o2
            }
        );
        assert_eq!(json_alert(&back, &layout.options()), expected2);
    }

    #[test]
    fn internal_alert() {
        let a = Alert::syscall_event_drop(
            1_705_312_800_000_000_000,
            "h",
            &[("n_evts", 100), ("n_drops", 3)],
            false,
        );
        let o = FormatOptions::default();
        assert_eq!(
            text_line(&a, &o),
            "10:00:00.000000000: Debug Falco internal: syscall event drop. 3 system calls dropped in last second. (ebpf_enabled=\"0\" n_drops=\"3\" n_evts=\"100\")"
        );
        let j = json_alert(
            &a,
            &FormatOptions {
                json_include_output_property: false,
                ..o
            },
        );
        assert_eq!(
            j,
            r#"{"hostname":"h","output":"Falco internal: syscall event drop. 3 system calls dropped in last second.","output_fields":{"ebpf_enabled":"0","n_drops":"3","n_evts":"100"},"priority":"Debug","rule":"Falco internal: syscall event drop","source":"internal","time":"2024-01-15T10:00:00.000000000Z"}"#
        );
        let (back, layout) = parse_json_alert(&j).unwrap();
        assert_eq!(json_alert(&back, &layout.options()), j);
    }

    #[test]
    fn escapes_like_nlohmann() {
        let mut a = spec_alert();
        a.message = "a\"b\\c\nd\te\u{1b}f\u{7f}é/".into();
        let o = FormatOptions {
            json_include_output_property: false,
            json_include_message_property: true,
            json_include_output_fields_property: false,
            json_include_tags_property: false,
            ..FormatOptions::default()
        };
        let j = json_alert(&a, &o);
        assert!(j.contains(r#""message":"a\"b\\c\nd\te\u001bf"#), "{j}");
        assert!(j.contains("\u{7f}é/\""), "{j}");
    }
}
