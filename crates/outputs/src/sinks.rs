//! The stdout, file, program and syslog channels (outputs.md §6).

use super::Sink;
use falcoc_compiler::priority::Priority;
use falcoc_engine::ratelimit::{Clock, SystemClock};
use falcoc_engine::time::{CivilTime, TimeZone};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

/// `stdout_output`: `msg + "\n"`, flushed after each burst of alerts unless
/// `buffered_outputs` (one `write(2)` for the alerts queued together, not one per line).
pub(crate) struct StdoutSink {
    pub out: BufWriter<Box<dyn Write + Send>>,
    pub buffered: bool,
}

impl StdoutSink {
    /// A sink writing to `out`.
    pub fn new(out: Box<dyn Write + Send>, buffered: bool) -> StdoutSink {
        StdoutSink {
            out: BufWriter::with_capacity(64 * 1024, out),
            buffered,
        }
    }
}

impl Sink for StdoutSink {
    fn burst_max(&self) -> usize {
        crate::BURST_MAX
    }

    fn write(&mut self, msg: &str, _p: Priority, more: bool) -> Result<(), String> {
        let r = self
            .out
            .write_all(msg.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| {
                if self.buffered || more {
                    Ok(())
                } else {
                    self.out.flush()
                }
            });
        r.map_err(|e| format!("stdout: {e}"))
    }

    fn close(&mut self) {
        let _ = self.out.flush();
    }
}

/// `file_output`: append mode; with `keep_alive` the file stays open (and is reopened by
/// [`Sink::reopen`], Falco's SIGUSR1), else it is opened and closed for every alert.
pub(crate) struct FileSink {
    pub path: PathBuf,
    pub keep_alive: bool,
    pub buffered: bool,
    pub file: Option<BufWriter<File>>,
}

impl FileSink {
    fn open(&self) -> Result<BufWriter<File>, String> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map(BufWriter::new)
            .map_err(|e| format!("failed to open output file {}: {e}", self.path.display()))
    }
}

impl Sink for FileSink {
    fn burst_max(&self) -> usize {
        if self.keep_alive {
            crate::BURST_MAX
        } else {
            1
        }
    }

    fn write(&mut self, msg: &str, _p: Priority, more: bool) -> Result<(), String> {
        let mut f = match self.file.take() {
            Some(f) => f,
            None => self.open()?,
        };
        let r = f
            .write_all(msg.as_bytes())
            .and_then(|()| f.write_all(b"\n"))
            .and_then(|()| {
                if (self.buffered || more) && self.keep_alive {
                    Ok(())
                } else {
                    f.flush()
                }
            });
        match r {
            Ok(()) => {
                if self.keep_alive {
                    self.file = Some(f);
                }
                Ok(())
            }
            Err(e) => Err(format!("{}: {e}", self.path.display())),
        }
    }

    fn reopen(&mut self) {
        if let Some(mut f) = self.file.take() {
            let _ = f.flush();
        }
    }

    fn close(&mut self) {
        self.reopen();
    }
}

/// `program_output`: `sh -c program` with the alert on its standard input (`popen(…,
/// "w")`); with `keep_alive` one process gets every alert, else one process per alert,
/// waited for (`pclose`). The program's standard output and error are Falco's.
pub(crate) struct ProgramSink {
    pub program: String,
    pub keep_alive: bool,
    pub buffered: bool,
    pub child: Option<(Child, BufWriter<ChildStdin>)>,
}

impl ProgramSink {
    fn spawn(&self) -> Result<(Child, BufWriter<ChildStdin>), String> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(&self.program)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start program output `{}`: {e}", self.program))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| "program output: no standard input".to_string())?;
        Ok((child, BufWriter::new(stdin)))
    }

    fn finish(child: &mut Child, stdin: BufWriter<ChildStdin>) -> Result<(), String> {
        let flushed = stdin.into_inner().map(drop).map_err(|e| e.to_string());
        let status = child.wait().map_err(|e| e.to_string())?;
        flushed?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("program output exited with {status}"))
        }
    }
}

impl Sink for ProgramSink {
    fn burst_max(&self) -> usize {
        if self.keep_alive {
            crate::BURST_MAX
        } else {
            1
        }
    }

    fn write(&mut self, msg: &str, _p: Priority, more: bool) -> Result<(), String> {
        let (mut child, mut stdin) = match self.child.take() {
            Some(c) => c,
            None => self.spawn()?,
        };
        let r = stdin
            .write_all(msg.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| {
                if (self.buffered || more) && self.keep_alive {
                    Ok(())
                } else {
                    stdin.flush()
                }
            });
        if let Err(e) = r {
            // A broken pipe: the program is gone; a new one starts with the next alert.
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("program output `{}`: {e}", self.program));
        }
        if self.keep_alive {
            self.child = Some((child, stdin));
            Ok(())
        } else {
            Self::finish(&mut child, stdin)
        }
    }

    fn close(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            let _ = Self::finish(&mut child, stdin);
        }
    }
}

/// The facility Falco's `syslog(3)` calls use (LOG_USER: Falco never calls `openlog`).
pub const LOG_USER: u8 = 1;

/// The `<PRI>` of a syslog message for an alert priority: `LOG_USER * 8 + severity`,
/// the severity being the priority level (outputs.md §1).
pub fn syslog_pri(priority: Priority) -> u8 {
    LOG_USER * 8 + priority.level()
}

/// `syslog_output`: one datagram per alert to the `/dev/log` socket (or another path),
/// in the format glibc's `syslog(3)` sends: `<PRI>Mmm dd HH:MM:SS tag: message`, with no
/// trailing newline.
pub(crate) struct SyslogSink {
    pub socket_path: PathBuf,
    pub tag: String,
    pub timezone: TimeZone,
    pub socket: Option<UnixDatagram>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The syslog line of a message at wall-clock time `now_ns`.
pub fn syslog_line(
    priority: Priority,
    tag: &str,
    msg: &str,
    now_ns: u64,
    zone: TimeZone,
) -> String {
    let t = CivilTime::from_ns(now_ns, zone);
    let month = MONTHS
        .get((t.month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("Jan");
    format!(
        "<{}>{} {:>2} {:02}:{:02}:{:02} {}: {}",
        syslog_pri(priority),
        month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        tag,
        msg
    )
}

impl Sink for SyslogSink {
    fn write(&mut self, msg: &str, priority: Priority, _more: bool) -> Result<(), String> {
        let sock = match self.socket.take() {
            Some(s) => s,
            None => UnixDatagram::unbound().map_err(|e| format!("syslog: {e}"))?,
        };
        let line = syslog_line(
            priority,
            &self.tag,
            msg,
            SystemClock.now_ns(),
            self.timezone,
        );
        let r = sock.send_to(line.as_bytes(), &self.socket_path);
        self.socket = Some(sock);
        r.map(drop)
            .map_err(|e| format!("syslog {}: {e}", self.socket_path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer recording what reached it, one entry per `write` call after a flush.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.push(String::from_utf8_lossy(buf).into_owned());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn unbuffered_stdout_writes_a_burst_at_once_and_flushes_its_last_alert() {
        let rec = Recorder::default();
        let mut sink = StdoutSink::new(Box::new(rec.clone()), false);
        assert_eq!(sink.write("one", Priority::Warning, true), Ok(()));
        assert_eq!(sink.write("two", Priority::Warning, true), Ok(()));
        assert!(rec.0.lock().map(|v| v.is_empty()).unwrap_or(false));
        assert_eq!(sink.write("three", Priority::Warning, false), Ok(()));
        assert_eq!(
            rec.0.lock().map(|v| v.clone()).unwrap_or_default(),
            ["one\ntwo\nthree\n"]
        );
        assert_eq!(sink.write("four", Priority::Warning, false), Ok(()));
        assert_eq!(rec.0.lock().map(|v| v.len()).unwrap_or(0), 2);
    }

    #[test]
    fn buffered_stdout_waits_for_close() {
        let rec = Recorder::default();
        let mut sink = StdoutSink::new(Box::new(rec.clone()), true);
        assert_eq!(sink.write("one", Priority::Warning, false), Ok(()));
        assert!(rec.0.lock().map(|v| v.is_empty()).unwrap_or(false));
        sink.close();
        assert_eq!(
            rec.0.lock().map(|v| v.clone()).unwrap_or_default(),
            ["one\n"]
        );
    }

    #[test]
    fn syslog_format() {
        assert_eq!(syslog_pri(Priority::Emergency), 8);
        assert_eq!(syslog_pri(Priority::Warning), 12);
        assert_eq!(syslog_pri(Priority::Debug), 15);
        assert_eq!(
            syslog_line(
                Priority::Warning,
                "falco",
                "x y",
                1_705_312_800_000_380_323,
                TimeZone::UTC
            ),
            "<12>Jan 15 10:00:00 falco: x y"
        );
        assert_eq!(
            syslog_line(
                Priority::Notice,
                "falco",
                "m",
                1_704_445_200_000_000_000,
                TimeZone::UTC
            ),
            "<13>Jan  5 09:00:00 falco: m"
        );
    }
}
