//! TLS for live connections, with libpq's `sslmode` meanings. The settings come from the
//! connection string and the environment (`connect`); this module opens one connection to one
//! host with them.
//!
//! As in libpq:
//! - a unix socket never uses TLS, whatever `sslmode` says;
//! - `allow` connects without TLS and tries TLS if the server refuses; `prefer` tries TLS first
//!   and connects without it if the server does not do TLS or the TLS attempt fails;
//! - `require` does not check the server's certificate, unless a root certificate file exists
//!   (`sslrootcert`, or `~/.postgresql/root.crt`): then it checks the chain as `verify-ca` does;
//! - `verify-ca` checks the chain, `verify-full` also the host name (DNS names and IP addresses
//!   of the certificate); both need a root certificate file, or `sslrootcert=system`;
//! - `sslrootcert=system` (the operating system's CA store) needs `verify-full`;
//! - a client certificate is sent when `sslcert` (default `~/.postgresql/postgresql.crt`)
//!   exists; its key (`sslkey`, default `~/.postgresql/postgresql.key`) may not be readable by
//!   group or others;
//! - a certificate revocation list (`sslcrl`, default `~/.postgresql/root.crl`) is used when
//!   the file exists.
//!
//! TLS itself is rustls (with the ring provider) through `tokio-postgres-rustls`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use postgres::config::Host;
use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres::{Client, Config, NoTls, Socket};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::connect::error_text;
use crate::db::files::{read_text, CONNECTION_FILE};

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

impl TlsSettings {
    /// A file given, or libpq's default `~/.postgresql/<name>` when `home` is known.
    fn file(&self, given: Option<&Path>, default_name: &str) -> Option<PathBuf> {
        given.map(Path::to_path_buf).or_else(|| self.home.as_ref().map(|h| h.join(".postgresql").join(default_name)))
    }
}

/// Opens one connection to the one host `config` names, with TLS as `tls` says; `host` is the
/// name a certificate is checked against (`verify-full`). The error is the reason alone
/// (the caller names the host and port).
pub fn connect_one(config: &Config, tls: &TlsSettings, host: &str) -> Result<Client, String> {
    // libpq never asks for TLS over a unix socket.
    if matches!(config.get_hosts().first(), Some(Host::Unix(_))) {
        return plain(config).map_err(|f| f.reason);
    }
    let mode = effective_mode(tls)?;
    match mode {
        SslMode::Disable => plain(config).map_err(|f| f.reason),
        SslMode::Allow => match plain(config) {
            Err(f) if f.kind == FailureKind::Server => {
                with_tls(config, tls, mode, host, postgres::config::SslMode::Require)
                    .map_err(|t| format!("{}\nthen with TLS: {}", f.reason, t.reason))
            }
            other => other.map_err(|f| f.reason),
        },
        SslMode::Prefer => match with_tls(config, tls, mode, host, postgres::config::SslMode::Prefer) {
            Err(t) if t.kind != FailureKind::Network => {
                plain(config).map_err(|f| format!("{}\nbefore that, with TLS: {}", f.reason, t.reason))
            }
            other => other.map_err(|f| f.reason),
        },
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            with_tls(config, tls, mode, host, postgres::config::SslMode::Require).map_err(|f| f.reason)
        }
    }
}

/// `sslrootcert=system` asks for `verify-full` (libpq 16): the default `prefer` becomes
/// `verify-full`, a weaker mode given on purpose is an error.
fn effective_mode(tls: &TlsSettings) -> Result<SslMode, String> {
    if tls.root_cert.as_deref() != Some("system") {
        return Ok(tls.mode);
    }
    match tls.mode {
        SslMode::Prefer | SslMode::VerifyFull => Ok(SslMode::VerifyFull),
        weak => Err(format!(
            "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
            weak.as_str()
        )),
    }
}

/// Why an attempt failed, which decides whether `allow` and `prefer` try the other way.
#[derive(Debug, PartialEq, Eq)]
enum FailureKind {
    /// The server could not be reached (refused, timed out, name not resolved).
    Network,
    /// The server answered the TLS request with "no".
    NoTlsOnServer,
    /// The TLS handshake failed, or the TLS settings could not be read.
    Tls,
    /// The server refused the connection (pg_hba.conf, authentication, a missing database).
    Server,
}

struct Failure {
    kind: FailureKind,
    reason: String,
}

fn plain(config: &Config) -> Result<Client, Failure> {
    let mut config = config.clone();
    config.ssl_mode(postgres::config::SslMode::Disable);
    config.connect(NoTls).map_err(|e| {
        let mut reason = error_text(&e);
        let kind = if e.as_db_error().is_some() { FailureKind::Server } else { FailureKind::Network };
        if e.as_db_error().is_some_and(|db| db.code().code() == "28000" && db.message().contains("no encryption")) {
            reason
                .push_str("\nHINT: the server accepts this connection only over TLS: use sslmode=require or stronger");
        }
        Failure { kind, reason }
    })
}

fn with_tls(
    config: &Config,
    tls: &TlsSettings,
    mode: SslMode,
    host: &str,
    request: postgres::config::SslMode,
) -> Result<Client, Failure> {
    let setup = |reason| Failure { kind: FailureKind::Tls, reason };
    let rejected: Arc<Mutex<Option<String>>> = Arc::default();
    let (mut client_config, client_cert) = client_config(tls, mode, Arc::clone(&rejected)).map_err(setup)?;
    // rustls sends the name as SNI when it is a DNS name, as libpq does (`sslsni=1`).
    let name = match ServerName::try_from(host) {
        Ok(_) => host.to_string(),
        Err(_) if mode == SslMode::VerifyFull => {
            return Err(setup(format!(
                "host name \"{host}\" is neither a DNS name nor an IP address to check the server's certificate against"
            )));
        }
        // The name is not checked: any valid one will do, but none is sent.
        Err(_) => "localhost".to_string(),
    };
    client_config.enable_sni = name == host;
    let started = Arc::new(AtomicBool::new(false));
    let connector = Connector { inner: MakeRustlsConnect::new(client_config), name, started: Arc::clone(&started) };
    let mut config = config.clone();
    config.ssl_mode(request);
    config.connect(connector).map_err(|e| {
        if let Some(db) = e.as_db_error() {
            let mut reason = error_text(&e);
            if db.code().code() == "28000" && db.message().contains("certificate") && client_cert.is_none() {
                reason.push_str(&format!("\nno client certificate was sent: {}", missing_client_cert(tls)));
            }
            return Failure { kind: FailureKind::Server, reason };
        }
        if let Some(reason) = rejected.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Failure { kind: FailureKind::Tls, reason };
        }
        if started.load(Ordering::SeqCst) {
            return Failure { kind: FailureKind::Tls, reason: error_text(&e) };
        }
        if std::error::Error::source(&e).is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()) {
            return Failure { kind: FailureKind::Network, reason: error_text(&e) };
        }
        // The server answered "no" to the TLS request (tokio-postgres has no public error kind
        // for it, only this text).
        if error_text(&e).contains("server does not support TLS") {
            let reason = match mode {
                SslMode::Allow => "the server does not support TLS".to_string(),
                mode => format!("the server does not support TLS, which sslmode={} requires", mode.as_str()),
            };
            return Failure { kind: FailureKind::NoTlsOnServer, reason };
        }
        Failure { kind: FailureKind::Tls, reason: error_text(&e) }
    })
}

/// Why no client certificate was sent, for a server that asks for one.
fn missing_client_cert(tls: &TlsSettings) -> String {
    match tls.file(tls.cert.as_deref(), "postgresql.crt") {
        Some(path) if tls.cert.is_some() => format!("sslcert file \"{}\" does not exist", path.display()),
        Some(path) => format!("sslcert is not set and \"{}\" does not exist", path.display()),
        None => "sslcert is not set (and there is no home directory for ~/.postgresql/postgresql.crt)".to_string(),
    }
}

/// The rustls configuration for `tls` and the client certificate file it sends, if any.
fn client_config(
    tls: &TlsSettings,
    mode: SslMode,
    rejected: Arc<Mutex<Option<String>>>,
) -> Result<(ClientConfig, Option<PathBuf>), String> {
    // ring rather than aws-lc-rs: it builds quickly anywhere with a C compiler; rustls marks it
    // deprecated for lacking post-quantum key exchange, which PostgreSQL servers rarely offer yet.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = root_store(tls, mode)?;
    let verifier = match roots {
        None => {
            Verifier { chain: None, roots: String::new(), check_name: false, provider: Arc::clone(&provider), rejected }
        }
        Some((roots, source)) => {
            let mut builder = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider));
            if let Some(crls) = revocation_lists(tls)? {
                builder = builder.with_crls(crls);
            }
            let chain = builder.build().map_err(|e| format!("cannot use the root certificates: {e}"))?;
            Verifier {
                chain: Some(chain),
                roots: source,
                check_name: mode == SslMode::VerifyFull,
                provider: Arc::clone(&provider),
                rejected,
            }
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match client_identity(tls)? {
        Some((path, chain, key)) => {
            let config = builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("cannot use client certificate \"{}\": {e}", path.display()))?;
            Ok((config, Some(path)))
        }
        None => Ok((builder.with_no_client_auth(), None)),
    }
}

const NO_ROOT_CERT_HINT: &str = "Either provide the file, use the system's trusted roots with sslrootcert=system, \
     or change sslmode to disable server certificate verification.";

/// The CA certificates the server's chain is checked against and where they come from, or
/// `None` when the mode does not check it and there is no root certificate file.
fn root_store(tls: &TlsSettings, mode: SslMode) -> Result<Option<(RootCertStore, String)>, String> {
    let verify = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull);
    if tls.root_cert.as_deref() == Some("system") {
        let found = rustls_native_certs::load_native_certs();
        let mut store = RootCertStore::empty();
        let (added, _ignored) = store.add_parsable_certificates(found.certs);
        if added == 0 {
            let why = found.errors.first().map(|e| format!(": {e}")).unwrap_or_default();
            return Err(format!("sslrootcert=system: no certificates found in the system's CA store{why}"));
        }
        return Ok(Some((store, "the system's CA store (sslrootcert=system)".to_string())));
    }
    let Some(path) = tls.file(tls.root_cert.as_deref().map(Path::new), "root.crt") else {
        if verify {
            return Err(format!("could not get home directory to locate root certificate file\n{NO_ROOT_CERT_HINT}"));
        }
        return Ok(None);
    };
    if !path.exists() {
        if verify {
            return Err(format!("root certificate file \"{}\" does not exist\n{NO_ROOT_CERT_HINT}", path.display()));
        }
        return Ok(None);
    }
    let certs = pem_certificates(&path, "root certificate")?;
    let mut store = RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(|e| format!("could not read root certificate file \"{}\": {e}", path.display()))?;
    }
    Ok(Some((store, format!("root certificate file \"{}\"", path.display()))))
}

/// The text of a file a connection reads: a regular file within its limit (a FIFO or a
/// device would hold the command forever).
fn read_connection_file(path: &Path, what: &str) -> Result<String, String> {
    read_text(path, CONNECTION_FILE).map_err(|e| format!("could not read {what} file \"{}\": {e}", path.display()))
}

fn pem_certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = read_connection_file(path, what)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("could not read {what} file \"{}\": {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{what} file \"{}\" holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

/// The revocation lists of `sslcrl` (default `~/.postgresql/root.crl`) when the file exists;
/// libpq ignores a missing file.
fn revocation_lists(tls: &TlsSettings) -> Result<Option<Vec<CertificateRevocationListDer<'static>>>, String> {
    let Some(path) = tls.file(tls.crl.as_deref(), "root.crl").filter(|p| p.exists()) else {
        return Ok(None);
    };
    let text = read_connection_file(&path, "certificate revocation list")?;
    let crls: Vec<_> = CertificateRevocationListDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("could not read certificate revocation list file \"{}\": {e}", path.display()))?;
    if crls.is_empty() {
        return Err(format!("certificate revocation list file \"{}\" holds no PEM CRL", path.display()));
    }
    Ok(Some(crls))
}

type Identity = (PathBuf, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The client certificate and its key, when the certificate file exists.
fn client_identity(tls: &TlsSettings) -> Result<Option<Identity>, String> {
    let Some(cert_path) = tls.file(tls.cert.as_deref(), "postgresql.crt").filter(|p| p.exists()) else {
        return Ok(None);
    };
    let chain = pem_certificates(&cert_path, "client certificate")?;
    let Some(key_path) = tls.file(tls.key.as_deref(), "postgresql.key").filter(|p| p.exists()) else {
        let key = tls.file(tls.key.as_deref(), "postgresql.key").map(|p| p.display().to_string()).unwrap_or_default();
        return Err(format!("certificate present, but not private key file \"{key}\""));
    };
    check_key_permissions(&key_path)?;
    let text = read_connection_file(&key_path, "private key")?;
    if text.contains("ENCRYPTED") {
        return Err(format!(
            "private key file \"{}\" is encrypted; rolec reads only unencrypted keys (sslpassword is not supported)",
            key_path.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(text.as_bytes())
        .map_err(|e| format!("could not read private key file \"{}\": {e}", key_path.display()))?;
    Ok(Some((cert_path, chain, key)))
}

/// libpq's rule: a key owned by the current user must not be accessible to group or others
/// (0600 or less); one owned by root may be readable by its group (0640 or less).
fn check_key_permissions(path: &Path) -> Result<(), String> {
    let meta =
        fs::metadata(path).map_err(|e| format!("could not access private key file \"{}\": {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("private key file \"{}\" is not a regular file", path.display()));
    }
    // The owner of /proc/self is this process's effective user.
    let me = fs::metadata("/proc/self").map(|m| m.uid()).ok();
    let mode = meta.mode();
    let loose = if meta.uid() == 0 { mode & 0o137 != 0 } else { Some(meta.uid()) == me && mode & 0o077 != 0 };
    if loose {
        return Err(format!(
            "private key file \"{}\" has group or world access; file must have permissions u=rw (0600) or less if \
             owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root",
            path.display()
        ));
    }
    Ok(())
}

/// Checks the server's certificate as the mode asks: not at all (`require` without a root
/// certificate file), the chain only, or the chain and the host name. Keeps the reason for a
/// rejection, which the TLS library would otherwise reduce to an alert.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// Where the trusted CA certificates come from, for messages.
    roots: String,
    check_name: bool,
    provider: Arc<CryptoProvider>,
    rejected: Arc<Mutex<Option<String>>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(v) => Ok(v),
            // The name is checked after the chain: a name error means the chain is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            Err(e) => {
                *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) = Some(rejection(&e, &self.roots));
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The reason a server certificate was rejected, in words.
fn rejection(e: &rustls::Error, roots: &str) -> String {
    let rustls::Error::InvalidCertificate(cert) = e else {
        return format!("the server's certificate was rejected: {e}");
    };
    match cert {
        CertificateError::UnknownIssuer => {
            format!("the server's certificate is not signed by a trusted CA (unknown issuer; trusted: {roots})")
        }
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "the server's certificate does not match host name \"{}\"; it names {}",
            expected.to_str(),
            presented.iter().map(|n| cert_name(n)).collect::<Vec<_>>().join(", ")
        ),
        CertificateError::NotValidForName => "the server's certificate does not match the host name".to_string(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("the server's certificate has expired (valid until {})", utc(*not_after))
        }
        CertificateError::Expired => "the server's certificate has expired".to_string(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("the server's certificate is not valid yet (valid from {})", utc(*not_before))
        }
        CertificateError::Revoked => "the server's certificate has been revoked (sslcrl)".to_string(),
        other => format!("the server's certificate was rejected: {other}"),
    }
}

/// A name as the certificate library lists it (`DnsName("db.example")`, `IpAddress(..)`), plain.
fn cert_name(listed: &str) -> String {
    let dns = listed.strip_prefix("DnsName(\"").and_then(|n| n.strip_suffix("\")"));
    let ip = listed.strip_prefix("IpAddress(").and_then(|n| n.strip_suffix(')'));
    dns.or(ip).unwrap_or(listed).to_string()
}

fn utc(t: UnixTime) -> String {
    i64::try_from(t.as_secs())
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{} seconds after 1970", t.as_secs()))
}

/// Connects with the rustls configuration, checking the certificate against `name` whatever
/// host name the connection settings give to the TLS layer, and notes whether a handshake began.
struct Connector {
    inner: MakeRustlsConnect,
    name: String,
    started: Arc<AtomicBool>,
}

type RustlsConnect = <MakeRustlsConnect as MakeTlsConnect<Socket>>::TlsConnect;

impl MakeTlsConnect<Socket> for Connector {
    type Stream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;
    type TlsConnect = Handshake;
    type Error = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, _domain: &str) -> Result<Handshake, Self::Error> {
        let inner = MakeTlsConnect::<Socket>::make_tls_connect(&mut self.inner, &self.name)?;
        Ok(Handshake { inner, started: Arc::clone(&self.started) })
    }
}

struct Handshake {
    inner: RustlsConnect,
    started: Arc<AtomicBool>,
}

impl TlsConnect<Socket> for Handshake {
    type Stream = <RustlsConnect as TlsConnect<Socket>>::Stream;
    type Error = <RustlsConnect as TlsConnect<Socket>>::Error;
    type Future = <RustlsConnect as TlsConnect<Socket>>::Future;

    fn connect(self, stream: Socket) -> Self::Future {
        self.started.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roots_need_verify_full() {
        let system = |mode| TlsSettings { mode, root_cert: Some("system".into()), ..TlsSettings::default() };
        assert_eq!(effective_mode(&system(SslMode::Prefer)), Ok(SslMode::VerifyFull));
        let err = effective_mode(&system(SslMode::Require)).unwrap_err();
        assert!(err.contains("weak sslmode \"require\""), "{err}");
    }

    #[test]
    fn verify_modes_need_a_root_certificate() {
        let home = tempfile::tempdir().unwrap();
        let tls =
            TlsSettings { mode: SslMode::VerifyCa, home: Some(home.path().to_path_buf()), ..TlsSettings::default() };
        let err = root_store(&tls, SslMode::VerifyCa).unwrap_err();
        let expected = home.path().join(".postgresql/root.crt");
        assert!(err.starts_with(&format!("root certificate file \"{}\" does not exist", expected.display())), "{err}");
        // require without the file checks nothing.
        assert!(root_store(&tls, SslMode::Require).unwrap().is_none());
    }
}
