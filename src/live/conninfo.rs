//! libpq connection strings, read as libpq reads them: URLs (`postgresql://` or `postgres://`,
//! percent-encoded, several `host:port` pairs, query parameters) and key-value strings
//! (`host=a,b port=5432 dbname='my db'`, quotes and backslash escapes), then the service file
//! entry and the `PG*` environment variables for what the string leaves out, in libpq's order:
//! the string, then the service, then the environment (then the defaults, see `connect`).
//!
//! Error messages name keywords, never values that could be a password.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keywords rolec acts on, each with the environment variable libpq reads for it.
pub const KEYWORDS: &[(&str, Option<&str>)] = &[
    ("host", Some("PGHOST")),
    ("hostaddr", Some("PGHOSTADDR")),
    ("port", Some("PGPORT")),
    ("user", Some("PGUSER")),
    ("password", Some("PGPASSWORD")),
    ("passfile", Some("PGPASSFILE")),
    ("dbname", Some("PGDATABASE")),
    ("service", Some("PGSERVICE")),
    ("servicefile", None),
    ("sslmode", Some("PGSSLMODE")),
    ("sslrootcert", Some("PGSSLROOTCERT")),
    ("sslcert", Some("PGSSLCERT")),
    ("sslkey", Some("PGSSLKEY")),
    ("sslcrl", Some("PGSSLCRL")),
    ("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    ("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    ("application_name", Some("PGAPPNAME")),
    ("fallback_application_name", None),
    ("options", Some("PGOPTIONS")),
    ("channel_binding", Some("PGCHANNELBINDING")),
    ("gssencmode", Some("PGGSSENCMODE")),
];

/// Keywords libpq knows that rolec does not act on. They are refused by name rather than
/// ignored, so that a setting the user relies on (a keepalive, an authentication requirement)
/// is never silently dropped.
const UNSUPPORTED: &[&str] = &[
    "client_encoding",
    "gsslib",
    "gssdelegation",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "max_protocol_version",
    "min_protocol_version",
    "replication",
    "require_auth",
    "requirepeer",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcertmode",
    "sslcompression",
    "sslcrldir",
    "sslkeylogfile",
    "sslnegotiation",
    "sslpassword",
    "sslsni",
    "tcp_user_timeout",
];

/// Connection settings by keyword (one of [`KEYWORDS`]). A keyword given with an empty value
/// is set (the environment does not fill it), as in libpq.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings(BTreeMap<&'static str, String>);

impl Settings {
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.0.get(keyword).map(String::as_str)
    }

    /// The value, or `None` when unset or empty.
    pub fn non_empty(&self, keyword: &str) -> Option<&str> {
        self.get(keyword).filter(|v| !v.is_empty())
    }

    /// Connects to database `name` instead of the one given (another database of the same
    /// cluster, with every other setting kept).
    pub fn set_dbname(&mut self, name: &str) {
        self.0.insert("dbname", name.to_string());
    }

    fn set(&mut self, keyword: &str, value: String) -> Result<(), String> {
        let keyword = known(keyword)?;
        self.0.insert(keyword, value);
        Ok(())
    }

    /// Sets `keyword` unless it is set already (how a service entry and the environment fill in).
    fn fill(&mut self, keyword: &str, value: String) -> Result<(), String> {
        let keyword = known(keyword)?;
        self.0.entry(keyword).or_insert(value);
        Ok(())
    }
}

/// The keyword as its static name, or libpq's error for an unknown one.
fn known(keyword: &str) -> Result<&'static str, String> {
    if let Some((k, _)) = KEYWORDS.iter().find(|(k, _)| *k == keyword) {
        return Ok(k);
    }
    if UNSUPPORTED.contains(&keyword) {
        return Err(format!("connection option \"{keyword}\" is not supported by rolec"));
    }
    Err(format!("invalid connection option \"{keyword}\""))
}

/// Parses `--db`: a URL, a key-value string, or nothing.
pub fn parse(s: &str) -> Result<Settings, String> {
    let trimmed = s.trim_start();
    match ["postgresql://", "postgres://"].iter().find_map(|p| trimmed.strip_prefix(p)) {
        Some(rest) => parse_url(rest),
        None => parse_key_values(s),
    }
}

/// `key=value` pairs separated by whitespace; a value is `'quoted'` or runs to the next
/// whitespace, and a backslash takes the next character literally in both.
fn parse_key_values(s: &str) -> Result<Settings, String> {
    let mut settings = Settings::default();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(settings);
        }
        let mut keyword = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            keyword.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("missing \"=\" after \"{keyword}\" in connection info string"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted string in connection info string".into()),
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        settings.set(&keyword, value)?;
    }
}

/// What follows `postgresql://`: `[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`.
fn parse_url(rest: &str) -> Result<Settings, String> {
    let mut settings = Settings::default();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (netloc, dbname) = match main.split_once('/') {
        Some((n, d)) => (n, Some(d)),
        None => (main, None),
    };
    // The user part ends at the last `@` of the network location (libpq stops at the first,
    // which leaves nothing valid for a second one).
    let hosts = match netloc.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                settings.set("user", percent_decode(user)?)?;
            }
            if let Some(p) = password {
                settings.set("password", percent_decode(p)?)?;
            }
            hosts
        }
        None => netloc,
    };
    let mut host_list = Vec::new();
    let mut port_list = Vec::new();
    if !hosts.is_empty() {
        for entry in hosts.split(',') {
            let (host, port) = if let Some(v6) = entry.strip_prefix('[') {
                let (addr, after) = v6
                    .split_once(']')
                    .ok_or("end of IPv6 host address (\"]\") missing in a connection URL".to_string())?;
                match after {
                    "" => (addr, ""),
                    _ => (addr, after.strip_prefix(':').ok_or("unexpected character after \"]\" in a connection URL")?),
                }
            } else {
                entry.split_once(':').unwrap_or((entry, ""))
            };
            host_list.push(percent_decode(host)?);
            port_list.push(percent_decode(port)?);
        }
    }
    if host_list.iter().any(|h| !h.is_empty()) {
        settings.set("host", host_list.join(","))?;
    }
    if port_list.iter().any(|p| !p.is_empty()) {
        settings.set("port", port_list.join(","))?;
    }
    if let Some(d) = dbname.filter(|d| !d.is_empty()) {
        settings.set("dbname", percent_decode(d)?)?;
    }
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err("missing key/value separator \"=\" in a URL query parameter".into());
        };
        let (key, value) = (percent_decode(key)?, percent_decode(value)?);
        // libpq's compatibility spelling of `sslmode=require` (from JDBC URLs).
        if key == "ssl" && value == "true" {
            settings.set("sslmode", "require".into())?;
            continue;
        }
        settings.set(&key, value).map_err(|_| format!("invalid URL query parameter: \"{key}\""))?;
    }
    Ok(settings)
}

/// Decodes `%XX`; a malformed escape or `%00` is an error (as in libpq). The message never
/// repeats the text, which may be a password.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(0) => return Err("forbidden value %00 in a connection URL".into()),
                Some(b) => out.push(b),
                None => return Err("invalid percent-encoded token in a connection URL".into()),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a percent-encoded value in a connection URL is not UTF-8".into())
}

/// Fills what `settings` leaves out from a service entry (when `service` or PGSERVICE names
/// one), then from the environment. `home` is the user's home directory (for
/// `~/.pg_service.conf`).
pub fn add_defaults(
    settings: &mut Settings,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<(), String> {
    let service = settings.non_empty("service").map(str::to_string).or_else(|| env("PGSERVICE"));
    if let Some(name) = service {
        // The user's file (`servicefile`, PGSERVICEFILE or ~/.pg_service.conf), then the
        // system's: the first file that has the service wins.
        let user_file = settings
            .non_empty("servicefile")
            .map(PathBuf::from)
            .or_else(|| env("PGSERVICEFILE").map(PathBuf::from))
            .or_else(|| home.map(|h| h.join(".pg_service.conf")));
        let sysconfdir = env("PGSYSCONFDIR").unwrap_or_else(|| DEFAULT_SYSCONFDIR.to_string());
        let files: Vec<PathBuf> =
            user_file.into_iter().chain([Path::new(&sysconfdir).join("pg_service.conf")]).collect();
        for (keyword, value) in service_entry(&name, &files)? {
            settings.fill(&keyword, value)?;
        }
    }
    for (keyword, var) in KEYWORDS {
        if let Some(value) = var.and_then(env) {
            settings.fill(keyword, value)?;
        }
    }
    Ok(())
}

/// Where libpq looks for `pg_service.conf` when PGSYSCONFDIR is unset (Debian's build of libpq).
pub const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The `key=value` lines of `[name]` in the first of `files` that has it. A file that cannot
/// be read is skipped, as in libpq.
fn service_entry(name: &str, files: &[PathBuf]) -> Result<Vec<(String, String)>, String> {
    for file in files {
        // A FIFO or a device is skipped as unreadable rather than waited on.
        let Ok(text) = crate::db::files::read_text(file, crate::db::files::CONNECTION_FILE) else { continue };
        let mut in_group = false;
        let mut entry = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(group) = line.strip_prefix('[') {
                if in_group {
                    break;
                }
                in_group = group.strip_suffix(']') == Some(name);
                continue;
            }
            if !in_group {
                continue;
            }
            let at = || format!("service file \"{}\", line {}", file.display(), n + 1);
            let (key, value) = line.split_once('=').ok_or_else(|| format!("syntax error in {}", at()))?;
            let key = key.trim();
            if key == "service" || key == "servicefile" {
                return Err(format!("nested service specifications not supported in {}", at()));
            }
            known(key).map_err(|e| format!("{e} in {}", at()))?;
            entry.push((key.to_string(), value.trim().to_string()));
        }
        if in_group {
            return Ok(entry);
        }
    }
    Err(format!("definition of service \"{name}\" not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> Vec<(&'static str, String)> {
        parse(s).unwrap().0.into_iter().collect()
    }

    fn pairs(p: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut v: Vec<_> = p.iter().map(|(k, v)| (*k, v.to_string())).collect();
        v.sort();
        v
    }

    #[test]
    fn urls() {
        assert_eq!(
            parsed("postgresql://al%40ice:p%3Aw@db.example:6000/my%20db?sslmode=verify-full&sslrootcert=/ca.pem"),
            pairs(&[
                ("user", "al@ice"),
                ("password", "p:w"),
                ("host", "db.example"),
                ("port", "6000"),
                ("dbname", "my db"),
                ("sslmode", "verify-full"),
                ("sslrootcert", "/ca.pem"),
            ])
        );
        assert_eq!(
            parsed("postgres://a:1,b,[::1]:3/db"),
            pairs(&[("host", "a,b,::1"), ("port", "1,,3"), ("dbname", "db")])
        );
        assert_eq!(parsed("postgresql://%2Frun%2Fpg/app"), pairs(&[("host", "/run/pg"), ("dbname", "app")]));
        assert_eq!(
            parsed("postgresql:///app?host=/tmp&ssl=true"),
            pairs(&[("host", "/tmp"), ("dbname", "app"), ("sslmode", "require")])
        );
        assert_eq!(parsed("postgresql://"), vec![]);
    }

    #[test]
    fn key_values_with_quotes_and_escapes() {
        assert_eq!(
            parsed(r"host = a,b port=1,2  dbname='my \'db\'' password=a\ b\\c user=''"),
            pairs(&[("host", "a,b"), ("port", "1,2"), ("dbname", "my 'db'"), ("password", r"a b\c"), ("user", "")])
        );
        assert_eq!(parsed("   "), vec![]);
    }

    #[test]
    fn errors_name_the_keyword_never_the_value() {
        let err = |s: &str| parse(s).unwrap_err();
        assert_eq!(err("hots=x"), "invalid connection option \"hots\"");
        assert_eq!(err("keepalives=1"), "connection option \"keepalives\" is not supported by rolec");
        assert_eq!(err("postgresql://h/db?sslmod=x"), "invalid URL query parameter: \"sslmod\"");
        assert_eq!(err("dbname"), "missing \"=\" after \"dbname\" in connection info string");
        assert_eq!(err("password='s3cret"), "unterminated quoted string in connection info string");
        for bad in ["postgresql://u:s3cret%zz@h/db", "postgresql://u:s3cret%00@h/db", "postgresql://u:s3cret%@h"] {
            assert!(!err(bad).contains("s3cret"), "{}", err(bad));
        }
        assert!(err("postgresql://[::1/db").contains("IPv6"));
    }

    fn env_of<'a>(vars: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_string_then_the_service_then_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let user_file = dir.path().join("user.conf");
        std::fs::write(&user_file, "# mine\n[app]\nhost=from-service\nport=7000\n\n[other]\nhost=x\n").unwrap();
        let env = [
            ("PGSERVICEFILE", user_file.display().to_string()),
            ("PGHOST", "from-env".into()),
            ("PGPORT", "6000".into()),
            ("PGUSER", "env-user".into()),
            ("PGSYSCONFDIR", dir.path().display().to_string()),
        ];
        let mut s = parse("service=app port=5555").unwrap();
        add_defaults(&mut s, &env_of(&env), None).unwrap();
        assert_eq!(
            (s.get("host"), s.get("port"), s.get("user")),
            (Some("from-service"), Some("5555"), Some("env-user"))
        );
        // PGSERVICE names the service when the string does not.
        let env2 = [&env[..], &[("PGSERVICE", "other".to_string())]].concat();
        let mut s = parse("").unwrap();
        add_defaults(&mut s, &env_of(&env2), None).unwrap();
        assert_eq!((s.get("host"), s.get("port")), (Some("x"), Some("6000")));
        // No service: the environment.
        let mut s = parse("user=u").unwrap();
        add_defaults(&mut s, &env_of(&env), None).unwrap();
        assert_eq!((s.get("host"), s.get("user")), (Some("from-env"), Some("u")));
    }

    #[test]
    fn the_first_service_file_that_has_the_service_wins() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let sys = dir.path().join("etc");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&sys).unwrap();
        std::fs::write(home.join(".pg_service.conf"), "[both]\nhost=user-file\n").unwrap();
        std::fs::write(sys.join("pg_service.conf"), "[both]\nhost=sys-file\nport=1\n[sys]\nhost=sys-only\n").unwrap();
        let env = [("PGSYSCONFDIR", sys.display().to_string())];
        let resolve = |db: &str| {
            let mut s = parse(db).unwrap();
            add_defaults(&mut s, &env_of(&env), Some(&home)).map(|()| s)
        };
        let both = resolve("service=both").unwrap();
        assert_eq!((both.get("host"), both.get("port")), (Some("user-file"), None));
        assert_eq!(resolve("service=sys").unwrap().get("host"), Some("sys-only"));
        assert_eq!(resolve("service=nope").unwrap_err(), "definition of service \"nope\" not found");
        // Errors in the file name it and the line.
        std::fs::write(home.join(".pg_service.conf"), "[bad]\nhost=x\nhots=y\n[nested]\nservice=both\n").unwrap();
        let err = resolve("service=bad").unwrap_err();
        assert!(
            err.starts_with("invalid connection option \"hots\" in service file") && err.ends_with("line 3"),
            "{err}"
        );
        assert!(resolve("service=nested").unwrap_err().starts_with("nested service specifications"));
    }
}
