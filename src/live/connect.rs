//! Connecting to a live server: `--db` is a libpq URL (`postgresql://user@host/db`) or a
//! key-value string (`host=/run/postgresql dbname=app`); what it leaves out comes from PGHOST,
//! PGPORT, PGUSER, PGDATABASE and PGPASSWORD, then from libpq's defaults (the unix socket in
//! `/var/run/postgresql` or `/tmp`, port 5432, the OS user). A host that starts with `/` is a
//! unix-socket directory.
//!
//! The password never leaves this module: errors are scrubbed of it, and [`Target`] (what the
//! commands print) holds no password.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

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
}

impl Connection {
    /// Takes the notices collected so far.
    pub fn take_notices(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Reads a variable of the environment the connection settings come from.
pub type Env<'e> = &'e dyn Fn(&str) -> Option<String>;

/// The process environment, for [`config`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Builds the connection settings from `--db` and the environment. Errors never contain the
/// password.
pub fn config(db: &str, env: Env) -> Result<(Config, Target), LiveError> {
    let secrets = passwords_in(db, env);
    let mut config = if db.trim().is_empty() {
        Config::new()
    } else {
        Config::from_str(db).map_err(|e| {
            LiveError::InvalidConnectionString(scrub(&format!("invalid connection string: {e}"), &secrets))
        })?
    };
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        match env("PGHOST") {
            Some(hosts) => {
                for h in hosts.split(',') {
                    if h.starts_with('/') {
                        config.host_path(h);
                    } else {
                        config.host(h);
                    }
                }
            }
            None => {
                let dir = ["/var/run/postgresql", "/tmp"].into_iter().find(|d| Path::new(d).is_dir()).unwrap_or("/tmp");
                config.host_path(dir);
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(p) = env("PGPORT") {
            let port: u16 = p.trim().parse().map_err(|_| LiveError::BadPort(p.clone()))?;
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        let user = env("PGUSER").or_else(|| env("USER")).or_else(|| env("LOGNAME")).ok_or(LiveError::NoUser)?;
        config.user(&user);
    }
    if config.get_dbname().is_none() {
        let db = env("PGDATABASE").unwrap_or_else(|| config.get_user().unwrap_or_default().to_string());
        config.dbname(&db);
    }
    if config.get_password().is_none() {
        if let Some(p) = env("PGPASSWORD") {
            config.password(p);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(30));
    }
    config.application_name("rolec");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => config.get_hostaddrs().first().map(|a| a.to_string()).unwrap_or_default(),
    };
    let target = Target {
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        user: config.get_user().unwrap_or_default().to_string(),
        dbname: config.get_dbname().unwrap_or_default().to_string(),
    };
    Ok((config, target))
}

/// Connects; NOTICE and WARNING messages are collected in [`Connection::notices`].
pub fn connect(db: &str, env: Env) -> Result<Connection, LiveError> {
    let secrets = passwords_in(db, env);
    let (mut config, target) = config(db, env)?;
    let notices: Notices = Arc::default();
    let sink = Arc::clone(&notices);
    config.notice_callback(move |n| {
        sink.lock().unwrap_or_else(|e| e.into_inner()).push((n.code().code().to_string(), n.message().to_string()));
    });
    let client = config.connect(NoTls).map_err(|e| {
        LiveError::CannotConnect(scrub(&format!("cannot connect to {target}: {}", error_text(&e)), &secrets))
    })?;
    Ok(Connection { client, target, notices })
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

    #[test]
    fn urls_and_key_values() {
        let env = env_of(&[]);
        let (c, t) = config("postgresql://alice:pw@db.example:6000/app", &env).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.user.as_str(), t.dbname.as_str()), ("db.example", 6000, "alice", "app"));
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
        let (_, t) = config("host=/dev/shm/x port=5432 user=postgres dbname=postgres", &env).unwrap();
        assert_eq!(t.host, "/dev/shm/x");
    }

    #[test]
    fn the_environment_fills_gaps() {
        let env = env_of(&[
            ("PGHOST", "/run/pg"),
            ("PGPORT", "6543"),
            ("PGUSER", "bob"),
            ("PGDATABASE", "shop"),
            ("PGPASSWORD", "s3cret"),
        ]);
        let (c, t) = config("", &env).unwrap();
        assert_eq!(t, Target { host: "/run/pg".into(), port: 6543, user: "bob".into(), dbname: "shop".into() });
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        // The string wins over the environment.
        let (c, t) = config("user=carol password=other", &env).unwrap();
        assert_eq!((t.user.as_str(), c.get_password()), ("carol", Some(&b"other"[..])));
    }

    #[test]
    fn passwords_are_scrubbed() {
        let env = env_of(&[]);
        let secrets = passwords_in("host=x password='a b\\'c' user=u", &env);
        assert!(secrets.contains(&"a b'c".to_string()), "{secrets:?}");
        let secrets = passwords_in("postgresql://u:p%40ss@h/db", &env);
        assert_eq!(scrub("auth failed for p@ss and p%40ss", &secrets), "auth failed for *** and ***");
        let err = config("postgresql://u:hunter2@h:notaport/db", &env).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
