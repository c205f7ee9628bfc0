//! TLS for live connections, with libpq's `sslmode` meanings. The settings come from the
//! connection string and the environment (`connect`); this module opens one connection to one
//! host with them.

use std::path::PathBuf;

use postgres::{Client, Config, NoTls};

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// Reads a value of `sslmode=` / `PGSSLMODE`.
    pub fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS settings of a connection. A file left `None` means libpq's default
/// (`~/.postgresql/root.crt`, `postgresql.crt`, `postgresql.key`, `root.crl`), looked up in
/// `home` when it is given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert`: a file of CA certificates, or `system` for the system's store.
    pub root_cert: Option<String>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub crl: Option<PathBuf>,
    /// The user's home directory, where libpq's default files live.
    pub home: Option<PathBuf>,
}

/// Opens one connection to the one host `config` names, with TLS as `tls` says; `host` is the
/// name a certificate is checked against (`verify-full`). The error is the reason alone
/// (the caller names the host and port).
pub fn connect_one(config: &Config, tls: &TlsSettings, host: &str) -> Result<Client, String> {
    let _ = host;
    match tls.mode {
        SslMode::Disable | SslMode::Allow | SslMode::Prefer => {
            let mut config = config.clone();
            config.ssl_mode(postgres::config::SslMode::Disable);
            config.connect(NoTls).map_err(|e| super::connect::error_text(&e))
        }
        mode => Err(format!("sslmode={} needs TLS, which this build cannot do yet", mode.as_str())),
    }
}
