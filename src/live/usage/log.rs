//! Reads the logins a PostgreSQL log records (`log_connections`), one file at a time and
//! streamed: csvlog, jsonlog or the stderr form under the default `log_line_prefix`, each
//! possibly gzip-compressed. The form is told from the file's first line, not its name.
//!
//! A record that cannot be read (too few csv fields, not JSON, a time that does not parse, a
//! role name the stderr form leaves uncertain) is skipped and counted; only a file that cannot
//! be read at all is an error. Memory holds one record at a time.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::pg::quote::ident;
use crate::pg::server_log::{self, csv_column, json_key};

/// A line longer than this (a runaway line in a damaged file) is skipped, not held in memory.
const MAX_LINE: usize = 16 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogForm {
    Csvlog,
    Jsonlog,
    Stderr,
}

impl fmt::Display for LogForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogForm::Csvlog => "csvlog",
            LogForm::Jsonlog => "jsonlog",
            LogForm::Stderr => "stderr",
        })
    }
}

/// One login: the role and when (seconds since the epoch, UTC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    pub role: String,
    pub at: i64,
}

/// A record left out, where and why (the reason holds no text of the log but quoted names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub line: u64,
    pub reason: String,
}

/// What one file held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub form: LogForm,
    pub gzip: bool,
    /// Records with a time that were read.
    pub records: u64,
    pub logins: u64,
    pub skipped: u64,
    pub first_skipped: Option<Skipped>,
    /// The earliest and latest time of a record (seconds since the epoch).
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// A file that cannot be read: its path, the line where reading stopped (if it started), why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogError {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub reason: String,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

/// The time zone abbreviations the log's times may carry, with their offsets from UTC in
/// seconds. UTC and numeric offsets (`+04`, `-0330`) are always understood; the others come
/// from the server (`pg_timezone_abbrevs`).
#[derive(Clone, Debug, Default)]
pub struct Zones(pub HashMap<String, i32>);

impl Zones {
    pub fn offset(&self, abbrev: &str) -> Option<i32> {
        if matches!(abbrev, "UTC" | "GMT" | "UT" | "Z") {
            return Some(0);
        }
        if let Some(seconds) = numeric_offset(abbrev) {
            return Some(seconds);
        }
        self.0.get(abbrev).copied()
    }
}

/// `+04`, `-03`, `+0530`, `+05:30`.
fn numeric_offset(text: &str) -> Option<i32> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|&c| c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    Some(sign * (hours * 3600 + minutes * 60))
}

/// A log time (`2026-12-05 11:53:16.994 UTC`) in seconds since the epoch, or why not.
fn parse_time(text: &str, zones: &Zones) -> Result<i64, String> {
    let (local, zone) = text.trim().rsplit_once(' ').ok_or_else(|| "a time without a time zone".to_string())?;
    let local = NaiveDateTime::parse_from_str(local, server_log::LOG_TIME_FORMAT)
        .map_err(|_| "a time that does not parse".to_string())?;
    let offset = zones.offset(zone).ok_or_else(|| format!("unknown time zone abbreviation {}", ident(zone)))?;
    Ok(local.and_utc().timestamp() - i64::from(offset))
}

/// Reads one file, calling `on_login` for every login it records.
pub fn read_file(path: &Path, zones: &Zones, on_login: &mut dyn FnMut(Login)) -> Result<FileSummary, LogError> {
    let error = |line: Option<u64>, reason: String| LogError { path: path.to_path_buf(), line, reason };
    // Only a regular file: a FIFO or a device would wait or never end.
    let meta = std::fs::metadata(path).map_err(|e| error(None, e.to_string()))?;
    if !meta.is_file() {
        return Err(error(None, "not a regular file".to_string()));
    }
    let file = std::fs::File::open(path).map_err(|e| error(None, e.to_string()))?;
    read(path, BufReader::new(file), zones, on_login)
}

/// Reads a log from `input` (`path` names it in the summary and errors).
pub fn read(
    path: &Path,
    mut input: impl BufRead,
    zones: &Zones,
    on_login: &mut dyn FnMut(Login),
) -> Result<FileSummary, LogError> {
    let head = input.fill_buf().map_err(|e| LogError { path: path.into(), line: None, reason: e.to_string() })?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if gzip {
        let decoded = BufReader::new(flate2::bufread::MultiGzDecoder::new(input));
        return read_plain(path, decoded, zones, on_login, true);
    }
    read_plain(path, input, zones, on_login, false)
}

fn read_plain(
    path: &Path,
    mut input: impl BufRead,
    zones: &Zones,
    on_login: &mut dyn FnMut(Login),
    gzip: bool,
) -> Result<FileSummary, LogError> {
    let head = input.fill_buf().map_err(|e| LogError { path: path.into(), line: None, reason: e.to_string() })?;
    let form = sniff(head);
    let mut scan = Scan {
        zones,
        on_login,
        summary: FileSummary {
            path: path.to_path_buf(),
            form,
            gzip,
            records: 0,
            logins: 0,
            skipped: 0,
            first_skipped: None,
            first: None,
            last: None,
        },
    };
    let result = match form {
        LogForm::Csvlog => scan.csv(input),
        LogForm::Jsonlog => scan.json(input),
        LogForm::Stderr => scan.stderr(input),
    };
    result.map_err(|(line, reason)| LogError { path: path.to_path_buf(), line: Some(line), reason })?;
    Ok(scan.summary)
}

/// The form of a log from its first bytes: a JSON object, or a time followed by a comma (csv)
/// or by a space (stderr). An empty file reads as stderr (it holds nothing either way).
fn sniff(head: &[u8]) -> LogForm {
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(first_line);
    if text.trim_start().starts_with('{') {
        return LogForm::Jsonlog;
    }
    // `2026-12-05 11:53:16.994 UTC,"postgres",…`: the zone is followed by a comma.
    match text.split(' ').nth(2) {
        Some(zone) if zone.contains(',') => LogForm::Csvlog,
        _ => LogForm::Stderr,
    }
}

struct Scan<'a> {
    zones: &'a Zones,
    on_login: &'a mut dyn FnMut(Login),
    summary: FileSummary,
}

/// Where reading stopped and why.
type Stop = (u64, String);

impl Scan<'_> {
    fn skip(&mut self, line: u64, reason: String) {
        self.summary.skipped += 1;
        if self.summary.first_skipped.is_none() {
            self.summary.first_skipped = Some(Skipped { line, reason });
        }
    }

    /// One record. `user` is the record's own role field; `None` in the stderr form, where the
    /// role is read from the message.
    fn record(&mut self, line: u64, time: &str, severity: &str, user: Option<&str>, message: &str) {
        let at = match parse_time(time, self.zones) {
            Ok(at) => at,
            Err(reason) => return self.skip(line, reason),
        };
        self.summary.records += 1;
        self.summary.first = Some(self.summary.first.map_or(at, |t| t.min(at)));
        self.summary.last = Some(self.summary.last.map_or(at, |t| t.max(at)));
        if severity != server_log::CONNECTION_SEVERITY {
            return;
        }
        let Some(rest) = server_log::CONNECTION_AUTHORIZED.iter().find_map(|p| message.strip_prefix(p)) else {
            return;
        };
        let role =
            match user {
                Some("") => return self.skip(line, "a login without a role name".to_string()),
                Some(user) => user.to_string(),
                None => match role_in_message(rest) {
                    Some(role) => role,
                    None => return self.skip(
                        line,
                        "a login whose role name the stderr form leaves uncertain (csvlog and jsonlog name it exactly)"
                            .to_string(),
                    ),
                },
            };
        self.summary.logins += 1;
        (self.on_login)(Login { role, at });
    }

    fn csv(&mut self, input: impl Read) -> Result<(), Stop> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
        let mut record = csv::ByteRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => return Err((line, e.to_string())),
            }
            let line = record.position().map_or(line, |p| p.line());
            let field = |i: usize| record.get(i).and_then(|f| std::str::from_utf8(f).ok());
            match (field(csv_column::LOG_TIME), field(csv_column::ERROR_SEVERITY), field(csv_column::MESSAGE)) {
                (Some(time), Some(severity), Some(message)) => {
                    let user = field(csv_column::USER_NAME);
                    if user.is_none() && record.get(csv_column::USER_NAME).is_some() {
                        self.skip(line, "a role name that is not UTF-8".to_string());
                        continue;
                    }
                    let (time, severity, message) = (time.to_string(), severity.to_string(), message.to_string());
                    let user = user.unwrap_or_default().to_string();
                    self.record(line, &time, &severity, Some(&user), &message);
                }
                _ => self.skip(line, "not a csvlog record (too few fields, or not UTF-8)".to_string()),
            }
        }
    }

    fn json(&mut self, mut input: impl BufRead) -> Result<(), Stop> {
        let mut buf = Vec::new();
        let mut line = 0;
        while let Some(too_long) = next_line(&mut input, &mut buf).map_err(|e| (line + 1, e))? {
            line += 1;
            if too_long {
                self.skip(line, format!("a line longer than {} MiB", MAX_LINE >> 20));
                continue;
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(record) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&buf) else {
                self.skip(line, "not a jsonlog record".to_string());
                continue;
            };
            let text = |key: &str| record.get(key).and_then(serde_json::Value::as_str).unwrap_or_default();
            match record.get(json_key::TIMESTAMP).and_then(serde_json::Value::as_str) {
                Some(time) => self.record(
                    line,
                    time,
                    text(json_key::ERROR_SEVERITY),
                    Some(text(json_key::USER)),
                    text(json_key::MESSAGE),
                ),
                None => self.skip(line, "a jsonlog record without a time".to_string()),
            }
        }
        Ok(())
    }

    /// `%m [%p] SEVERITY:  message`, the message's further lines indented by a tab.
    fn stderr(&mut self, mut input: impl BufRead) -> Result<(), Stop> {
        let mut buf = Vec::new();
        let mut line = 0;
        // The record being read: its first line, time, severity and message so far.
        let mut pending: Option<(u64, String, String, String)> = None;
        while let Some(too_long) = next_line(&mut input, &mut buf).map_err(|e| (line + 1, e))? {
            line += 1;
            if too_long {
                self.skip(line, format!("a line longer than {} MiB", MAX_LINE >> 20));
                continue;
            }
            let text = String::from_utf8_lossy(&buf);
            if let Some(more) = text.strip_prefix(server_log::STDERR_CONTINUATION) {
                if let Some((_, _, _, message)) = pending.as_mut() {
                    message.push('\n');
                    message.push_str(more);
                }
                continue;
            }
            if let Some((first, time, severity, message)) = pending.take() {
                self.record(first, &time, &severity, None, &message);
            }
            match stderr_line(&text) {
                Some((time, severity, message)) => pending = Some((line, time, severity, message)),
                None if text.trim().is_empty() => {}
                None => self.skip(line, "not a log line under the default log_line_prefix `%m [%p] `".to_string()),
            }
        }
        if let Some((first, time, severity, message)) = pending.take() {
            self.record(first, &time, &severity, None, &message);
        }
        Ok(())
    }
}

/// Reads the next line (without its line break) into `buf`: `None` at the end, `Some(true)`
/// when the line was longer than [`MAX_LINE`] (its rest is read past, not kept).
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<Option<bool>, String> {
    buf.clear();
    let n = input.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', buf).map_err(|e| e.to_string())?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some(false));
    }
    if buf.len() <= MAX_LINE {
        return Ok(Some(false)); // the last line, without a line break
    }
    // Past the limit: read to the end of the line in bounded pieces.
    loop {
        buf.clear();
        let n = input.by_ref().take(1 << 16).read_until(b'\n', buf).map_err(|e| e.to_string())?;
        if n == 0 || buf.last() == Some(&b'\n') {
            buf.clear();
            return Ok(Some(true));
        }
    }
}

/// `2026-12-05 11:53:16.994 UTC [15436] LOG:  message` → (time, severity, message).
fn stderr_line(text: &str) -> Option<(String, String, String)> {
    let mut parts = text.splitn(4, ' ');
    let (date, clock, zone, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if date.len() != 10 || !date.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let rest = rest.strip_prefix('[')?;
    let (pid, rest) = rest.split_once("] ")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (severity, message) = rest.split_once(":  ")?;
    Some((format!("{date} {clock} {zone}"), severity.to_string(), message.to_string()))
}

/// The role of a login message after `…authorized: `, when certain: `user=NAME` up to the first
/// of [`server_log::AFTER_USER`], provided none of them appears twice (a name holding one would
/// make the split a guess) and the name is on one line.
fn role_in_message(rest: &str) -> Option<String> {
    let rest = rest.strip_prefix("user=")?;
    if server_log::AFTER_USER.iter().any(|m| rest.matches(m).count() > 1) {
        return None;
    }
    let end = server_log::AFTER_USER.iter().filter_map(|m| rest.find(m)).min().unwrap_or(rest.len());
    let role = &rest[..end];
    (!role.is_empty() && !role.contains('\n')).then(|| role.to_string())
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
