//! Language server benchmark: how long the diagnostics take to refresh after a one-character
//! edit in a 10,000-role workspace, against analyzing the workspace from scratch.
//!
//! The policy is the one of the build benchmark (`support/policy.rs`) with its users split
//! into 100 files of about 100 users, as a real repository would keep them. It is written to a
//! temporary directory, and the server is the `rolec` binary as an editor starts it, `rolec
//! lsp --stdio`, talking JSON over pipes: `initialize` with the directory as `rootUri` loads
//! it from disk. The client counts the diagnostics of each `publishDiagnostics` without
//! keeping them (an editor's own work on them is not the server's time).
//!
//! The large-file layout (`large files:` lines) is the same policy with its users in 20 files
//! of about 200 KB: the server's start (from `initialize` until every file's diagnostics are
//! published) and the same one-character edits in one of those files; `-- --large-only` runs
//! that part alone.
//!
//! Measured (`stages:` lines; median wall time, and the mean CPU time of the server process,
//! the steadier figure on a busy machine: from `/proc/PID/stat`, in 10 ms ticks, hence the
//! mean; for the stages without the server, of this process):
//! - from scratch: a fresh `Workspace` loaded from the directory + `diagnostics()`, without
//!   the server; and the server's start: `initialize` (loads and parses) and from
//!   `initialized` until every file's initial diagnostics are published;
//! - refresh: one user file opened, then one-character `didChange`s, each timed from sending
//!   it until the server has published what it changed (a request sent right after the
//!   change is answered only once the notification is handled, diagnostics included):
//!   `meaning`: a digit of a table name toggled in a grant (`table_12` ↔ `table_13`), a valid
//!   policy whose meaning changed; `break`: a letter typed into a keyword (a syntax error);
//!   `repair`: that letter deleted again; `rename`: a letter appended to a user's name (the
//!   scope is built again, and the files whose answers from it change are resolved again),
//!   `rename back`: deleted again; `declare`: `role zz_new {}; ` typed at once before that
//!   user, `undeclare`: deleted again;
//! - the same edits on a `Workspace` without the server, query by query (parse, resolve,
//!   lowering, analysis, each file's list as the server collects them, and the whole list of
//!   `diagnostics()` that `rolec build` sorts), so that the server's own part (converting and
//!   publishing) is the difference.
//!
//! `cargo bench --bench lsp` runs it all; `-- --edits N` sets the number of edits of each
//! kind (default 20); `-- --rolec PATH` runs another build of rolec (to compare two);
//! `-- --refresh-only` measures the refresh through the server alone (to
//! profile it: `perf record` the benchmark's binary with `--bench --refresh-only`, and
//! `--only LABELS` for some pairs of edits, such as `--only rename` or `--only meaning,break`; with `--large-only`, in the
//! large-file layout, after one start that is not measured); without `--bench`
//! (`cargo test --benches`) it only checks that the server publishes the policy's
//! diagnostics and refreshes one edit.

/// The allocator of the `rolec` binary, so that the figures are those of the commands.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification, Request, RequestId, Response};
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use serde_json::{json, Value};

#[path = "support/mod.rs"]
mod support;

/// About 100 users a file, 98 in fact.
const USER_FILES: usize = 100;
/// The file edited, in the middle of the users.
const EDITED: &str = "policy/users_50.role";
/// The large-file layout: the users in 20 files of about 200 KB.
const LARGE_USER_FILES: usize = 20;
const LARGE_EDITED: &str = "policy/users_10.role";

// ---------------------------------------------------------------- a client

/// What the client keeps of a message from the server.
enum Received {
    Response {
        id: RequestId,
        ok: bool,
    },
    /// A `publishDiagnostics` notification: the URI and the number of diagnostics.
    Published(String, usize),
    Request(RequestId),
    Other,
}

/// A message from the server as the stdio client reads it: the diagnostics are counted, not
/// kept (an editor parses them, but that is the editor's time, not the server's).
#[derive(serde::Deserialize)]
struct Incoming {
    #[serde(default)]
    id: Option<RequestId>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<IncomingParams>,
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct IncomingParams {
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    diagnostics: Option<Vec<serde::de::IgnoredAny>>,
}

/// Reads the server's messages (`Content-Length` framing) until it closes its output.
fn read_messages(mut from: impl std::io::BufRead, to: mpsc::Sender<Received>) {
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if from.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse::<usize>().ok();
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        from.read_exact(&mut body).expect("a whole message");
        let m: Incoming = serde_json::from_slice(&body).expect("a JSON-RPC message");
        let received = match (m.id, m.method, m.params) {
            (Some(id), None, _) => Received::Response { id, ok: m.error.is_none() },
            (Some(id), Some(_), _) => Received::Request(id),
            (None, Some(method), Some(p)) if method == "textDocument/publishDiagnostics" => {
                Received::Published(p.uri.unwrap_or_default(), p.diagnostics.map_or(0, |d| d.len()))
            }
            _ => Received::Other,
        };
        if to.send(received).is_err() {
            return;
        }
    }
}

/// `rolec lsp --stdio` and the thread that reads what it writes.
struct Client {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    received: mpsc::Receiver<Received>,
    next_id: i32,
    /// `publishDiagnostics` notifications received since last taken: (uri, count).
    published: Vec<(String, usize)>,
}

impl Client {
    /// Starts `rolec lsp --stdio` in `dir`.
    fn spawn(dir: &Path) -> Client {
        let mut child = std::process::Command::new(rolec_binary())
            .args(["lsp", "--stdio"])
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("rolec lsp starts");
        let stdin = child.stdin.take().expect("piped");
        let stdout = std::io::BufReader::with_capacity(1 << 20, child.stdout.take().expect("piped"));
        let (to, received) = mpsc::channel();
        std::thread::spawn(move || read_messages(stdout, to));
        Client { child, stdin, received, next_id: 0, published: Vec::new() }
    }

    fn send(&mut self, message: Message) {
        message.write(&mut self.stdin).expect("the server reads");
    }

    fn receive(&self) -> Received {
        self.received.recv_timeout(Duration::from_secs(600)).expect("an answer")
    }

    /// Nanoseconds of CPU the server process has used, its ended threads included, in ticks
    /// of 10 ms (`utime` and `stime` of `/proc/PID/stat`).
    fn cpu_ns(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // The fields after the command name (in parentheses), from the third on.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        (ticks(14) + ticks(15)) * 10_000_000
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(method.into(), params)));
    }

    /// Sends a request and waits for its answer (whether it succeeded), keeping the
    /// notifications received before.
    fn request(&mut self, method: &str, params: Value) -> bool {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Message::Request(Request::new(id.clone(), method.into(), params)));
        loop {
            match self.receive() {
                Received::Response { id: got, ok } if got == id => return ok,
                Received::Published(uri, count) => self.published.push((uri, count)),
                Received::Request(id) => self.send(Message::Response(Response::new_ok(id, Value::Null))),
                _ => {}
            }
        }
    }

    /// Waits until the server has handled everything sent before: the loop handles messages
    /// in order, and a request it does not know is answered at once (an error), so the
    /// answer measures nothing but the work queued before it.
    fn sync(&mut self) {
        assert!(!self.request("rolec/benchmarkSync", Value::Null), "an unknown request is refused");
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin);
        assert!(self.child.wait().expect("rolec lsp ends").success(), "rolec lsp exits cleanly");
    }

    /// Wall and CPU milliseconds of one run of `f` (CPU: the server's).
    fn timed<T>(&mut self, f: impl FnOnce(&mut Client) -> T) -> (T, f64, f64) {
        let (t, cpu) = (Instant::now(), self.cpu_ns());
        let out = f(self);
        (out, t.elapsed().as_secs_f64() * 1e3, (self.cpu_ns().saturating_sub(cpu)) as f64 / 1e6)
    }
}

fn uri_of(p: &Path) -> String {
    rolec::lsp::convert::path_to_uri(&p.to_string_lossy()).expect("an absolute path").to_string()
}

// ---------------------------------------------------------------- timing

/// Nanoseconds every thread of this process has run on a CPU (threads that ended are not
/// counted: measure only spans in which none ends).
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Wall and CPU milliseconds of one run of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (t, cpu) = (Instant::now(), process_cpu_ns());
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1e3, (process_cpu_ns().saturating_sub(cpu)) as f64 / 1e6)
}

/// Wall and CPU samples of one measurement, in milliseconds.
#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Samples {
    fn add(&mut self, wall: f64, cpu: f64) {
        self.wall.push(wall);
        self.cpu.push(cpu);
    }

    fn median(v: &[f64]) -> f64 {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    fn wall(&self) -> f64 {
        Self::median(&self.wall)
    }

    /// The mean: the server's CPU time is read in ticks of 10 ms.
    fn cpu(&self) -> f64 {
        self.cpu.iter().sum::<f64>() / self.cpu.len() as f64
    }

    fn print(&self, label: &str) {
        let min = self.wall.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.wall.iter().copied().fold(0.0, f64::max);
        println!(
            "stages: {label:<52} {:>8.1} ms  (cpu {:.1} ms mean; {} runs, wall {min:.1}–{max:.1})",
            self.wall(),
            self.cpu(),
            self.wall.len()
        );
    }
}

// ---------------------------------------------------------------- the edits

/// A one-character edit: at `(line, character)`, replace `delete` characters with `insert`.
#[derive(Clone)]
struct Edit {
    line: usize,
    character: usize,
    delete: usize,
    insert: String,
}

impl Edit {
    fn apply(&self, text: &str) -> String {
        let start = text.split_inclusive('\n').take(self.line).map(str::len).sum::<usize>() + self.character;
        format!("{}{}{}", &text[..start], self.insert, &text[start + self.delete..])
    }

    fn params(&self, uri: &str, version: i32) -> Value {
        let (l, c) = (self.line, self.character);
        json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{
                "range": { "start": { "line": l, "character": c }, "end": { "line": l, "character": c + self.delete } },
                "text": self.insert,
            }],
        })
    }
}

/// Pairs of edits, each undoing the other: (label of the first, first, label of the second,
/// second). The file is back to its text after each pair.
fn edit_pairs(text: &str) -> Vec<(&'static str, Edit, &'static str, Edit)> {
    let lines: Vec<&str> = text.lines().collect();
    // The last digit of a table name in a grant: toggled between two tables.
    let (line, l) =
        lines.iter().enumerate().find(|(_, l)| l.starts_with("  grant select on table ")).expect("a grant on a table");
    let at = l.len() - 1;
    let digit = l.as_bytes()[at];
    let other = if digit == b'9' { '8' } else { (digit + 1) as char };
    let toggle = |to: char| Edit { line, character: at, delete: 1, insert: to.to_string() };
    let meaning = (toggle(other), toggle(digit as char));
    // A half-typed word: `grant` becomes `grantx`, then back.
    let (kline, k) = lines
        .iter()
        .enumerate()
        .skip(line + 1)
        .find(|(_, l)| l.starts_with("  grant usage on schema "))
        .expect("a grant on a schema");
    let at = k.find("grant").expect("grant") + "grant".len();
    let broken = Edit { line: kline, character: at, delete: 0, insert: "x".into() };
    let repaired = Edit { line: kline, character: at, delete: 1, insert: String::new() };
    // A declaration renamed: a letter appended to a user's name, then removed. The scope
    // changes, and so do the membership graph's names and the user's chunk.
    let (uline, u) =
        lines.iter().enumerate().skip(lines.len() / 2).find(|(_, l)| l.starts_with("user \"")).expect("a user");
    let at = 6 + u[6..].find('"').expect("a user's quoted name");
    let renamed = Edit { line: uline, character: at, delete: 0, insert: "x".into() };
    let restored = Edit { line: uline, character: at, delete: 1, insert: String::new() };
    // A declaration added before the user (one change, not one character), then removed:
    // the roles after it move.
    let declared = Edit { line: uline, character: 0, delete: 0, insert: "role zz_new {}; ".into() };
    let undeclared = Edit { line: uline, character: 0, delete: "role zz_new {}; ".len(), insert: String::new() };
    vec![
        ("meaning", meaning.0, "meaning", meaning.1),
        ("break", broken, "repair", repaired),
        ("rename", renamed, "rename back", restored),
        ("declare", declared, "undeclare", undeclared),
    ]
}

// ---------------------------------------------------------------- the measurements

fn options() -> BuildOptions {
    BuildOptions { at: chrono_now(), ..BuildOptions::default() }
}

/// The time the server evaluates the policy at (it uses the clock).
fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn write_policy(dir: &Path, files: &[(String, String)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("create the directory");
        std::fs::write(&path, text).expect("write the policy");
    }
}

/// From scratch without the server: load the directory and compute every diagnostic.
fn scratch_workspace(dir: &Path) -> usize {
    let ws = Workspace::load(Sources::Paths(vec![dir.to_path_buf()]), options()).expect("the policy loads");
    ws.diagnostics().len()
}

/// The binary to run: `--rolec PATH` (another build, to compare two) or this package's.
fn rolec_binary() -> String {
    let args: Vec<String> = std::env::args().collect();
    let given = args.iter().position(|a| a == "--rolec").and_then(|i| args.get(i + 1));
    given.cloned().unwrap_or_else(|| env!("CARGO_BIN_EXE_rolec").to_string())
}

/// Starts a server on the directory; returns the client, the times of `initialize` and of
/// the initial publication, and the number of diagnostics published.
fn start_server(dir: &Path) -> (Client, (f64, f64), (f64, f64), usize) {
    let mut c = Client::spawn(dir);
    let root = uri_of(dir);
    let (ok, w1, c1) =
        c.timed(|c| c.request("initialize", json!({ "processId": null, "rootUri": root, "capabilities": {} })));
    assert!(ok, "initialize succeeds");
    let ((), w2, c2) = c.timed(|c| {
        c.notify("initialized", json!({}));
        c.sync();
    });
    let total = c.published.drain(..).map(|(_, n)| n).sum();
    (c, (w1, c1), (w2, c2), total)
}

/// The edits through the server: returns the samples of each kind of edit.
fn refresh(
    c: &mut Client,
    dir: &Path,
    edited: &str,
    text: &str,
    rounds: usize,
    only: Option<&str>,
) -> Vec<(&'static str, Samples)> {
    let uri = uri_of(&dir.join(edited));
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "rolec", "version": 1, "text": text } }),
    );
    c.sync();
    c.published.clear();
    let mut out: Vec<(&'static str, Samples)> = Vec::new();
    let mut version = 1;
    let mut current = text.to_string();
    for (first_label, first, second_label, second) in edit_pairs(text) {
        if only.is_some_and(|only| !only.split(',').any(|o| o == first_label)) {
            continue;
        }
        for _ in 0..rounds {
            for (label, edit) in [(first_label, &first), (second_label, &second)] {
                version += 1;
                current = edit.apply(&current);
                let params = edit.params(&uri, version);
                let ((), wall, cpu) = c.timed(|c| {
                    c.notify("textDocument/didChange", params);
                    c.sync();
                });
                assert!(
                    c.published.iter().any(|(u, _)| *u == uri) || label == "meaning" || label.starts_with("rename"),
                    "a `{label}` edit publishes the edited file"
                );
                c.published.clear();
                match out.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, s)) => s.add(wall, cpu),
                    None => {
                        let mut s = Samples::default();
                        s.add(wall, cpu);
                        out.push((label, s));
                    }
                }
            }
        }
        assert_eq!(current, text, "each pair of edits undoes itself");
    }
    out
}

/// The same edits on a workspace without the server, query by query.
fn refresh_stages(files: &[(String, String)], dir: &Path, rounds: usize) {
    let mut ws = Workspace::load(Sources::Paths(vec![dir.to_path_buf()]), options()).expect("the policy loads");
    ws.diagnostics();
    let path = dir.join(EDITED).to_string_lossy().into_owned();
    let file = ws.file_by_path(&path).expect("the edited file");
    let text = files.iter().find(|(p, _)| p == EDITED).expect("the edited file").1.clone();
    let stages = [
        "set_text (parses the file, follows imports)",
        "resolved",
        "plan",
        "analysis",
        "file_diagnostics (every file)",
        "diagnostics() (collect, sort)",
    ];
    let mut samples: Vec<(&'static str, Vec<Samples>)> = Vec::new();
    for (first_label, first, second_label, second) in edit_pairs(&text) {
        let mut current = text.clone();
        for _ in 0..rounds {
            for (label, edit) in [(first_label, &first), (second_label, &second)] {
                current = edit.apply(&current);
                let new_text = current.clone();
                let mut times = Vec::new();
                let ((), w, c) = timed(|| ws.set_text(file, new_text));
                times.push((w, c));
                let (resolved, w, c) = timed(|| ws.resolved());
                times.push((w, c));
                // As `diagnostics()`: lowering and the analysis wait for a sound policy.
                let sound = !rolec::db::parse(&ws.db, file).diagnostics.iter().any(|d| d.is_error())
                    && !resolved.diagnostics.iter().any(|d| d.is_error());
                if sound {
                    let (_, w, c) = timed(|| ws.plan().up.len());
                    times.push((w, c));
                    let (_, w, c) = timed(|| rolec::db::analysis_diagnostics(&ws.db, ws.policy).len());
                    times.push((w, c));
                } else {
                    times.extend([(0.0, 0.0), (0.0, 0.0)]);
                }
                let (_, w, c) = timed(|| {
                    ws.files()
                        .iter()
                        .map(|f| rolec::db::file_diagnostics::file_diagnostics(&ws.db, ws.policy, *f).len())
                        .sum::<usize>()
                });
                times.push((w, c));
                let (_, w, c) = timed(|| ws.diagnostics().len());
                times.push((w, c));
                if !samples.iter().any(|(l, _)| *l == label) {
                    samples.push((label, stages.iter().map(|_| Samples::default()).collect()));
                }
                let s = &mut samples.iter_mut().find(|(l, _)| *l == label).expect("added").1;
                for (i, (w, c)) in times.into_iter().enumerate() {
                    s[i].add(w, c);
                }
            }
        }
    }
    for (label, s) in &samples {
        for (i, stage) in stages.iter().enumerate() {
            s[i].print(&format!("  {label}, no server: {stage}"));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let files = support::policy::generate(USER_FILES);
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_policy(dir.path(), &files);
    // The server names files by their absolute paths; so does this benchmark.
    let text = files.iter().find(|(p, _)| p == EDITED).expect("the edited file").1.clone();

    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then check that the
    // server publishes the diagnostics and refreshes one edit of each kind, and stop.
    if !args.iter().any(|a| a == "--bench") {
        let (mut c, _, _, total) = start_server(dir.path());
        assert!(total > 0, "the generated policy has warnings to publish");
        let kinds = refresh(&mut c, dir.path(), EDITED, &text, 1, None);
        c.shutdown();
        println!("lsp bench: the server publishes {total} diagnostics and refreshes {} kinds of edits", kinds.len());
        return;
    }
    let rounds: usize = args
        .iter()
        .position(|a| a == "--edits")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);

    let user_sizes: Vec<usize> = files.iter().filter(|(p, _)| p.contains("/users_")).map(|(_, t)| t.len()).collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    println!(
        "stages: policy: {} files ({} of users, {:.0}–{:.0} KB), {:.1} MiB; edited: {EDITED} ({:.0} KB)",
        files.len(),
        user_sizes.len(),
        *user_sizes.iter().min().unwrap_or(&0) as f64 / 1e3,
        *user_sizes.iter().max().unwrap_or(&0) as f64 / 1e3,
        bytes as f64 / (1 << 20) as f64,
        text.len() as f64 / 1e3
    );

    // `--refresh-only`: the refresh through the server alone (to profile it).
    let refresh_only = args.iter().any(|a| a == "--refresh-only");
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    if args.iter().any(|a| a == "--large-only") {
        large_files(rounds, refresh_only, only);
        return;
    }

    if refresh_only {
        let (mut c, _, _, _) = start_server(dir.path());
        for (label, s) in &refresh(&mut c, dir.path(), EDITED, &text, rounds, only) {
            s.print(&format!("refresh: {label} (didChange → published)"));
        }
        c.shutdown();
        return;
    }

    // From scratch, without the server (threads end inside: the CPU time is a lower bound).
    let mut scratch = Samples::default();
    let mut found = 0;
    for _ in 0..3 {
        let (n, w, c) = timed(|| scratch_workspace(dir.path()));
        scratch.add(w, c);
        found = n;
    }
    scratch.print("from scratch: Workspace::load + diagnostics()");
    println!("stages: from scratch: {found} diagnostics");

    // From scratch, through the server.
    let (mut init, mut publish) = (Samples::default(), Samples::default());
    let mut client = None;
    for _ in 0..3 {
        if let Some(c) = client.take() {
            Client::shutdown(c);
        }
        let (c, (w1, c1), (w2, c2), total) = start_server(dir.path());
        init.add(w1, c1);
        publish.add(w2, c2);
        found = total;
        client = Some(c);
    }
    init.print("server start: initialize (load, parse)");
    publish.print("server start: initialized → all diagnostics published");
    println!("stages: server start: {found} diagnostics published");
    let mut c = client.expect("a server");

    // Refresh after one-character edits.
    let kinds = refresh(&mut c, dir.path(), EDITED, &text, rounds, None);
    for (label, s) in &kinds {
        s.print(&format!("refresh: {label} (didChange → published)"));
    }
    c.shutdown();
    let from_scratch = init.wall() + publish.wall();
    for (label, s) in &kinds {
        println!(
            "stages: ratio from scratch (server start {from_scratch:.0} ms) / refresh `{label}`: {:.1}× wall, {:.1}× cpu",
            from_scratch / s.wall(),
            (init.cpu() + publish.cpu()) / s.cpu()
        );
    }

    // Where a refresh goes, without the server.
    refresh_stages(&files, dir.path(), rounds);

    large_files(rounds, false, None);
}

/// The large-file layout: the server's start and the edits in one of its large files
/// (`refresh_only`: one start, not measured; `only`: one pair of edits).
fn large_files(rounds: usize, refresh_only: bool, only: Option<&str>) {
    let files = support::policy::generate(LARGE_USER_FILES);
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_policy(dir.path(), &files);
    let text = files.iter().find(|(p, _)| p == LARGE_EDITED).expect("the edited file").1.clone();
    let user_sizes: Vec<usize> = files.iter().filter(|(p, _)| p.contains("/users_")).map(|(_, t)| t.len()).collect();
    println!(
        "stages: large files: {} files ({} of users, {:.0}–{:.0} KB); edited: {LARGE_EDITED} ({:.0} KB)",
        files.len(),
        user_sizes.len(),
        *user_sizes.iter().min().unwrap_or(&0) as f64 / 1e3,
        *user_sizes.iter().max().unwrap_or(&0) as f64 / 1e3,
        text.len() as f64 / 1e3
    );
    let mut start = Samples::default();
    let mut client = None;
    for _ in 0..if refresh_only { 1 } else { 3 } {
        if let Some(c) = client.take() {
            Client::shutdown(c);
        }
        let (c, (w1, c1), (w2, c2), _) = start_server(dir.path());
        start.add(w1 + w2, c1 + c2);
        client = Some(c);
    }
    if !refresh_only {
        start.print("large files: server start: initialize → every file published");
    }
    let mut c = client.expect("a server");
    let kinds = refresh(&mut c, dir.path(), LARGE_EDITED, &text, rounds, only);
    let mut one_character = Samples::default();
    for (label, s) in &kinds {
        s.print(&format!("large files: refresh: {label} (didChange → published)"));
        if !label.contains("declare") {
            one_character.wall.extend(&s.wall);
            one_character.cpu.extend(&s.cpu);
        }
    }
    one_character.print("large files: refresh: every one-character edit");
    c.shutdown();
}
