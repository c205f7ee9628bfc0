//! A throwaway PostgreSQL cluster for integration tests.
//!
//! ```ignore
//! mod support;
//! use support::pg::PgCluster;
//!
//! let pg = PgCluster::start();
//! let before = pg.snapshot("postgres");
//! pg.exec("postgres", "CREATE ROLE r").unwrap();
//! let after = pg.snapshot("postgres");
//! assert!(before.diff(&after).contains("\"r\""));
//! ```
//!
//! Every cluster lives in its own directory under `/dev/shm` (data directory, logs and the unix
//! socket `.s.PGSQL.5432`); it listens on no TCP port, so any number of clusters can run side by
//! side. Roles are cluster-wide, so tests that create roles should each start their own cluster.
//!
//! Environment:
//! - `ROLEC_PG_BIN`: directory holding `initdb`, `pg_ctl` and `postgres`
//!   (default `/usr/lib/postgresql/15/bin`; `apt-get install postgresql-15` on Debian).
//! - `ROLEC_PG_TMPDIR`: where cluster directories go (default `/dev/shm` if writable, else `/tmp`).
//!   Keep it short: a unix socket path may not exceed 107 bytes.
//! - `ROLEC_PG_NO_TEMPLATE=1`: run `initdb` for every cluster instead of copying a data directory
//!   initialised once per test process (copying saves ~0.5 s per cluster).
//! - `ROLEC_PG_KEEP=1`: stop the server but keep its directory (logs, data) when the cluster is
//!   dropped; the path is printed to stderr.
//! - `ROLEC_TEST_TLS=1`: every cluster also listens on TCP, on a loopback address of its own
//!   (port 5432), and accepts only TLS there; [`PgCluster::conn_str`] then hands out a TLS
//!   connection string (`host=localhost hostaddr=127.x.y.z ... sslmode=verify-full sslrootcert=...`).
//!   The harness's own connections keep using the socket. See tests/support/tls.rs.
//!
//! Running as root: `initdb` refuses to run as root, so the server runs as the `postgres` OS user
//! (or `nobody` if there is none); the cluster directory is chowned to that user.
//!
//! Cleanup: `Drop` stops the server (`pg_ctl -m immediate`, i.e. SIGQUIT) and removes the
//! directory. What a killed test process leaves behind (and the per-process template directory,
//! which is never dropped) is cleaned up by a small watcher process, started once per test
//! process, that waits for the test process to exit; anything left over anyway (e.g. the watcher
//! was killed too) is removed by the next test process that starts a cluster. Only directories
//! with an `owner` file naming a dead process are ever touched; the `owner` file is written
//! by this module.

use std::collections::{BTreeSet, HashMap};
use std::fmt::{Debug, Write as _};
use std::fs;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

pub use super::tls::Listen;

/// Where the PostgreSQL binaries are looked for when `ROLEC_PG_BIN` is not set.
pub const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The port is only part of the socket file name (`.s.PGSQL.5432`); there is no TCP listener.
pub const PORT: u16 = 5432;
/// Prefix of every directory this module creates (clusters and templates).
const DIR_PREFIX: &str = "rolec-pg.";
/// Longest usable unix socket path on Linux (sun_path is 108 bytes including the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// A running, throwaway PostgreSQL cluster. Dropping it stops the server and removes its files.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<OsUser>,
    version_num: u32,
    keep: bool,
    listen: Listen,
    /// The loopback address of its TCP listener, if any.
    tcp: Option<Ipv4Addr>,
    /// The postmaster (our child process).
    server: Option<Child>,
    /// Server settings of the test (`name=value`, passed as `-c` options).
    settings: Vec<String>,
}

/// The unprivileged OS user the server runs as when the tests run as root.
#[derive(Clone, Debug)]
struct OsUser {
    uid: u32,
    gid: u32,
}

impl PgCluster {
    /// Initialises and starts a new cluster (superuser `postgres`, trust authentication, UTF8,
    /// locale C.UTF-8, socket only, fsync/synchronous_commit/full_page_writes off,
    /// max_connections 50). Panics with the initdb/server log if anything fails.
    /// With `ROLEC_TEST_TLS=1`, as [`start_with`](Self::start_with)`(Listen::Tls(ServerCert::Valid))`.
    pub fn start() -> PgCluster {
        Self::start_with(Listen::from_env())
    }

    /// Like [`start`](Self::start), listening also on TCP as `listen` says.
    pub fn start_with(listen: Listen) -> PgCluster {
        Self::start_configured(listen, &[])
    }

    /// Like [`start`](Self::start), with more server settings (`name=value`, as `-c` options),
    /// e.g. `["logging_collector=on", "log_connections=on"]`.
    pub fn start_with_settings(settings: &[&str]) -> PgCluster {
        Self::start_configured(Listen::from_env(), settings)
    }

    fn start_configured(listen: Listen, settings: &[&str]) -> PgCluster {
        let bin = bin_dir();
        for tool in ["initdb", "pg_ctl", "postgres"] {
            if !bin.join(tool).is_file() {
                panic!(
                    "PostgreSQL binary {} not found: install PostgreSQL 15 \
                     (apt-get install -y postgresql-15) or set ROLEC_PG_BIN to a bin directory",
                    bin.join(tool).display()
                );
            }
        }
        let run_as = server_os_user();
        let root = tmp_root();
        process_setup(&root, run_as.as_ref());

        let dir = make_owned_dir(&root, None, &bin, run_as.as_ref());
        // From here on `Drop` cleans up, also when one of the steps below panics.
        let mut cluster = PgCluster {
            dir,
            bin,
            run_as,
            version_num: 0,
            keep: env_flag("ROLEC_PG_KEEP"),
            listen,
            tcp: None,
            server: None,
            settings: settings.iter().map(|s| s.to_string()).collect(),
        };
        cluster.init_data_dir();
        cluster.configure_listen();
        cluster.start_server();
        let v = cluster.query_strings("postgres", "SHOW server_version_num");
        cluster.version_num =
            v.first().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("unexpected server_version_num {v:?}"));
        cluster
    }

    /// Whether [`start_standby_of`](Self::start_standby_of) can run: the bin directory has
    /// `pg_basebackup` (the Debian packages do; the npm builds of other majors do not).
    pub fn standby_supported() -> bool {
        bin_dir().join("pg_basebackup").is_file()
    }

    /// A hot standby of `primary` (a streaming base backup of it, `pg_basebackup -R`), on a
    /// socket of its own: read-only sessions, `pg_is_in_recovery()` true.
    pub fn start_standby_of(primary: &PgCluster) -> PgCluster {
        let (bin, run_as) = (primary.bin.clone(), primary.run_as.clone());
        let dir = make_owned_dir(&tmp_root(), None, &bin, run_as.as_ref());
        let mut standby = PgCluster {
            dir,
            bin,
            run_as,
            version_num: primary.version_num,
            keep: env_flag("ROLEC_PG_KEEP"),
            listen: Listen::Socket,
            tcp: None,
            server: None,
            settings: Vec::new(),
        };
        let out = pg_command(&standby.bin.join("pg_basebackup"), &standby.dir, standby.run_as.as_ref())
            .arg("-D")
            .arg(standby.dir.join("data"))
            .arg("-h")
            .arg(&primary.dir)
            .args(["-p", &PORT.to_string(), "-U", "postgres", "-R", "-X", "stream", "-c", "fast"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run pg_basebackup: {e}"));
        if !out.status.success() {
            panic!("pg_basebackup failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        standby.start_server();
        standby
    }

    /// `server_version_num`, e.g. 150018 for 15.18.
    pub fn version_num(&self) -> u32 {
        self.version_num
    }

    /// Major version, e.g. 15.
    pub fn major(&self) -> u32 {
        self.version_num / 10000
    }

    /// Directory holding the data directory, the logs and the unix socket.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Contents of the server log so far (handy in assertion messages).
    pub fn server_log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The loopback address the cluster listens on over TCP (not [`Listen::Socket`]).
    pub fn tcp_address(&self) -> Option<Ipv4Addr> {
        self.tcp
    }

    /// The CA certificate file that signed the server's certificate ([`Listen::Tls`]).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// libpq key=value connection string for the superuser `postgres`.
    pub fn conn_str(&self, db: &str) -> String {
        self.conn_str_as(db, "postgres")
    }

    /// libpq key=value connection string for another (LOGIN) role; authentication is `trust`.
    /// The unix socket, or TCP when the cluster listens there (with TLS, `verify-full`).
    pub fn conn_str_as(&self, db: &str, user: &str) -> String {
        let (user, db) = (conn_value(user), conn_value(db));
        match (self.listen, self.tcp) {
            (Listen::Tls(_), Some(addr)) => format!(
                "host=localhost hostaddr={addr} port={PORT} user={user} dbname={db} sslmode=verify-full sslrootcert={}",
                conn_value(&self.ca_file().to_string_lossy())
            ),
            (Listen::Tcp, Some(addr)) => format!("host={addr} port={PORT} user={user} dbname={db} sslmode=disable"),
            _ => format!("host={} port={PORT} user={user} dbname={db}", conn_value(&self.dir.to_string_lossy())),
        }
    }

    /// A new connection as `postgres`. Panics if it cannot connect.
    pub fn client(&self, db: &str) -> postgres::Client {
        self.client_as(db, "postgres")
    }

    /// A new connection as `user`. Panics if it cannot connect.
    pub fn client_as(&self, db: &str, user: &str) -> postgres::Client {
        self.try_client_as(db, user)
            .unwrap_or_else(|e| panic!("cannot connect to database {db:?} as {user:?}: {e}\n{}", self.server_log()))
    }

    /// A new connection as `user`, or the error as text.
    pub fn try_client_as(&self, db: &str, user: &str) -> Result<postgres::Client, String> {
        self.config_as(db, user).connect(postgres::NoTls).map_err(|e| error_text(&e))
    }

    fn config_as(&self, db: &str, user: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config.host_path(&self.dir).port(PORT).user(user).dbname(db).connect_timeout(Duration::from_secs(30));
        config
    }

    /// `CREATE DATABASE "name"`. Panics on failure.
    pub fn create_database(&self, name: &str) {
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        if let Err(e) = self.exec("postgres", &sql) {
            panic!("{sql}: {e}");
        }
    }

    /// Runs a (multi-statement) SQL script as `postgres` on a fresh connection, using the simple
    /// query protocol (so several statements run in one implicit transaction unless the script
    /// has its own BEGIN/COMMIT). The error text starts with the SQLSTATE, e.g.
    /// `42710: role "x" already exists`, followed by DETAIL/HINT lines if any.
    pub fn exec(&self, db: &str, sql: &str) -> Result<(), String> {
        self.exec_as(db, "postgres", sql)
    }

    /// Like [`exec`](Self::exec), connected as `user`.
    pub fn exec_as(&self, db: &str, user: &str, sql: &str) -> Result<(), String> {
        let mut client = self.try_client_as(db, user)?;
        client.batch_execute(sql).map_err(|e| error_text(&e))
    }

    /// Like [`exec`](Self::exec), and returns the NOTICE/WARNING (and other non-error) messages
    /// the server sent, each as `SEVERITY SQLSTATE: message`, e.g. `NOTICE 00000: hello`.
    pub fn exec_collect_notices(&self, db: &str, sql: &str) -> Result<Vec<String>, String> {
        self.exec_collect_notices_as(db, "postgres", sql)
    }

    /// Like [`exec_collect_notices`](Self::exec_collect_notices), connected as `user`.
    pub fn exec_collect_notices_as(&self, db: &str, user: &str, sql: &str) -> Result<Vec<String>, String> {
        let notices = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&notices);
        let mut config = self.config_as(db, user);
        config.notice_callback(move |n| {
            let line = format!("{} {}: {}", n.severity(), n.code().code(), n.message());
            sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        });
        let mut client = config.connect(postgres::NoTls).map_err(|e| error_text(&e))?;
        client.batch_execute(sql).map_err(|e| error_text(&e))?;
        drop(client);
        let notices = notices.lock().unwrap_or_else(|e| e.into_inner());
        Ok(notices.clone())
    }

    /// Runs a query that returns exactly one boolean (one row, one column). Panics otherwise.
    pub fn query_bool(&self, db: &str, sql: &str) -> bool {
        let rows = self.simple_rows(db, sql);
        match rows.as_slice() {
            [row] if row.len() == 1 => match row[0].as_deref() {
                Some("t") => true,
                Some("f") => false,
                other => panic!("query_bool: {sql:?} returned {other:?}, not a boolean"),
            },
            _ => panic!("query_bool: {sql:?} returned {rows:?}, expected one row with one column"),
        }
    }

    /// Runs a query and returns its first column as text (the server's text output of any type;
    /// SQL NULL becomes `"<NULL>"`). Panics on error.
    pub fn query_strings(&self, db: &str, sql: &str) -> Vec<String> {
        self.simple_rows(db, sql)
            .into_iter()
            .map(|row| match row.into_iter().next().flatten() {
                Some(s) => s,
                None => "<NULL>".to_owned(),
            })
            .collect()
    }

    /// All rows of the (last) result of `sql`, every value as text (None = SQL NULL).
    pub fn simple_rows(&self, db: &str, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut client = self.client(db);
        let messages = client.simple_query(sql).unwrap_or_else(|e| panic!("{sql:?} failed: {}", error_text(&e)));
        let mut rows = Vec::new();
        for m in messages {
            match m {
                postgres::SimpleQueryMessage::Row(row) => {
                    rows.push((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
                }
                // A later statement's rows replace an earlier statement's.
                postgres::SimpleQueryMessage::CommandComplete(_) => {}
                postgres::SimpleQueryMessage::RowDescription(_) => rows.clear(),
                _ => {}
            }
        }
        rows
    }

    /// Reads everything rolec can change (cluster-wide roles, settings, comments, memberships,
    /// plus the object privileges and default privileges of database `db`) over one connection.
    pub fn snapshot(&self, db: &str) -> CatalogSnapshot {
        let mut client = self.client(db);
        CatalogSnapshot::read(&mut client, self.version_num)
            .unwrap_or_else(|e| panic!("snapshot of {db:?} failed: {e}"))
    }

    // ---- setup ------------------------------------------------------------------------------

    fn init_data_dir(&self) {
        let data = self.dir.join("data");
        if env_flag("ROLEC_PG_NO_TEMPLATE") {
            if let Err(e) = run_initdb(&self.dir, &self.bin, self.run_as.as_ref()) {
                panic!("{e}");
            }
            return;
        }
        let template = template_data_dir(&self.bin, self.run_as.as_ref()).unwrap_or_else(|e| panic!("{e}"));
        // `cp -a` keeps ownership (we are root) or creates files owned by us (we are not).
        let out = Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(&data)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run cp: {e}"));
        if !out.status.success() {
            panic!(
                "copying the template data directory {} failed: {}",
                template.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// pg_hba.conf, and the TLS files and settings, for `self.listen`; picks the TCP address.
    fn configure_listen(&mut self) {
        if self.listen == Listen::Socket {
            return;
        }
        // The file exists (initdb wrote it), so it keeps its owner.
        let hba = self.dir.join("data").join("pg_hba.conf");
        fs::write(&hba, super::tls::hba_conf(self.listen))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", hba.display()));
        self.tcp = Some(super::tls::free_loopback_address(PORT));
    }

    /// The server settings `self.listen` adds (`-c` options).
    fn listen_settings(&self) -> Vec<String> {
        let addresses = self.tcp.map(|a| a.to_string()).unwrap_or_default();
        let mut settings = vec![format!("listen_addresses={addresses}")];
        settings.extend(self.settings.iter().cloned());
        if let (Listen::Tls(kind), Some(addr)) = (self.listen, self.tcp) {
            let owner = self.run_as.as_ref().map(|u| (u.uid, u.gid));
            settings.extend(super::tls::server_files(&self.dir, addr, kind, owner));
        }
        settings
    }

    /// Starts `postgres` directly (not through `pg_ctl start -w`, which polls only every 100 ms)
    /// and waits until postmaster.pid says "ready".
    fn start_server(&mut self) {
        let data = self.dir.join("data");
        let log = self.dir.join("server.log");
        let settings = self.listen_settings();
        let child = pg_command(&self.bin.join("postgres"), &self.dir, self.run_as.as_ref())
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&self.dir)
            .args(["-p", &PORT.to_string()])
            .args(settings.iter().flat_map(|s| ["-c", s.as_str()]))
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=50"])
            .stdout(log_file(&log))
            .stderr(log_file(&log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.join("postgres").display()));
        let child = self.server.insert(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Line 8 of postmaster.pid is the postmaster status ("starting", "ready", ...).
            let pidfile = fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
            // A hot standby says "standby" once it accepts connections.
            if matches!(pidfile.lines().nth(7).map(str::trim), Some("ready" | "standby")) {
                return;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the server exited during startup ({status}) in {}\n--- server log:\n{}",
                    self.dir.display(),
                    self.server_log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "the server did not become ready within 60 s in {}\n--- server log:\n{}",
                    self.dir.display(),
                    self.server_log()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            if let Ok(None) = server.try_wait() {
                // Immediate shutdown (SIGQUIT), without pg_ctl's 100 ms polling: we wait for our
                // child instead (which also reaps it).
                let _ = pg_command(&self.bin.join("pg_ctl"), &self.dir, self.run_as.as_ref())
                    .arg("-D")
                    .arg(self.dir.join("data"))
                    .args(["-m", "immediate", "-W", "stop"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                let deadline = Instant::now() + Duration::from_secs(30);
                while let Ok(None) = server.try_wait() {
                    if Instant::now() > deadline {
                        let _ = server.kill();
                        let _ = server.wait();
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
        if self.keep {
            let _ = fs::write(self.dir.join("keep"), "");
            eprintln!("ROLEC_PG_KEEP: kept cluster directory {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

// ---- catalog snapshot ---------------------------------------------------------------------------

/// A role and its attributes (pg_authid; `config` is pg_roles.rolconfig, the settings that apply
/// in every database).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleRow {
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub createrole: bool,
    pub createdb: bool,
    pub login: bool,
    pub replication: bool,
    pub bypassrls: bool,
    pub connlimit: i32,
    /// `rolvaliduntil` as text in UTC; None = no expiry.
    pub valid_until: Option<String>,
    /// The stored password (a SCRAM/MD5 verifier), None = no password.
    /// See [`CatalogSnapshot::password_kinds`] to compare presence/kind only.
    pub password: Option<String>,
    pub config: Vec<String>,
}

/// One setting from pg_db_role_setting. `role` None = all roles (ALTER DATABASE SET),
/// `database` None = all databases (ALTER ROLE SET).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleSettingRow {
    pub role: Option<String>,
    pub database: Option<String>,
    /// `name=value`
    pub setting: String,
}

/// COMMENT ON ROLE.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleCommentRow {
    pub role: String,
    pub comment: String,
}

/// One pg_auth_members row. `inherit_option`/`set_option` are None before PostgreSQL 16.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MembershipRow {
    pub role: String,
    pub member: String,
    pub grantor: Option<String>,
    pub admin_option: bool,
    pub inherit_option: Option<bool>,
    pub set_option: Option<bool>,
}

/// One privilege of one grantee on one object (an exploded ACL item; a NULL ACL is expanded to
/// the built-in default first).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrivilegeRow {
    /// table, view, matview, foreign table, sequence, column, function, procedure, aggregate,
    /// schema, database, type, domain, language, foreign data wrapper, foreign server,
    /// tablespace, large object, parameter (15+)
    pub objtype: String,
    pub schema: Option<String>,
    /// Object name; functions carry their identity arguments, e.g. `fn(a integer, b text)`.
    pub name: String,
    pub column: Option<String>,
    /// None for parameters (pg_parameter_acl has no owner).
    pub owner: Option<String>,
    /// Role name or `PUBLIC`.
    pub grantee: String,
    pub grantor: String,
    pub privilege: String,
    pub grantable: bool,
}

/// One exploded pg_default_acl entry. An entry whose ACL is empty (everything revoked) gives one
/// row with `grantee`, `privilege` and `grantable` None.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefaultPrivilegeRow {
    pub owner: String,
    /// None = global entry (no IN SCHEMA).
    pub schema: Option<String>,
    /// TABLES, SEQUENCES, FUNCTIONS, TYPES, SCHEMAS, LARGE OBJECTS
    pub objtype: String,
    pub grantee: Option<String>,
    pub privilege: Option<String>,
    pub grantable: Option<bool>,
}

/// Everything rolec can change, as sets of rows: two snapshots compare with `==`, and
/// [`diff`](Self::diff) lists the differing rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogSnapshot {
    pub roles: BTreeSet<RoleRow>,
    pub role_settings: BTreeSet<RoleSettingRow>,
    pub role_comments: BTreeSet<RoleCommentRow>,
    pub memberships: BTreeSet<MembershipRow>,
    /// Object privileges in the snapshot's database (plus the cluster-wide objects: databases,
    /// tablespaces, parameters).
    pub privileges: BTreeSet<PrivilegeRow>,
    pub default_privileges: BTreeSet<DefaultPrivilegeRow>,
}

const Q_ROLES: &str = "
SELECT a.rolname::text, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin,
       a.rolreplication, a.rolbypassrls, a.rolconnlimit, a.rolvaliduntil::text, a.rolpassword::text,
       COALESCE(r.rolconfig, '{}')::text[]
FROM pg_catalog.pg_authid a
JOIN pg_catalog.pg_roles r ON r.oid = a.oid";

const Q_SETTINGS: &str = "
SELECT r.rolname::text, d.datname::text, s.setting
FROM pg_catalog.pg_db_role_setting rs
LEFT JOIN pg_catalog.pg_roles r ON r.oid = rs.setrole
LEFT JOIN pg_catalog.pg_database d ON d.oid = rs.setdatabase
CROSS JOIN LATERAL unnest(rs.setconfig) AS s(setting)";

// pg_shdescription joined directly (one scan), not shobj_description() per role.
const Q_COMMENTS: &str = "
SELECT a.rolname::text, d.description
FROM pg_catalog.pg_shdescription d
JOIN pg_catalog.pg_authid a ON a.oid = d.objoid
WHERE d.classoid = 'pg_catalog.pg_authid'::pg_catalog.regclass";

// One query for 14..18: columns that do not exist before 16 come back NULL via to_jsonb.
const Q_MEMBERS: &str = "
SELECT r.rolname::text, m.rolname::text, g.rolname::text, am.admin_option,
       (to_jsonb(am) ->> 'inherit_option')::boolean,
       (to_jsonb(am) ->> 'set_option')::boolean
FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
JOIN pg_catalog.pg_roles m ON m.oid = am.member
LEFT JOIN pg_catalog.pg_roles g ON g.oid = am.grantor";

// Object privileges; a NULL ACL is expanded to the built-in default (acldefault). `{extra}` is
// replaced by version-dependent UNION ALL branches.
const Q_PRIVS: &str = "
WITH acl AS (
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview'
                        WHEN 'f' THEN 'foreign table' ELSE 'table' END AS objtype,
         n.nspname::text AS schema, c.relname::text AS name, NULL::text AS column_name,
         c.relowner AS owner,
         aclexplode(COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) AS a
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','p','v','m','f','S')
UNION ALL
  SELECT 'column', n.nspname::text, c.relname::text, at.attname::text, c.relowner, aclexplode(at.attacl)
  FROM pg_catalog.pg_attribute at
  JOIN pg_catalog.pg_class c ON c.oid = at.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE at.attacl IS NOT NULL AND at.attnum > 0 AND NOT at.attisdropped
UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
         n.nspname::text, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', NULL,
         p.proowner, aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner)))
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
UNION ALL
  SELECT 'schema', NULL, n.nspname::text, NULL, n.nspowner, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner)))
  FROM pg_catalog.pg_namespace n
UNION ALL
  SELECT 'database', NULL, d.datname::text, NULL, d.datdba, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba)))
  FROM pg_catalog.pg_database d
UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname::text, t.typname::text, NULL, t.typowner,
         aclexplode(COALESCE(t.typacl, acldefault('T', t.typowner)))
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('b','c','d','e','r','m') AND t.typcategory <> 'A'          -- no array types
    AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
UNION ALL
  SELECT 'language', NULL, l.lanname::text, NULL, l.lanowner, aclexplode(COALESCE(l.lanacl, acldefault('l', l.lanowner)))
  FROM pg_catalog.pg_language l
UNION ALL
  SELECT 'foreign data wrapper', NULL, w.fdwname::text, NULL, w.fdwowner,
         aclexplode(COALESCE(w.fdwacl, acldefault('F', w.fdwowner)))
  FROM pg_catalog.pg_foreign_data_wrapper w
UNION ALL
  SELECT 'foreign server', NULL, s.srvname::text, NULL, s.srvowner,
         aclexplode(COALESCE(s.srvacl, acldefault('S', s.srvowner)))
  FROM pg_catalog.pg_foreign_server s
UNION ALL
  SELECT 'tablespace', NULL, t.spcname::text, NULL, t.spcowner, aclexplode(COALESCE(t.spcacl, acldefault('t', t.spcowner)))
  FROM pg_catalog.pg_tablespace t
UNION ALL
  SELECT 'large object', NULL, lo.oid::text, NULL, lo.lomowner,
         aclexplode(COALESCE(lo.lomacl, acldefault('L', lo.lomowner)))
  FROM pg_catalog.pg_largeobject_metadata lo
{extra}
)
SELECT objtype, schema, name, column_name,
       pg_catalog.pg_get_userbyid(owner)::text AS owner,
       CASE WHEN (a).grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid((a).grantee)::text END AS grantee,
       pg_catalog.pg_get_userbyid((a).grantor)::text AS grantor,
       (a).privilege_type, (a).is_grantable
FROM acl
WHERE coalesce(schema, name) NOT IN ('pg_catalog', 'information_schema')
  AND coalesce(schema, name) !~ '^pg_(toast|temp_)'
  AND NOT (objtype = 'database' AND name IN ('template0'))";

// PostgreSQL 15+: GRANT SET / ALTER SYSTEM ON PARAMETER (no owner).
const Q_PRIVS_PARAMETERS: &str = "
UNION ALL
  SELECT 'parameter', NULL, p.parname::text, NULL, NULL::oid, aclexplode(p.paracl)
  FROM pg_catalog.pg_parameter_acl p";

// Default privileges; an empty entry ({}: everything revoked) gives one row with NULL grantee.
const Q_DEFACL: &str = "
SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text AS owner,
       CASE WHEN d.defaclnamespace = 0 THEN NULL ELSE n.nspname::text END AS schema,
       CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                            WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' WHEN 'L' THEN 'LARGE OBJECTS'
                            ELSE d.defaclobjtype::text END AS objtype,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END AS grantee,
       a.privilege_type, a.is_grantable
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
LEFT JOIN LATERAL aclexplode(d.defaclacl) a ON true";

impl CatalogSnapshot {
    /// Reads a snapshot over an existing connection (must be a superuser: reads pg_authid).
    pub fn read(client: &mut postgres::Client, version_num: u32) -> Result<Self, String> {
        let err = |e: postgres::Error| error_text(&e);
        // valid_until is read as text: make it independent of the session time zone.
        client.batch_execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'").map_err(err)?;
        let mut snap = CatalogSnapshot::default();
        for r in client.query(Q_ROLES, &[]).map_err(err)? {
            snap.roles.insert(RoleRow {
                name: r.get(0),
                superuser: r.get(1),
                inherit: r.get(2),
                createrole: r.get(3),
                createdb: r.get(4),
                login: r.get(5),
                replication: r.get(6),
                bypassrls: r.get(7),
                connlimit: r.get(8),
                valid_until: r.get(9),
                password: r.get(10),
                config: r.get(11),
            });
        }
        for r in client.query(Q_SETTINGS, &[]).map_err(err)? {
            snap.role_settings.insert(RoleSettingRow { role: r.get(0), database: r.get(1), setting: r.get(2) });
        }
        for r in client.query(Q_COMMENTS, &[]).map_err(err)? {
            snap.role_comments.insert(RoleCommentRow { role: r.get(0), comment: r.get(1) });
        }
        for r in client.query(Q_MEMBERS, &[]).map_err(err)? {
            snap.memberships.insert(MembershipRow {
                role: r.get(0),
                member: r.get(1),
                grantor: r.get(2),
                admin_option: r.get(3),
                inherit_option: r.get(4),
                set_option: r.get(5),
            });
        }
        let extra = if version_num >= 150000 { Q_PRIVS_PARAMETERS } else { "" };
        let q_privs = Q_PRIVS.replace("{extra}", extra);
        for r in client.query(q_privs.as_str(), &[]).map_err(err)? {
            snap.privileges.insert(PrivilegeRow {
                objtype: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                column: r.get(3),
                owner: r.get(4),
                grantee: r.get(5),
                grantor: r.get(6),
                privilege: r.get(7),
                grantable: r.get(8),
            });
        }
        for r in client.query(Q_DEFACL, &[]).map_err(err)? {
            snap.default_privileges.insert(DefaultPrivilegeRow {
                owner: r.get(0),
                schema: r.get(1),
                objtype: r.get(2),
                grantee: r.get(3),
                privilege: r.get(4),
                grantable: r.get(5),
            });
        }
        Ok(snap)
    }

    /// Rows only in `self` (`-`) and only in `other` (`+`), per section; empty if equal.
    pub fn diff(&self, other: &CatalogSnapshot) -> String {
        let mut out = String::new();
        diff_section(&mut out, "roles", &self.roles, &other.roles);
        diff_section(&mut out, "role_settings", &self.role_settings, &other.role_settings);
        diff_section(&mut out, "role_comments", &self.role_comments, &other.role_comments);
        diff_section(&mut out, "memberships", &self.memberships, &other.memberships);
        diff_section(&mut out, "privileges", &self.privileges, &other.privileges);
        diff_section(&mut out, "default_privileges", &self.default_privileges, &other.default_privileges);
        out
    }

    /// Panics with the diff if the snapshots differ.
    #[track_caller]
    pub fn assert_same(&self, other: &CatalogSnapshot, what: &str) {
        if self != other {
            panic!("{what}: catalog snapshots differ (- left, + right):\n{}", self.diff(other));
        }
    }

    /// A copy in which each stored password is replaced by its kind (`SCRAM-SHA-256`, `md5` or
    /// `other`), for comparisons where passwords were hashed with a random salt.
    pub fn password_kinds(&self) -> CatalogSnapshot {
        let mut snap = self.clone();
        snap.roles = self
            .roles
            .iter()
            .cloned()
            .map(|mut r| {
                r.password = r.password.map(|p| {
                    if p.starts_with("SCRAM-SHA-256$") {
                        "SCRAM-SHA-256".to_owned()
                    } else if p.starts_with("md5") {
                        "md5".to_owned()
                    } else {
                        "other".to_owned()
                    }
                });
                r
            })
            .collect();
        snap
    }
}

fn diff_section<T: Ord + Debug>(out: &mut String, name: &str, left: &BTreeSet<T>, right: &BTreeSet<T>) {
    let only_left: Vec<&T> = left.difference(right).collect();
    let only_right: Vec<&T> = right.difference(left).collect();
    if only_left.is_empty() && only_right.is_empty() {
        return;
    }
    let _ = writeln!(out, "{name}:");
    for row in only_left {
        let _ = writeln!(out, "  - {row:?}");
    }
    for row in only_right {
        let _ = writeln!(out, "  + {row:?}");
    }
}

// ---- helpers ------------------------------------------------------------------------------------

/// Quotes an SQL identifier (always, with `"` doubled).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal (standard_conforming_strings on).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `SQLSTATE: message` (+ DETAIL/HINT lines) for a server error, the error's text otherwise.
pub fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.code().code(), db.message());
            if let Some(d) = db.detail() {
                let _ = write!(s, "\nDETAIL: {d}");
            }
            if let Some(h) = db.hint() {
                let _ = write!(s, "\nHINT: {h}");
            }
            s
        }
        None => e.to_string(),
    }
}

/// A libpq connection-string value, quoted if needed.
fn conn_value(v: &str) -> String {
    if !v.is_empty() && !v.chars().any(|c| c.is_whitespace() || c == '\'' || c == '\\') {
        return v.to_owned();
    }
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// The directory of the PostgreSQL binaries the clusters run (`ROLEC_PG_BIN`, or the default).
pub fn bin_dir() -> PathBuf {
    match std::env::var_os("ROLEC_PG_BIN") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_PG_BIN),
    }
}

fn tmp_root() -> PathBuf {
    if let Some(v) = std::env::var_os("ROLEC_PG_TMPDIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(v);
    }
    let shm = Path::new("/dev/shm");
    let writable = fs::metadata(shm).is_ok_and(|m| m.is_dir())
        && tempfile::Builder::new().prefix(".rolec-probe").tempfile_in(shm).is_ok();
    if writable {
        shm.to_path_buf()
    } else {
        PathBuf::from("/tmp")
    }
}

/// Effective uid of this process (from /proc, else `id -u`).
fn euid() -> u32 {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if let Some(rest) = line.strip_prefix("Uid:") {
                if let Some(e) = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
                    return e;
                }
            }
        }
    }
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .expect("cannot determine the effective uid")
}

/// None when not root; otherwise the `postgres` OS user, or `nobody`.
fn server_os_user() -> Option<OsUser> {
    if euid() != 0 {
        return None;
    }
    let user = ["postgres", "nobody"]
        .iter()
        .find_map(|name| lookup_user(name))
        .expect("running as root, but there is neither a `postgres` nor a `nobody` OS user to run the server as");
    Some(user)
}

fn lookup_user(name: &str) -> Option<OsUser> {
    let parse = |line: &str| -> Option<OsUser> {
        let f: Vec<&str> = line.trim_end().split(':').collect();
        (f.len() >= 4 && f[0] == name).then_some(())?;
        Some(OsUser { uid: f[2].parse().ok()?, gid: f[3].parse().ok()? })
    };
    if let Some(u) = fs::read_to_string("/etc/passwd").ok().and_then(|p| p.lines().find_map(parse)) {
        return Some(u);
    }
    let out = Command::new("getent").args(["passwd", name]).output().ok()?;
    String::from_utf8(out.stdout).ok()?.lines().find_map(parse)
}

/// A command that runs as the server's OS user (when we are root), in `dir`, without PG*
/// variables that could redirect it to another cluster.
fn pg_command(program: &Path, dir: &Path, run_as: Option<&OsUser>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).stdin(Stdio::null());
    for var in ["PGDATA", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"] {
        cmd.env_remove(var);
    }
    if let Some(u) = run_as {
        // std drops the supplementary groups when switching away from root.
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd
}

fn log_file(path: &Path) -> Stdio {
    fs::OpenOptions::new().create(true).append(true).open(path).map(Stdio::from).unwrap_or_else(|_| Stdio::null())
}

fn run_initdb(dir: &Path, bin: &Path, run_as: Option<&OsUser>) -> Result<(), String> {
    let log = dir.join("initdb.log");
    let status = pg_command(&bin.join("initdb"), dir, run_as)
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-U", "postgres", "-A", "trust", "-N", "-E", "UTF8", "--locale=C.UTF-8"])
        .stdout(log_file(&log))
        .stderr(log_file(&log))
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bin.join("initdb").display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "initdb failed ({status}) in {}; log:\n{}",
            dir.display(),
            fs::read_to_string(&log).unwrap_or_default()
        ))
    }
}

/// The data directory of a cluster initialised once per process and per bin directory; new
/// clusters start from a copy. Removed by the watcher when this process exits.
fn template_data_dir(bin: &Path, run_as: Option<&OsUser>) -> Result<PathBuf, String> {
    static TEMPLATES: OnceLock<Mutex<HashMap<PathBuf, Result<PathBuf, String>>>> = OnceLock::new();
    let mut map = TEMPLATES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = map.get(bin) {
        return r.clone();
    }
    let dir = make_owned_dir(&tmp_root(), Some("t"), bin, run_as);
    let r = run_initdb(&dir, bin, run_as).map(|()| dir.join("data"));
    if r.is_err() {
        let _ = fs::remove_dir_all(&dir);
    }
    map.insert(bin.to_path_buf(), r.clone());
    r
}

/// Start time of a process (field 22 of /proc/PID/stat), to tell a live owner from a reused pid.
fn process_start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

/// Creates `<root>/rolec-pg.<pid>.<tag><n>` with an `owner` file ("pid starttime" of this
/// process), mode 0700, owned by the server's OS user.
fn make_owned_dir(root: &Path, tag: Option<&str>, bin: &Path, run_as: Option<&OsUser>) -> PathBuf {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id();
    loop {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = root.join(format!("{DIR_PREFIX}{pid}.{}{n}", tag.unwrap_or("")));
        let socket_len = dir.join(format!(".s.PGSQL.{PORT}")).as_os_str().len();
        if socket_len > MAX_SOCKET_PATH {
            panic!(
                "cluster directory {} is too long for a unix socket path; set ROLEC_PG_TMPDIR to a shorter directory",
                dir.display()
            );
        }
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("cannot create {}: {e}", dir.display()),
        }
        let start = process_start_time(pid).unwrap_or(0);
        let owner = format!("{pid} {start}\n{}\n", bin.display());
        fs::write(dir.join("owner"), owner).unwrap_or_else(|e| panic!("cannot write {}/owner: {e}", dir.display()));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", dir.display()));
        if let Some(u) = run_as {
            chown(&dir, Some(u.uid), Some(u.gid)).unwrap_or_else(|e| panic!("cannot chown {}: {e}", dir.display()));
        }
        return dir;
    }
}

/// Once per process: remove what dead test processes left behind, and start the watcher that
/// cleans up after this process.
fn process_setup(root: &Path, run_as: Option<&OsUser>) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        remove_stale_dirs(root, run_as);
        spawn_watcher(root);
    });
}

/// Stops and removes cluster directories whose owner process is gone.
fn remove_stale_dirs(root: &Path, run_as: Option<&OsUser>) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(DIR_PREFIX) {
            continue;
        }
        let dir = entry.path();
        if dir.join("keep").exists() {
            continue;
        }
        let Ok(owner) = fs::read_to_string(dir.join("owner")) else {
            continue;
        };
        let mut lines = owner.lines();
        let mut first = lines.next().unwrap_or("").split_whitespace();
        let (Some(pid), Some(start)) =
            (first.next().and_then(|s| s.parse::<u32>().ok()), first.next().and_then(|s| s.parse::<u64>().ok()))
        else {
            continue;
        };
        if process_start_time(pid) == Some(start) {
            continue; // owner still running
        }
        let data = dir.join("data");
        if data.join("postmaster.pid").exists() {
            if let Some(bin) = lines.next().map(PathBuf::from) {
                let _ = pg_command(&bin.join("pg_ctl"), &dir, run_as)
                    .arg("-D")
                    .arg(&data)
                    .args(["-m", "immediate", "-w", "stop"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// A detached shell (own process group, so Ctrl-C does not reach it) that waits until this
/// process exits, then stops the servers of, and removes, the directories it left behind.
fn spawn_watcher(root: &Path) {
    const SCRIPT: &str = r#"
        tail --pid="$1" -f /dev/null 2>/dev/null || while kill -0 "$1" 2>/dev/null; do sleep 1; done
        for d in "$2"/rolec-pg."$1".*; do
            [ -d "$d" ] && [ ! -e "$d/keep" ] || continue
            if [ -f "$d/data/postmaster.pid" ]; then
                p=$(head -n 1 "$d/data/postmaster.pid")
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = postgres ] && kill -QUIT "$p" 2>/dev/null
                sleep 0.2
            fi
            rm -rf "$d"
        done
    "#;
    let _ = Command::new("sh")
        .args(["-c", SCRIPT, "rolec-pg-watcher"])
        .arg(std::process::id().to_string())
        .arg(root)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}
