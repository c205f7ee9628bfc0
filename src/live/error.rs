//! Why a live command failed, as data; the command line prints the [`Display`](std::fmt::Display)
//! text. Messages that can hold a connection string's password are scrubbed before they are
//! stored here (see `connect::scrub`), so no variant ever holds a secret.

use super::diff::MissingPassword;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    /// `--db` does not parse: the whole message (`invalid connection string: …`), scrubbed.
    #[error("{0}")]
    InvalidConnectionString(String),
    /// No `user` anywhere and the OS user name cannot be read (the reason).
    #[error("no user name: give `user=` or set PGUSER (the OS user name cannot be read: {0})")]
    NoUser(String),
    /// The server cannot be reached or refuses the login: the whole message
    /// (`cannot connect to …`: each host tried with its port and reason, the sslmode,
    /// hints and warnings), scrubbed.
    #[error("{0}")]
    CannotConnect(String),
    /// A statement failed: SQLSTATE, message, detail and hint (`connect::error_text`).
    #[error("{0}")]
    Server(String),
    #[error("the server returned no version")]
    NoVersion,
    #[error("PostgreSQL {0} is not supported (14 to 18 are)")]
    UnsupportedVersion(u32),
    /// A `--manage` pattern is not a glob.
    #[error("`--manage {pattern}`: {reason}")]
    ManagePattern { pattern: String, reason: String },
    /// The `--manage` patterns together do not make a glob set.
    #[error("{0}")]
    ManagePatterns(String),
    #[error(transparent)]
    MissingPassword(#[from] MissingPassword),
    /// An apply that changed nothing: why (refused, or the statement that failed and the
    /// server's reason), as `rolec apply` reports it.
    #[error("{0}")]
    NotApplied(String),
}
