//! The password file (`~/.pgpass`, `passfile`, PGPASSFILE) with libpq's rules: lines
//! `hostname:port:database:username:password`, `*` matching anything in the first four fields,
//! `\:` and `\\` escapes, `#` comments, and the file ignored with a warning when the group or
//! others may read it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// What a lookup found: the password (if a line matched) and a warning for the user (a file
/// that was ignored).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lookup {
    pub password: Option<String>,
    pub warning: Option<String>,
}

/// The connection a password is looked up for. `host` is the host name, or the socket
/// directory for a unix socket (matched as `localhost` when it is the default directory).
pub struct Key<'a> {
    pub host: &'a str,
    pub port: u16,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// The password of the first line of `file` that matches `key`. A missing file finds nothing;
/// a file that is not a plain file or that the group or others may access is ignored with a
/// warning, as libpq does.
pub fn lookup(file: &Path, key: &Key, default_socket_dir: &str) -> Lookup {
    let Ok(meta) = std::fs::metadata(file) else { return Lookup::default() };
    if !meta.is_file() {
        return warning(format!("password file \"{}\" is not a plain file", file.display()));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return warning(format!(
            "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
            file.display()
        ));
    }
    let Ok(text) = crate::db::files::read_text(file, crate::db::files::CONNECTION_FILE) else {
        return Lookup::default();
    };
    let host = if key.host == default_socket_dir { "localhost" } else { key.host };
    let port = key.port.to_string();
    let password = text.lines().find_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let rest = [host, port.as_str(), key.dbname, key.user]
            .iter()
            .try_fold(line, |rest, want| field_matches(rest, want))?;
        Some(unescape_password(rest))
    });
    Lookup { password, warning: None }
}

fn warning(text: String) -> Lookup {
    Lookup { password: None, warning: Some(text) }
}

/// When the field at the start of `line` is `*` or equals `want` (after unescaping), the rest
/// of the line after its `:`.
fn field_matches<'l>(line: &'l str, want: &str) -> Option<&'l str> {
    if let Some(rest) = line.strip_prefix("*:") {
        return Some(rest);
    }
    let mut want = want.chars();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        let c = match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => escaped,
                None => return None,
            },
            ':' => return want.next().is_none().then(|| &line[i + 1..]),
            c => c,
        };
        if want.next() != Some(c) {
            return None;
        }
    }
    None
}

/// The password field: up to an unescaped `:` or the end, with `\` escapes removed.
fn unescape_password(field: &str) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => break,
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str, mode: u32) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        f
    }

    fn find(file: &Path, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
        let found = lookup(file, &Key { host, port, dbname, user }, "/var/run/postgresql");
        assert_eq!(found.warning, None);
        found.password
    }

    #[test]
    fn first_matching_line_with_wildcards_and_escapes() {
        let f = file_with(
            "# comment\n\
             db.example:5432:app:alice:first\n\
             db.example:*:*:alice:second\n\
             *:*:*:bob:pw\\:with\\\\escapes:ignored\n\
             h\\:x:5432:*:*:colon-host\n\
             localhost:5432:*:carol:socket\n\
             /dev/shm/x:5432:*:carol:dir\r\n",
            0o600,
        );
        let p = f.path();
        assert_eq!(find(p, "db.example", 5432, "app", "alice").as_deref(), Some("first"));
        assert_eq!(find(p, "db.example", 6000, "other", "alice").as_deref(), Some("second"));
        assert_eq!(find(p, "elsewhere", 1, "d", "bob").as_deref(), Some(r"pw:with\escapes"));
        assert_eq!(find(p, "h:x", 5432, "d", "zed").as_deref(), Some("colon-host"));
        assert_eq!(find(p, "/var/run/postgresql", 5432, "d", "carol").as_deref(), Some("socket"));
        assert_eq!(find(p, "/dev/shm/x", 5432, "d", "carol").as_deref(), Some("dir"));
        assert_eq!(find(p, "db.example", 5432, "app", "alic"), None);
        assert_eq!(find(p, "db.exampl", 5432, "app", "alice"), None);
        assert_eq!(find(&p.with_extension("missing"), "db.example", 5432, "app", "alice"), None);
    }

    #[test]
    fn a_file_others_may_read_is_ignored_with_a_warning() {
        let f = file_with("*:*:*:*:pw\n", 0o644);
        let key = Key { host: "h", port: 5432, dbname: "d", user: "u" };
        let found = lookup(f.path(), &key, "/tmp");
        assert_eq!(found.password, None);
        assert!(found
            .warning
            .unwrap()
            .ends_with("has group or world access; permissions should be u=rw (0600) or less"));
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(lookup(f.path(), &key, "/tmp").password.as_deref(), Some("pw"));
        let dir = tempfile::tempdir().unwrap();
        assert!(lookup(dir.path(), &key, "/tmp").warning.unwrap().ends_with("is not a plain file"));
    }
}
