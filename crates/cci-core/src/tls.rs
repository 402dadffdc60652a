//! What inspecting a site's TLS certificate chain and key finds: plain data that names
//! certificates by subject and dates, never a byte of the key. The core's `check` turns each
//! finding into a diagnostic; the inspection itself (PEM, X.509, key decoding) is the
//! `cci-tls` crate's, handed in through [`crate::World`], so the compiler depends on no
//! certificate parser.

use std::fmt;

/// Inspects a certificate chain and key: what [`crate::World::inspect_tls`] holds.
pub type Inspector = dyn Fn(&TlsInput) -> Vec<TlsProblem> + Sync;

/// What to inspect. `key_pem` and `hostname` are optional: without them, those checks are skipped.
pub struct TlsInput<'a> {
    /// The certificate file: PEM `CERTIFICATE` blocks, leaf first.
    pub certificate_pem: &'a [u8],
    /// The private key file (PEM).
    pub key_pem: Option<&'a [u8]>,
    /// The name clients reach the server by, which the leaf must cover.
    pub hostname: Option<&'a str>,
    /// The time to check validity against, in seconds since 1970-01-01 UTC.
    pub now_unix: i64,
}

/// One finding. Certificates are named by their subject's CN (the whole subject if it has no
/// CN) and numbered from 1 by their place among the file's `CERTIFICATE` blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate file has no PEM block at all.
    CertificateNotPem { looks_like_der: bool },
    /// The certificate file is PEM but has no `CERTIFICATE` block; `labels` are the blocks found.
    NoCertificate { labels: Vec<String> },
    /// `CERTIFICATE` block number `block` cannot be read.
    CertificateUnreadable { block: usize, reason: String },
    /// The key is encrypted; the server needs it unencrypted.
    KeyEncrypted { format: EncryptedKeyFormat },
    /// The key file has no PEM block at all.
    KeyNotPem { looks_like_der: bool },
    /// The key file is PEM but has no private key block; `labels` are the blocks found.
    NoPrivateKey { labels: Vec<String> },
    /// The private key block (PEM label `label`) cannot be read.
    KeyUnreadable { label: String, reason: &'static str },
    /// The key is not the private half of the first certificate's public key.
    KeyMismatch {
        key: KeyKind,
        certificate: KeyKind,
        subject: String,
    },
    /// A single certificate, not self-issued: its intermediates are missing.
    NoChain { subject: String, issuer: String },
    /// Certificate `position` needs its issuer after it (it is not the last of the chain), and
    /// its issuer is nowhere in the file.
    MissingIssuer {
        position: usize,
        subject: String,
        issuer: String,
    },
    /// The certificates are all there but not leaf first, each followed by its issuer: `found`
    /// is the file's order, `expected` the guide's.
    OutOfOrder {
        found: Vec<String>,
        expected: Vec<String>,
    },
    /// A single self-signed certificate: clients will not trust it (a warning, for the caller).
    SelfSigned { subject: String },
    /// Certificate `position` expired on `not_after` (`YYYY-MM-DD`).
    Expired {
        position: usize,
        subject: String,
        not_after: String,
    },
    /// Certificate `position` is valid only from `not_before` (`YYYY-MM-DD`).
    NotYetValid {
        position: usize,
        subject: String,
        not_before: String,
    },
    /// The first certificate does not cover `hostname`; `names` are those it covers.
    HostnameNotCovered {
        hostname: String,
        names: Vec<String>,
    },
}

/// How an encrypted key was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptedKeyFormat {
    /// `-----BEGIN ENCRYPTED PRIVATE KEY-----`.
    Pkcs8,
    /// A legacy OpenSSL block with a `Proc-Type: 4,ENCRYPTED` header.
    ProcType,
}

/// A public key's type, for messages. Holds nothing of the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    Rsa {
        bits: usize,
    },
    /// `curve` is `P-256`, `P-384`, `P-521`, or an OID; `None` when the key names no curve.
    Ec {
        curve: Option<String>,
    },
    Ed25519,
    /// Another algorithm, by OID.
    Other {
        oid: String,
    },
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            KeyKind::Ec { curve: Some(curve) } => write!(f, "ECDSA {curve}"),
            KeyKind::Ec { curve: None } => f.write_str("ECDSA (curve not named)"),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Other { oid } => write!(f, "algorithm {oid}"),
        }
    }
}

/// The order the guide wants, for helps.
const ORDER: &str = "your_domain_name.crt first, then intermediate 1 (which issued it), \
                     intermediate 2 (which issued intermediate 1), ...; a root, if present, last";

impl TlsProblem {
    /// One line saying what is wrong.
    pub fn message(&self) -> String {
        match self {
            TlsProblem::CertificateNotPem { .. } => {
                "the certificate file is not PEM: it has no `-----BEGIN CERTIFICATE-----` block"
                    .to_string()
            }
            TlsProblem::NoCertificate { labels } => format!(
                "the certificate file has no CERTIFICATE block (it holds {})",
                list(labels)
            ),
            TlsProblem::CertificateUnreadable { block, reason } => {
                format!("certificate {block} of the certificate file cannot be read: {reason}")
            }
            TlsProblem::KeyEncrypted { format } => format!(
                "the private key is encrypted ({}); the server needs an unencrypted PEM key",
                match format {
                    EncryptedKeyFormat::Pkcs8 => "an `ENCRYPTED PRIVATE KEY` block",
                    EncryptedKeyFormat::ProcType =>
                        "its block has a `Proc-Type: 4,ENCRYPTED` header",
                }
            ),
            TlsProblem::KeyNotPem { .. } => {
                "the key file is not PEM: it has no `-----BEGIN ... PRIVATE KEY-----` block"
                    .to_string()
            }
            TlsProblem::NoPrivateKey { labels } => format!(
                "the key file has no private key block (it holds {})",
                list(labels)
            ),
            TlsProblem::KeyUnreadable { label, reason } => {
                format!("the key file's `{label}` block cannot be read: {reason}")
            }
            TlsProblem::KeyMismatch {
                key,
                certificate,
                subject,
            } if key == certificate => format!(
                "the private key does not match the certificate {subject}: both are {key}, \
                 but not the same key"
            ),
            TlsProblem::KeyMismatch {
                key,
                certificate,
                subject,
            } => format!(
                "the private key does not match the certificate {subject}: the key is {key}, \
                 the certificate's is {certificate}"
            ),
            other => other.chain_message(),
        }
    }

    /// What is wrong with the chain: its order, its dates, the name it covers (the files'
    /// own problems are worded by [`TlsProblem::message`]).
    fn chain_message(&self) -> String {
        match self {
            TlsProblem::NoChain { subject, issuer } => format!(
                "the certificate has no chain: intermediates missing (the file holds only \
                 {subject}, issued by {issuer})"
            ),
            TlsProblem::MissingIssuer {
                position,
                subject,
                issuer,
            } => format!(
                "the chain is broken: certificate {position} ({subject}) is issued by {issuer}, \
                 which is not in the file"
            ),
            TlsProblem::OutOfOrder { found, expected } => format!(
                "the certificates are out of order: the file has {}; the order is {}",
                found.join(", "),
                expected.join(", ")
            ),
            TlsProblem::SelfSigned { subject } => {
                format!("the certificate {subject} is self-signed: clients will not trust it")
            }
            TlsProblem::Expired {
                position,
                subject,
                not_after,
            } => {
                format!("certificate {position} ({subject}) expired on {not_after}")
            }
            TlsProblem::NotYetValid {
                position,
                subject,
                not_before,
            } => {
                format!("certificate {position} ({subject}) is not valid until {not_before}")
            }
            TlsProblem::HostnameNotCovered { hostname, names } if names.is_empty() => {
                format!("the certificate does not cover {hostname}: it names no host")
            }
            TlsProblem::HostnameNotCovered { hostname, names } => format!(
                "the certificate does not cover {hostname}: it covers {}",
                names.join(", ")
            ),
            _ => String::new(),
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            TlsProblem::CertificateNotPem {
                looks_like_der: true,
            } => "the file looks binary (DER, or PKCS#12 from a .pfx/.p12); convert it to PEM: \
                 `openssl x509 -inform der -in cert.der -out cert.pem`, or \
                 `openssl pkcs12 -in site.pfx -nokeys -out cert.pem`"
                .to_string(),
            TlsProblem::CertificateNotPem {
                looks_like_der: false,
            } => format!(
                "the certificate file must be PEM `-----BEGIN CERTIFICATE-----` blocks: {ORDER}"
            ),
            TlsProblem::NoCertificate { labels } if labels.iter().any(|l| is_key_label(l)) => {
                "this looks like the key file: were the certificate and the key swapped?"
                    .to_string()
            }
            TlsProblem::NoCertificate { .. } => format!(
                "put the certificates in the file as `-----BEGIN CERTIFICATE-----` blocks: {ORDER}"
            ),
            TlsProblem::CertificateUnreadable { .. } => {
                "copy the certificate again from what your CA sent, whole, from \
                 `-----BEGIN CERTIFICATE-----` to `-----END CERTIFICATE-----`"
                    .to_string()
            }
            TlsProblem::KeyEncrypted { .. } => "decrypt it (it asks for the passphrase): \
                 `openssl pkey -in key.pem -out key-unencrypted.pem`; key-unencrypted.pem is \
                 the secret key in the clear: keep it out of the repository"
                .to_string(),
            TlsProblem::KeyNotPem {
                looks_like_der: true,
            } => "the file looks binary (DER, or PKCS#12 from a .pfx/.p12); convert it to PEM: \
                 `openssl pkey -inform der -in key.der -out key.pem`, or \
                 `openssl pkcs12 -in site.pfx -nocerts -nodes -out key.pem`; keep the output out \
                 of the repository"
                .to_string(),
            TlsProblem::KeyNotPem {
                looks_like_der: false,
            } => KEY_FORMATS.to_string(),
            TlsProblem::NoPrivateKey { labels } if labels.iter().any(|l| l == "CERTIFICATE") => {
                format!(
                    "this looks like a certificate: were the certificate and the key swapped? \
                     {KEY_FORMATS}"
                )
            }
            TlsProblem::NoPrivateKey { .. } => KEY_FORMATS.to_string(),
            TlsProblem::KeyUnreadable { label, .. } => key_unreadable_help(label),
            TlsProblem::KeyMismatch { .. } => "use the key the certificate was requested with; \
                 `openssl pkey -in key.pem -pubout` and `openssl x509 -in cert.pem -noout -pubkey` \
                 must print the same public key (the first certificate of the file is the \
                 server's own, your_domain_name.crt)"
                .to_string(),
            other => other.chain_help(),
        }
    }

    /// What to do about a problem of the chain (the files' own: [`TlsProblem::help`]).
    fn chain_help(&self) -> String {
        match self {
            TlsProblem::NoChain { .. } => format!(
                "append the intermediate certificates your CA sent, in order: {ORDER} \
                 (`cat your_domain_name.crt intermediate1.crt intermediate2.crt > chain.crt`); \
                 without them clients that have not cached the intermediates cannot reach a \
                 trusted root"
            ),
            TlsProblem::MissingIssuer { issuer, .. } => format!(
                "add the certificate of {issuer} from your CA right after it; the order: {ORDER}"
            ),
            TlsProblem::OutOfOrder { .. } => format!("reorder the file: {ORDER}"),
            TlsProblem::SelfSigned { .. } => {
                "fine for a trial if every client (browsers, builders, the GitHub integration) \
                 is made to trust it; otherwise use a certificate from a CA, with its \
                 intermediates"
                    .to_string()
            }
            TlsProblem::Expired { position: 1, .. } => {
                "renew the certificate with your CA and replace the file".to_string()
            }
            TlsProblem::Expired { .. } => {
                "get the current intermediate certificates from your CA and replace the old ones"
                    .to_string()
            }
            TlsProblem::NotYetValid { .. } => {
                "check the clock of the machine that checks (and the server's), or wait until \
                 that date"
                    .to_string()
            }
            TlsProblem::HostnameNotCovered { hostname, .. } => format!(
                "reissue the certificate with {hostname} in its subjectAltName, or use a name it \
                 covers; a wildcard `*.example.com` covers exactly one label (`ci.example.com`, \
                 not `a.ci.example.com` nor `example.com`)"
            ),
            _ => String::new(),
        }
    }

    /// Whether the problem is in the key file (else the certificate file). A mismatch is put on
    /// the key: the certificate names its key, so the key is the one that must change.
    pub fn concerns_key(&self) -> bool {
        matches!(
            self,
            TlsProblem::KeyEncrypted { .. }
                | TlsProblem::KeyNotPem { .. }
                | TlsProblem::NoPrivateKey { .. }
                | TlsProblem::KeyUnreadable { .. }
                | TlsProblem::KeyMismatch { .. }
        )
    }
}

const KEY_FORMATS: &str = "the key file must be an unencrypted PEM block: `PRIVATE KEY` \
                           (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1)";

fn key_unreadable_help(label: &str) -> String {
    match label {
        "OPENSSH PRIVATE KEY" => "an OpenSSH key is not a TLS key file; convert a copy, outside \
                                  the repository: `ssh-keygen -p -m PKCS8 -f key`"
            .to_string(),
        "DSA PRIVATE KEY" => "DSA keys are not used for TLS; make an RSA or ECDSA key and \
                              have the certificate issued for it"
            .to_string(),
        _ => format!("export the key again, whole; {KEY_FORMATS}"),
    }
}

fn list(labels: &[String]) -> String {
    if labels.is_empty() {
        return "no block".to_string();
    }
    labels
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a PEM label names a private key (`PRIVATE KEY`, `RSA PRIVATE KEY`, ...).
pub fn is_key_label(label: &str) -> bool {
    label.ends_with("PRIVATE KEY")
}
