//! Certificates for TLS tests, made with rcgen once per test process: a CA, server certificates
//! it signs (for `localhost`, `127.0.0.1` and the cluster's own loopback address; one expired,
//! one without the cluster's address), a client certificate for [`CERT_USER`], and a second CA
//! that signed nothing the servers present.
//!
//! `PgCluster::start_with(Listen::Tls(..))` (tests/support/pg.rs) writes the CA and a server
//! certificate into the cluster's directory; tests write the client files where they need them.

use std::fs;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SerialNumber,
};

/// The role that logs in with `cert` authentication (its client certificate's common name).
pub const CERT_USER: &str = "cert_user";

/// Which server certificate a TLS cluster presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCert {
    /// For `localhost`, `127.0.0.1` and the cluster's address, valid now.
    Valid,
    /// For `localhost` and `127.0.0.1` only: the cluster's own address is not in it.
    WithoutAddress,
    /// Like `Valid`, but it expired in 2001.
    Expired,
}

/// The test CA and what it signed, as PEM text.
pub struct Pki {
    ca: Issuer<'static, KeyPair>,
    pub ca_pem: String,
    pub wrong_ca_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

/// The certificates of this test process.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let (ca_pem, ca) = make_ca("rolec test CA");
        let (wrong_ca_pem, _) = make_ca("rolec test wrong CA");
        let key = KeyPair::generate().expect("client key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, CERT_USER);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &ca).expect("client certificate");
        Pki { ca, ca_pem, wrong_ca_pem, client_cert_pem: cert.pem(), client_key_pem: key.serialize_pem() }
    })
}

fn make_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert.pem(), Issuer::new(params, key))
}

impl Pki {
    /// A server certificate and its key (PEM) for a server listening on `addr`; its serial
    /// number is the address, for [`crl`](Self::crl).
    pub fn server_cert(&self, addr: Ipv4Addr, kind: ServerCert) -> (String, String) {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        if kind != ServerCert::WithoutAddress {
            names.push(addr.to_string());
        }
        let key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(names).expect("server params");
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.serial_number = Some(SerialNumber::from_slice(&addr.octets()));
        if kind == ServerCert::Expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        let cert = params.signed_by(&key, &self.ca).expect("server certificate");
        (cert.pem(), key.serialize_pem())
    }
}

impl Pki {
    /// A certificate revocation list of the CA (PEM) that revokes the server certificate of the
    /// cluster at `revoked`, or nothing.
    pub fn crl(&self, revoked: Option<Ipv4Addr>) -> String {
        let params = CertificateRevocationListParams {
            this_update: date_time_ymd(2020, 1, 1),
            next_update: date_time_ymd(2100, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .map(|addr| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&addr.octets()),
                    revocation_time: date_time_ymd(2020, 1, 1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .into_iter()
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params.signed_by(&self.ca).expect("CRL").pem().expect("CRL PEM")
    }
}

/// Writes `text` to `dir/name` with `mode` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    let _ = fs::remove_file(&path);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    file.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Where a cluster listens besides its unix socket (`PgCluster::start_with`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// The unix socket only (the default).
    Socket,
    /// Also TCP on the cluster's own loopback address, without TLS (`ssl=off`); `trust`.
    Tcp,
    /// Also TCP on the cluster's own loopback address, TLS only (`ssl=on`, `hostssl` lines and
    /// `hostnossl ... reject`); `trust`, except [`CERT_USER`], who logs in with `cert`.
    Tls(ServerCert),
}

impl Listen {
    /// What `PgCluster::start` uses: `ROLEC_TEST_TLS=1` makes every cluster TLS only over TCP
    /// (and `conn_str` a `verify-full` connection string).
    pub fn from_env() -> Listen {
        match std::env::var("ROLEC_TEST_TLS") {
            Ok(v) if !v.is_empty() && v != "0" => Listen::Tls(ServerCert::Valid),
            _ => Listen::Socket,
        }
    }
}

/// The lines of pg_hba.conf for `listen`. Rejected lines are written out so that a connection
/// without TLS is refused by a rule (as on hosted services), not for want of one.
pub fn hba_conf(listen: Listen) -> String {
    let mut s = String::from("local all all trust\n");
    match listen {
        Listen::Socket => {}
        Listen::Tcp => s.push_str("host all all 127.0.0.0/8 trust\n"),
        Listen::Tls(_) => {
            s.push_str(&format!("hostssl all {CERT_USER} 127.0.0.0/8 cert\n"));
            s.push_str("hostssl all all 127.0.0.0/8 trust\n");
            s.push_str("hostnossl all all 0.0.0.0/0 reject\n");
            s.push_str("hostnossl all all ::/0 reject\n");
        }
    }
    s
}

/// A loopback address of its own for a new cluster, so that every cluster can listen on port
/// 5432 (the same port as its socket's name) side by side: random in 127.1.0.1-127.254.254.254,
/// and free when probed.
pub fn free_loopback_address(port: u16) -> Ipv4Addr {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..100 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        let r = h.finish().to_le_bytes();
        let addr = Ipv4Addr::new(127, 1 + r[0] % 254, 1 + r[1] % 254, 1 + r[2] % 254);
        if std::net::TcpListener::bind((addr, port)).is_ok() {
            return addr;
        }
    }
    panic!("no free loopback address for port {port}");
}

/// Writes the CA and the server's certificate and key into `dir` (mode 0600, owned by `owner`
/// when given) and returns the server settings that use them.
pub fn server_files(dir: &Path, addr: Ipv4Addr, kind: ServerCert, owner: Option<(u32, u32)>) -> Vec<String> {
    let pki = pki();
    let (cert, key) = pki.server_cert(addr, kind);
    let mut settings = vec!["ssl=on".to_string()];
    for (name, text, setting) in [
        ("ca.crt", &pki.ca_pem, "ssl_ca_file"),
        ("server.crt", &cert, "ssl_cert_file"),
        ("server.key", &key, "ssl_key_file"),
    ] {
        let path = write_file(dir, name, text, 0o600);
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("cannot chown {}: {e}", path.display()));
        }
        settings.push(format!("{setting}={}", path.display()));
    }
    settings
}
