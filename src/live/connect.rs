//! Connecting to a live server as libpq would. `--db` is a libpq URL or key-value string
//! (`conninfo`); what it leaves out comes from the service file entry it or PGSERVICE names,
//! then from the `PG*` environment variables, then from libpq's defaults (the unix socket in
//! `/var/run/postgresql` or `/tmp`, port 5432, the OS user, a database named like the user).
//! The hosts of a list (`host=a,b`) are tried in order until one accepts the login and has the
//! `target_session_attrs` asked for; each is reached through `tls::connect_one`.
//!
//! The password never leaves this module: errors are scrubbed of it, and [`Target`] (what the
//! commands print) holds no password.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::config::ChannelBinding;
use postgres::{Client, Config};

use super::conninfo::{self, Settings};
use super::pgpass;
use super::tls::{self, SslMode, TlsSettings};
use super::LiveError;

/// Where a connection goes, safe to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "database `{}` as `{}` on `{}` port {}", self.dbname, self.user, self.host, self.port)
    }
}

/// Messages (NOTICE, WARNING) the server sent, as `SQLSTATE: message`.
pub type Notices = Arc<Mutex<Vec<(String, String)>>>;

/// An open connection with the notices it collects.
pub struct Connection {
    pub client: Client,
    pub target: Target,
    pub notices: Notices,
    /// What the user should know about how the connection was made (a password file that was
    /// ignored), for the caller to print.
    pub warnings: Vec<String>,
}

impl Connection {
    /// Takes the notices collected so far.
    pub fn take_notices(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Reads a variable of the environment the connection settings come from.
pub type Env<'e> = &'e dyn Fn(&str) -> Option<String>;

/// The process environment, for [`connect`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The connection timeout per host when none is given (libpq waits forever; a live command
/// should not).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// One host of the list, with its port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    /// The host name, or the directory of a unix socket; empty when only `hostaddr` is given.
    pub host: String,
    pub hostaddr: Option<IpAddr>,
    pub port: u16,
}

impl HostEntry {
    /// A unix socket (libpq: a host that starts with `/`, and no `hostaddr`).
    fn is_socket(&self) -> bool {
        self.hostaddr.is_none() && self.host.starts_with('/')
    }

    /// The host as printed: its name, else its address.
    fn shown(&self) -> String {
        match (&self.hostaddr, self.host.is_empty()) {
            (Some(addr), true) => addr.to_string(),
            _ => self.host.clone(),
        }
    }
}

/// libpq's `target_session_attrs`: which server of the list a connection may stay with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionAttrs {
    #[default]
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    PreferStandby,
}

impl SessionAttrs {
    fn parse(value: &str) -> Option<SessionAttrs> {
        Some(match value {
            "any" => SessionAttrs::Any,
            "read-write" => SessionAttrs::ReadWrite,
            "read-only" => SessionAttrs::ReadOnly,
            "primary" => SessionAttrs::Primary,
            "standby" => SessionAttrs::Standby,
            "prefer-standby" => SessionAttrs::PreferStandby,
            _ => return None,
        })
    }
}

/// Everything a connection needs, from `--db`, the service file and the environment.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub hosts: Vec<HostEntry>,
    pub user: String,
    pub dbname: String,
    /// `password` or PGPASSWORD; when `None`, each host's comes from the password file.
    password: Option<String>,
    /// `passfile`, PGPASSFILE or `~/.pgpass`.
    pub passfile: Option<PathBuf>,
    pub tls: TlsSettings,
    /// `None`: no limit (`connect_timeout=0`).
    pub connect_timeout: Option<Duration>,
    pub session_attrs: SessionAttrs,
    pub application_name: String,
    pub options: Option<String>,
    channel_binding: ChannelBinding,
}

/// The unix-socket directory libpq uses when no host is given (Debian's, else upstream's).
fn default_socket_dir() -> &'static str {
    ["/var/run/postgresql", "/tmp"].into_iter().find(|d| Path::new(d).is_dir()).unwrap_or("/tmp")
}

/// Reads `--db`, the service file and the environment into the settings of a connection.
/// Errors never contain the password.
pub fn resolve(db: &str, env: Env) -> Result<Resolved, LiveError> {
    resolve_in(db, None, env)
}

/// [`resolve`], with the database `database` instead of the one `db` names.
fn resolve_in(db: &str, database: Option<&str>, env: Env) -> Result<Resolved, LiveError> {
    let invalid = |e: String| LiveError::InvalidConnectionString(scrub(&e, &passwords_in(db, env)));
    let home = env("HOME").map(PathBuf::from);
    let mut s = conninfo::parse(db).map_err(|e| invalid(format!("invalid connection string: {e}")))?;
    if let Some(name) = database {
        s.set_dbname(name);
    }
    conninfo::add_defaults(&mut s, env, home.as_deref()).map_err(invalid)?;
    let hosts = host_list(&s).map_err(invalid)?;
    let user = match s.non_empty("user") {
        Some(u) => u.to_string(),
        None => whoami::username().map_err(|e| LiveError::NoUser(e.to_string()))?,
    };
    let dbname = s.non_empty("dbname").unwrap_or(&user).to_string();
    let mode = match s.non_empty("sslmode") {
        Some(m) => SslMode::parse(m).ok_or_else(|| invalid(format!("invalid sslmode value: \"{m}\"")))?,
        None => SslMode::default(),
    };
    let file = |k: &str| s.non_empty(k).map(PathBuf::from);
    let tls = TlsSettings {
        mode,
        root_cert: s.non_empty("sslrootcert").map(str::to_string),
        cert: file("sslcert"),
        key: file("sslkey"),
        crl: file("sslcrl"),
        home: home.clone(),
    };
    let connect_timeout = match s.non_empty("connect_timeout") {
        // libpq: zero or less waits forever, and less than 2 seconds is 2.
        Some(t) => match t.trim().parse::<i64>() {
            Ok(secs) if secs <= 0 => None,
            Ok(secs) => Some(Duration::from_secs(secs.max(2) as u64)),
            Err(_) => {
                return Err(invalid(format!("invalid integer value \"{t}\" for connection option \"connect_timeout\"")))
            }
        },
        None => Some(DEFAULT_CONNECT_TIMEOUT),
    };
    let session_attrs = match s.non_empty("target_session_attrs") {
        Some(v) => {
            SessionAttrs::parse(v).ok_or_else(|| invalid(format!("invalid target_session_attrs value: \"{v}\"")))?
        }
        None => SessionAttrs::Any,
    };
    let channel_binding = match s.non_empty("channel_binding") {
        None | Some("prefer") => ChannelBinding::Prefer,
        Some("disable") => ChannelBinding::Disable,
        Some("require") => ChannelBinding::Require,
        Some(v) => return Err(invalid(format!("invalid channel_binding value: \"{v}\""))),
    };
    // No GSSAPI here: `prefer` falls back to a connection without it, as libpq does when it
    // has no credentials.
    match s.non_empty("gssencmode") {
        None | Some("disable") | Some("prefer") => {}
        Some(v) => return Err(invalid(format!("gssencmode={v} is not supported by rolec (GSSAPI encryption)"))),
    }
    // libpq: `application_name` (from the string, the service or PGAPPNAME), else the
    // `fallback_application_name`, which for rolec is `rolec`.
    let application_name =
        s.get("application_name").or_else(|| s.get("fallback_application_name")).unwrap_or("rolec").to_string();
    Ok(Resolved {
        hosts,
        user,
        dbname,
        password: s.get("password").map(str::to_string),
        passfile: file("passfile").or_else(|| home.map(|h| h.join(".pgpass"))),
        tls,
        connect_timeout,
        session_attrs,
        application_name,
        options: s.non_empty("options").map(str::to_string),
        channel_binding,
    })
}

/// The hosts of `host`/`hostaddr` with their ports: as many ports as hosts, or one for all.
fn host_list(s: &Settings) -> Result<Vec<HostEntry>, String> {
    let split = |k: &str| s.get(k).map(|v| v.split(',').map(str::trim).map(str::to_string).collect::<Vec<_>>());
    let names = split("host");
    let addrs = split("hostaddr");
    let count = match (&names, &addrs) {
        (Some(n), Some(a)) if n.len() != a.len() => {
            return Err(format!("could not match {} host names to {} hostaddr values", n.len(), a.len()));
        }
        (Some(n), _) => n.len(),
        (None, Some(a)) => a.len(),
        (None, None) => 1,
    };
    let ports = split("port").unwrap_or_default();
    if ports.len() > 1 && ports.len() != count {
        return Err(format!("could not match {} port numbers to {count} hosts", ports.len()));
    }
    (0..count)
        .map(|i| {
            let port = match ports.get(i).or(ports.first()).map(String::as_str) {
                None | Some("") => 5432,
                Some(p) => p.parse().map_err(|_| format!("invalid port number: \"{p}\""))?,
            };
            let hostaddr = match addrs.as_ref().map(|a| a[i].as_str()) {
                None | Some("") => None,
                Some(a) => Some(a.parse().map_err(|_| format!("could not parse network address \"{a}\""))?),
            };
            let mut host = names.as_ref().map(|n| n[i].clone()).unwrap_or_default();
            if host.is_empty() && hostaddr.is_none() {
                host = default_socket_dir().to_string();
            }
            Ok(HostEntry { host, hostaddr, port })
        })
        .collect()
}

/// Connects to the first host of the list that accepts the login and has the session
/// attributes asked for; NOTICE and WARNING messages are collected in
/// [`Connection::notices`]. Errors name every host tried with its reason, never the password.
pub fn connect(db: &str, env: Env) -> Result<Connection, LiveError> {
    connect_to(db, None, env)
}

/// [`connect`] to database `database` of the same server instead of the one `db` names (the
/// other databases a policy covers).
pub fn connect_to(db: &str, database: Option<&str>, env: Env) -> Result<Connection, LiveError> {
    let r = resolve_in(db, database, env)?;
    let mut secrets = passwords_in(db, env);
    secrets.extend(r.password.clone());
    let mut warnings: Vec<String> = Vec::new();
    // (`host` port N, reason) of every attempt.
    let mut failures: Vec<(String, String)> = Vec::new();
    let notices: Notices = Arc::default();
    // prefer-standby: a standby if there is one, else any server (libpq's two passes).
    let passes: &[SessionAttrs] = match r.session_attrs {
        SessionAttrs::PreferStandby => &[SessionAttrs::Standby, SessionAttrs::Any],
        attrs => &[attrs][..],
    };
    for &attrs in passes {
        for entry in &r.hosts {
            let (password, from_file) = password_for(&r, entry, &mut warnings);
            secrets.extend(password.clone());
            let shown = format!("`{}` port {}", entry.shown(), entry.port);
            let result = connect_host(&r, entry, password.as_deref(), &notices).and_then(|mut client| {
                match wrong_session(&mut client, attrs)? {
                    Some(why) => Err(why),
                    None => Ok(client),
                }
            });
            match result {
                Ok(client) => {
                    let target = Target {
                        host: entry.shown(),
                        port: entry.port,
                        user: r.user.clone(),
                        dbname: r.dbname.clone(),
                    };
                    return Ok(Connection { client, target, notices, warnings });
                }
                Err(reason) => {
                    let mut reason = explain(&reason, &r, from_file.as_deref());
                    if passes.len() > 1 && attrs == SessionAttrs::Standby {
                        reason.push_str(" (looking for a standby first)");
                    }
                    failures.push((shown, reason));
                }
            }
        }
    }
    let mut msg = format!("cannot connect to database `{}` as `{}`", r.dbname, r.user);
    let mode = format!("sslmode={}", r.tls.mode.as_str());
    match failures.as_slice() {
        [(host, reason)] => msg.push_str(&format!(" on {host} ({mode}): {reason}")),
        all => {
            msg.push_str(&format!(" ({mode}), no host accepted:"));
            for (host, reason) in all {
                msg.push_str(&format!("\n  {host}: {reason}"));
            }
        }
    }
    for w in &warnings {
        msg.push_str(&format!("\nwarning: {w}"));
    }
    Err(LiveError::CannotConnect(scrub(&msg, &secrets)))
}

/// The password for one host: the one given (`password`, PGPASSWORD), else the password
/// file's line for this host, port, database and user. The second value is the file the
/// password came from.
fn password_for(r: &Resolved, entry: &HostEntry, warnings: &mut Vec<String>) -> (Option<String>, Option<PathBuf>) {
    if let Some(p) = r.password.as_ref().filter(|p| !p.is_empty()) {
        return (Some(p.clone()), None);
    }
    let Some(file) = &r.passfile else { return (None, None) };
    let host = if entry.host.is_empty() { entry.shown() } else { entry.host.clone() };
    let key = pgpass::Key { host: &host, port: entry.port, dbname: &r.dbname, user: &r.user };
    let found = pgpass::lookup(file, &key, default_socket_dir());
    if let Some(w) = found.warning {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    let from = found.password.is_some().then(|| file.clone());
    (found.password, from)
}

/// One attempt at one host; the error is the reason alone.
fn connect_host(r: &Resolved, entry: &HostEntry, password: Option<&str>, notices: &Notices) -> Result<Client, String> {
    let mut config = Config::new();
    config.user(&r.user).dbname(&r.dbname).port(entry.port).application_name(&r.application_name);
    config.channel_binding(r.channel_binding);
    if entry.is_socket() {
        config.host_path(&entry.host);
    } else if !entry.host.is_empty() {
        config.host(&entry.host);
    }
    if let Some(addr) = entry.hostaddr {
        config.hostaddr(addr);
    }
    if let Some(p) = password {
        config.password(p);
    }
    if let Some(o) = &r.options {
        config.options(o);
    }
    if let Some(t) = r.connect_timeout {
        config.connect_timeout(t);
    }
    let sink = Arc::clone(notices);
    config.notice_callback(move |n| {
        sink.lock().unwrap_or_else(|e| e.into_inner()).push((n.code().code().to_string(), n.message().to_string()));
    });
    // libpq never uses TLS over a unix socket, whatever sslmode says.
    let mut tls = r.tls.clone();
    if entry.is_socket() {
        tls.mode = SslMode::Disable;
    }
    let host = entry.shown();
    let Some(limit) = r.connect_timeout else { return tls::connect_one(&config, &tls, &host) };
    // The client library times the socket's connect alone: a server that accepts and then
    // never answers would hold the command forever. libpq's connect_timeout bounds the whole
    // attempt, so the attempt runs on a thread of its own, left behind when the time is up.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(tls::connect_one(&config, &tls, &host));
    });
    receiver
        .recv_timeout(limit)
        .unwrap_or_else(|_| Err(format!("timeout expired: no answer within connect_timeout ({} s)", limit.as_secs())))
}

/// Why a connected session is not the one `attrs` asks for, if it is not.
fn wrong_session(client: &mut Client, attrs: SessionAttrs) -> Result<Option<String>, String> {
    let query = match attrs {
        SessionAttrs::Any | SessionAttrs::PreferStandby => return Ok(None),
        SessionAttrs::ReadWrite | SessionAttrs::ReadOnly => "SHOW transaction_read_only",
        SessionAttrs::Primary | SessionAttrs::Standby => {
            "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN 'on' ELSE 'off' END"
        }
    };
    let rows = client.simple_query(query).map_err(|e| error_text(&e))?;
    let on = rows.iter().any(|m| matches!(m, postgres::SimpleQueryMessage::Row(row) if row.get(0) == Some("on")));
    Ok(match (attrs, on) {
        (SessionAttrs::ReadWrite, true) => Some("session is read-only (target_session_attrs=read-write)".into()),
        (SessionAttrs::ReadOnly, false) => Some("session is not read-only (target_session_attrs=read-only)".into()),
        (SessionAttrs::Primary, true) => Some("server is in hot standby mode (target_session_attrs=primary)".into()),
        (SessionAttrs::Standby, false) => {
            Some("server is not in hot standby mode (target_session_attrs=standby)".into())
        }
        _ => None,
    })
}

/// The reason a host refused, with what helps: where a password came from, and what to do
/// when a server accepts only TLS or wants a password that was not given.
fn explain(reason: &str, r: &Resolved, password_file: Option<&Path>) -> String {
    let mut out = reason.to_string();
    if let Some(file) = password_file.filter(|_| reason.starts_with("28P01")) {
        out.push_str(&format!("\n    (password retrieved from file \"{}\")", file.display()));
    }
    let plaintext = matches!(r.tls.mode, SslMode::Disable | SslMode::Allow | SslMode::Prefer);
    if plaintext && reason.contains("pg_hba.conf") && reason.contains("no encryption") {
        out.push_str(
            "\n    HINT: the server accepts only TLS connections from here: add sslmode=require \
             (or sslmode=verify-full with sslrootcert=FILE) to the connection string, or set PGSSLMODE",
        );
    }
    if reason.contains("password missing") {
        out.push_str("\n    HINT: no password was given: set PGPASSWORD or add a line to the password file (~/.pgpass or PGPASSFILE)");
    }
    out
}

/// An error as one line or a few: SQLSTATE, message, detail and hint for server errors.
pub fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.code().code(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!("\nDETAIL: {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("\nHINT: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                let text = inner.to_string();
                if !s.contains(&text) {
                    s.push_str(&format!(": {text}"));
                }
                source = inner.source();
            }
            s
        }
    }
}

/// Every password the connection string or the environment could hold, as written and as
/// percent-decoded, for [`scrub`].
fn passwords_in(db: &str, env: Env) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = env("PGPASSWORD") {
        out.push(p);
    }
    // URL: scheme://user:password@host
    if let Some(rest) = db.split_once("://").map(|(_, r)| r) {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, p)) = userinfo.split_once(':') {
                out.push(p.to_string());
            }
        }
        for pair in rest.split_once('?').map(|(_, q)| q).unwrap_or("").split('&') {
            if let Some(p) = pair.strip_prefix("password=") {
                out.push(p.to_string());
            }
        }
    }
    // key-value: password=secret or password='with spaces'
    let mut rest = db;
    while let Some(i) = rest.find("password") {
        let after = rest[i + "password".len()..].trim_start();
        rest = &rest[i + "password".len()..];
        let Some(value) = after.strip_prefix('=') else { continue };
        let value = value.trim_start();
        let token = if let Some(q) = value.strip_prefix('\'') {
            let mut s = String::new();
            let mut chars = q.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => s.extend(chars.next()),
                    '\'' => break,
                    c => s.push(c),
                }
            }
            out.push(q.split('\'').next().unwrap_or("").to_string());
            s
        } else {
            value.split_whitespace().next().unwrap_or("").to_string()
        };
        out.push(token);
    }
    let decoded: Vec<String> = out.iter().map(|p| percent_decode(p)).collect();
    out.extend(decoded);
    out.retain(|p| !p.is_empty());
    out.sort_by_key(|p| std::cmp::Reverse(p.len()));
    out.dedup();
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces every occurrence of a secret with `***`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut s = text.to_string();
    for p in secrets {
        s = s.replace(p.as_str(), "***");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    fn host(host: &str, port: u16) -> HostEntry {
        HostEntry { host: host.into(), hostaddr: None, port }
    }

    #[test]
    fn urls_and_key_values() {
        let env = env_of(&[]);
        let r = resolve("postgresql://alice:pw@db.example:6000/app", &env).unwrap();
        assert_eq!((r.hosts, r.user.as_str(), r.dbname.as_str()), (vec![host("db.example", 6000)], "alice", "app"));
        assert_eq!(r.password.as_deref(), Some("pw"));
        let r = resolve("host=/dev/shm/x,b port=5432,5433 user=postgres", &env).unwrap();
        assert_eq!(r.hosts, vec![host("/dev/shm/x", 5432), host("b", 5433)]);
        assert_eq!(r.dbname, "postgres");
        let r = resolve("host=a,b port=7 hostaddr=127.0.0.1,::1 user=u", &env).unwrap();
        assert_eq!(r.hosts[1], HostEntry { host: "b".into(), hostaddr: Some("::1".parse().unwrap()), port: 7 });
        let err = |db: &str| resolve(db, &env).unwrap_err().to_string();
        assert_eq!(err("host=a,b,c port=1,2 user=u"), "could not match 2 port numbers to 3 hosts");
        assert_eq!(err("host=a port=x user=u"), "invalid port number: \"x\"");
        assert_eq!(err("user=u sslmode=maybe"), "invalid sslmode value: \"maybe\"");
        assert_eq!(err("user=u target_session_attrs=rw"), "invalid target_session_attrs value: \"rw\"");
        assert!(err("user=u connect_timeout=soon").contains("\"connect_timeout\""));
    }

    #[test]
    fn the_environment_fills_gaps() {
        let env = env_of(&[
            ("PGHOST", "/run/pg"),
            ("PGPORT", "6543"),
            ("PGUSER", "bob"),
            ("PGDATABASE", "shop"),
            ("PGPASSWORD", "s3cret"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", "system"),
            ("PGSSLCERT", "/c.crt"),
            ("PGSSLKEY", "/c.key"),
            ("PGSSLCRL", "/c.crl"),
            ("PGCONNECT_TIMEOUT", "1"),
            ("PGTARGETSESSIONATTRS", "read-write"),
            ("PGAPPNAME", "deploy"),
            ("PGPASSFILE", "/p"),
            ("HOME", "/home/bob"),
        ]);
        let r = resolve("", &env).unwrap();
        assert_eq!((r.hosts, r.user.as_str(), r.dbname.as_str()), (vec![host("/run/pg", 6543)], "bob", "shop"));
        assert_eq!(r.password.as_deref(), Some("s3cret"));
        let tls = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some("system".into()),
            cert: Some("/c.crt".into()),
            key: Some("/c.key".into()),
            crl: Some("/c.crl".into()),
            home: Some("/home/bob".into()),
        };
        assert_eq!(r.tls, tls);
        assert_eq!(r.connect_timeout, Some(Duration::from_secs(2)), "libpq's minimum");
        assert_eq!((r.session_attrs, r.application_name.as_str()), (SessionAttrs::ReadWrite, "deploy"));
        assert_eq!(r.passfile, Some(PathBuf::from("/p")));
        // The string wins over the environment.
        let r =
            resolve("user=carol password=other sslmode=disable application_name=x connect_timeout=0", &env).unwrap();
        assert_eq!((r.user.as_str(), r.password.as_deref(), r.tls.mode), ("carol", Some("other"), SslMode::Disable));
        assert_eq!((r.application_name.as_str(), r.connect_timeout), ("x", None));
    }

    #[test]
    fn defaults() {
        let r = resolve("", &env_of(&[("HOME", "/home/u")])).unwrap();
        assert_eq!(r.hosts, vec![host(default_socket_dir(), 5432)]);
        // No user anywhere: the OS user of the password database (not $USER).
        assert_eq!(r.user, whoami::username().unwrap());
        assert_eq!(r.dbname, r.user);
        assert_eq!((r.application_name.as_str(), r.tls.mode), ("rolec", SslMode::Prefer));
        assert_eq!(r.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(r.passfile, Some(PathBuf::from("/home/u/.pgpass")));
        let r = resolve("fallback_application_name=tool", &env_of(&[])).unwrap();
        assert_eq!(r.application_name, "tool");
        let r = resolve("fallback_application_name=tool", &env_of(&[("PGAPPNAME", "env")])).unwrap();
        assert_eq!(r.application_name, "env");
    }

    #[test]
    fn hints_for_a_server_that_wants_tls_or_a_password() {
        let r = |db: &str| resolve(db, &env_of(&[])).unwrap();
        let hba = "28000: no pg_hba.conf entry for host \"10.0.0.1\", user \"u\", database \"d\", no encryption";
        assert!(explain(hba, &r("user=u"), None).contains("HINT: the server accepts only TLS connections"));
        assert!(explain(hba, &r("user=u sslmode=disable"), None).contains("sslmode=require"));
        assert!(!explain(hba, &r("user=u sslmode=require"), None).contains("HINT"));
        let missing = explain("invalid configuration: password missing", &r("user=u"), None);
        assert!(missing.contains("PGPASSWORD") && missing.contains("~/.pgpass"), "{missing}");
        let wrong = "28P01: password authentication failed for user \"u\"";
        assert!(explain(wrong, &r("user=u"), Some(Path::new("/p"))).ends_with("(password retrieved from file \"/p\")"));
        assert_eq!(explain(wrong, &r("user=u"), None), wrong);
    }

    #[test]
    fn passwords_are_scrubbed() {
        let env = env_of(&[]);
        let secrets = passwords_in("host=x password='a b\\'c' user=u", &env);
        assert!(secrets.contains(&"a b'c".to_string()), "{secrets:?}");
        let secrets = passwords_in("postgresql://u:p%40ss@h/db", &env);
        assert_eq!(scrub("auth failed for p@ss and p%40ss", &secrets), "auth failed for *** and ***");
        for db in
            ["postgresql://u:hunter2@h:notaport/db", "password=hunter2 more", "password=hunter2 port=1,2 host=a,b,c"]
        {
            let err = resolve(db, &env).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
