//! The server's log as `log_connections` writes it (14 to 18): where a record keeps its time,
//! role and message in csvlog and jsonlog form and under the default `log_line_prefix`, and the
//! messages that say a role logged in.
//!
//! Every form writes the time as `2026-12-05 11:53:16.994 UTC`: milliseconds, then the
//! abbreviation `log_timezone` has at that instant (or a numeric offset such as `+04` for a zone
//! without one). The messages are translated when `lc_messages` is not English; only the
//! English ones are recognised.

/// The time of a record, before its zone abbreviation (chrono's `strftime` syntax).
pub const LOG_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// csvlog columns (0-based): 26 in 14 to 18; the ones read here come first.
pub mod csv_column {
    pub const LOG_TIME: usize = 0;
    pub const USER_NAME: usize = 1;
    pub const ERROR_SEVERITY: usize = 11;
    pub const MESSAGE: usize = 13;
}

/// jsonlog keys (PostgreSQL 15 and later); a key whose value is empty is left out.
pub mod json_key {
    pub const TIMESTAMP: &str = "timestamp";
    pub const USER: &str = "user";
    pub const ERROR_SEVERITY: &str = "error_severity";
    pub const MESSAGE: &str = "message";
}

/// The severity `log_connections` messages are written at.
pub const CONNECTION_SEVERITY: &str = "LOG";

/// How the message of a login begins: an ordinary backend, then a walsender (which names no
/// database). `user=` follows, then ` database=` (ordinary backends), ` application_name=`
/// when the client sent one, ` SSL enabled (…)` and ` GSS (…)`.
pub const CONNECTION_AUTHORIZED: [&str; 2] = ["connection authorized: ", "replication connection authorized: "];

/// What may follow the role name in a login message, for logs that carry the role only there
/// (the stderr form): the first of these after `user=` ends the name.
pub const AFTER_USER: [&str; 4] = [" database=", " application_name=", " SSL enabled (", " GSS ("];

/// The default `log_line_prefix` (`%m [%p] `) before the severity: the time with milliseconds
/// and zone, then the process id in brackets. A message's further lines begin with a tab.
pub const STDERR_CONTINUATION: char = '\t';
