//! Inspects a TLS certificate chain and private key, as the CircleCI Server 2.16 guide's FAQ
//! asks ("How do I verify TLS settings are failing?"): the key must be unencrypted PEM, and the
//! certificate file must hold the entire chain of trust, `your_domain_name.crt` first, then
//! intermediate 1, intermediate 2, ... (a server that leaves the intermediates out is also why
//! "Test GitHub Authentication" fails against a GitHub Enterprise server).
//!
//! Pure: bytes in, [`TlsProblem`]s out; no I/O, no clock (the caller passes `now_unix`).
//! No signature is verified: this finds the mistakes people make when assembling the files.
//!
//! The key is secret. No problem carries any of its bytes (only its type and size, and the PEM
//! label of its block), the decoded key is wiped when dropped, and nothing that holds key
//! material implements `Debug`.

use std::net::IpAddr;

use cci_core::tls::{is_key_label, EncryptedKeyFormat, KeyKind, TlsInput, TlsProblem};
use pkcs8::der::asn1::{AnyRef, ObjectIdentifier};
use x509_parser::asn1_rs::Oid;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Name};
use zeroize::Zeroizing;

/// Every problem that applies, in the order: certificate file, chain, key, validity, hostname.
pub fn inspect(input: &TlsInput) -> Vec<TlsProblem> {
    let mut problems = Vec::new();
    let blocks = pem_blocks(input.certificate_pem);
    let certificates = read_certificates(&blocks, input.certificate_pem, &mut problems);
    let leaf = check_chain(&certificates, &mut problems)
        .and_then(|index| certificates.get(index))
        .and_then(Option::as_ref);
    if let Some(key_pem) = input.key_pem {
        if let Some(key) = read_key(key_pem, &mut problems) {
            if let Some(leaf) = leaf {
                check_key_matches(&key, leaf, &mut problems);
            }
        }
    }
    check_validity(&certificates, input.now_unix, &mut problems);
    if let (Some(leaf), Some(hostname)) = (leaf, input.hostname) {
        check_hostname(leaf, hostname, &mut problems);
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// PEM

/// One `-----BEGIN label-----` ... `-----END label-----` block.
struct PemBlock {
    /// Printable, for messages (see [`printable_label`]).
    label: String,
    /// A legacy `Proc-Type: 4,ENCRYPTED` header (RFC 1421).
    encrypted_header: bool,
    body: Result<Zeroizing<Vec<u8>>, &'static str>,
}

/// The file's PEM blocks, in order. Text outside blocks is ignored, as OpenSSL does; a block
/// cut short (end of file, or another BEGIN, before its END) is kept, unreadable.
fn pem_blocks(input: &[u8]) -> Vec<PemBlock> {
    let lines: Vec<&[u8]> = input
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(label) = boundary(lines[i], b"-----BEGIN ") else {
            i += 1;
            continue;
        };
        i += 1;
        let start = i;
        while i < lines.len()
            && boundary(lines[i], b"-----END ").is_none()
            && boundary(lines[i], b"-----BEGIN ").is_none()
        {
            i += 1;
        }
        let end = lines.get(i).and_then(|line| boundary(line, b"-----END "));
        blocks.push(decode_block(label, &lines[start..i], end == Some(label)));
        if end.is_some() {
            i += 1;
        }
    }
    blocks
}

/// The label of a `-----BEGIN label-----`-style line.
fn boundary<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    line.strip_prefix(prefix)?.strip_suffix(b"-----")
}

fn decode_block(label: &[u8], lines: &[&[u8]], ended: bool) -> PemBlock {
    let mut encrypted_header = false;
    // The base64 of a key is as secret as the key.
    let mut base64 = Zeroizing::new(Vec::new());
    for line in lines {
        if line.contains(&b':') {
            // An RFC 1421 header; base64 has no ':'.
            encrypted_header |= line.starts_with(b"Proc-Type:") && contains(line, b"ENCRYPTED");
        } else {
            base64.extend_from_slice(line);
        }
    }
    let body = if !ended {
        Err("it is cut short: its `-----END` line is missing")
    } else {
        data_encoding::BASE64
            .decode(&base64)
            .map(Zeroizing::new)
            .map_err(|_| "its base64 does not decode")
    };
    PemBlock {
        label: printable_label(label),
        encrypted_header,
        body,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A label as it can be shown: real labels are short and upper case; anything else is not
/// echoed (it could be anything, even a line of the key).
fn printable_label(label: &[u8]) -> String {
    let plain = label.len() <= 40
        && label
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    match std::str::from_utf8(label) {
        Ok(text) if plain => text.to_string(),
        _ => "(unrecognised label)".to_string(),
    }
}

fn looks_like_der(input: &[u8]) -> bool {
    // A DER SEQUENCE (certificate, key, PKCS#12) starts with 0x30.
    input.first() == Some(&0x30)
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// The `CERTIFICATE` blocks in file order; `None` for one that cannot be read.
fn read_certificates<'a>(
    blocks: &'a [PemBlock],
    input: &[u8],
    problems: &mut Vec<TlsProblem>,
) -> Vec<Option<X509Certificate<'a>>> {
    if blocks.is_empty() {
        problems.push(TlsProblem::CertificateNotPem {
            looks_like_der: looks_like_der(input),
        });
        return Vec::new();
    }
    let certificate_blocks: Vec<&PemBlock> =
        blocks.iter().filter(|b| b.label == "CERTIFICATE").collect();
    if certificate_blocks.is_empty() {
        let labels = blocks.iter().map(|b| b.label.clone()).collect();
        problems.push(TlsProblem::NoCertificate { labels });
    }
    let mut certificates = Vec::new();
    for (index, block) in certificate_blocks.into_iter().enumerate() {
        let parsed = match &block.body {
            Ok(der) => x509_parser::parse_x509_certificate(der)
                .map(|(_, certificate)| certificate)
                .map_err(|_| "it does not parse as an X.509 certificate".to_string()),
            Err(reason) => Err(reason.to_string()),
        };
        match parsed {
            Ok(certificate) => certificates.push(Some(certificate)),
            Err(reason) => {
                problems.push(TlsProblem::CertificateUnreadable {
                    block: index + 1,
                    reason,
                });
                certificates.push(None);
            }
        }
    }
    certificates
}

/// A name for messages: the subject's CN, else the whole DN.
fn name_of(name: &X509Name) -> String {
    let common_name = name
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok());
    let text = match common_name {
        Some(cn) => cn.to_string(),
        None => name.to_string(),
    };
    let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if text.is_empty() {
        "(empty name)".to_string()
    } else {
        text
    }
}

/// A certificate's names, compared often by the chain check, so prepared once.
struct Names {
    position: usize,
    subject: String,
    issuer: String,
    subject_key: (Vec<u8>, String),
    issuer_key: (Vec<u8>, String),
}

impl Names {
    fn of(position: usize, certificate: &X509Certificate) -> Names {
        let key = |name: &X509Name| (name.as_raw().to_vec(), name.to_string().to_lowercase());
        Names {
            position,
            subject: name_of(certificate.subject()),
            issuer: name_of(certificate.issuer()),
            subject_key: key(certificate.subject()),
            issuer_key: key(certificate.issuer()),
        }
    }

    /// Whether `self` was issued by `other`. Byte-equal DNs are the usual case; a CA that
    /// re-encodes (PrintableString vs UTF8String) still compares equal as text.
    fn issued_by(&self, other: &Names) -> bool {
        self.issuer_key.0 == other.subject_key.0 || self.issuer_key.1 == other.subject_key.1
    }

    fn self_issued(&self) -> bool {
        self.issued_by(self)
    }
}

/// Past this many certificates the file is no chain, and ordering it is quadratic: skipped.
const MAX_CHAIN: usize = 32;

/// Reports the chain's problems; returns the index of the leaf, the certificate the key and the
/// hostname are checked against: the first, unless the file is out of order (then the
/// server's own certificate is reported out of place once, not again as the wrong key).
fn check_chain(
    certificates: &[Option<X509Certificate>],
    problems: &mut Vec<TlsProblem>,
) -> Option<usize> {
    // An unreadable block was reported already; the readable ones are checked as they stand.
    let chain: Vec<Names> = certificates
        .iter()
        .enumerate()
        .filter_map(|(index, c)| c.as_ref().map(|c| Names::of(index + 1, c)))
        .collect();
    if chain.is_empty() {
        return None;
    }
    if let [only] = chain.as_slice() {
        if certificates.len() == 1 {
            let subject = only.subject.clone();
            problems.push(if only.self_issued() {
                TlsProblem::SelfSigned { subject }
            } else {
                TlsProblem::NoChain {
                    subject,
                    issuer: only.issuer.clone(),
                }
            });
        }
        return Some(only.position - 1);
    }
    if chain.len() > MAX_CHAIN {
        return Some(0);
    }
    let order = expected_order(&chain);
    if order
        .iter()
        .enumerate()
        .any(|(place, &index)| place != index)
    {
        problems.push(TlsProblem::OutOfOrder {
            found: chain.iter().map(|c| c.subject.clone()).collect(),
            expected: order.iter().map(|&i| chain[i].subject.clone()).collect(),
        });
    }
    // In the right order, each certificate but the last (whose issuer, the root, may be left
    // out) must be followed by its issuer; an unreadable block may be that issuer: no guess.
    let all_read = chain.len() == certificates.len();
    for pair in order.windows(2).filter(|_| all_read) {
        let certificate = &chain[pair[0]];
        if !chain.iter().any(|c| certificate.issued_by(c)) {
            problems.push(TlsProblem::MissingIssuer {
                position: certificate.position,
                subject: certificate.subject.clone(),
                issuer: certificate.issuer.clone(),
            });
        }
    }
    order.first().map(|&first| chain[first].position - 1)
}

/// The chain in the guide's order, as far as it links up: the certificate that issued none
/// of the others first (the file's first if that is not one certificate), then its issuer,
/// that one's issuer, ...; whatever does not link up follows in file order.
fn expected_order(chain: &[Names]) -> Vec<usize> {
    let issued_another = |i: usize| {
        chain
            .iter()
            .enumerate()
            .any(|(j, c)| j != i && c.issued_by(&chain[i]))
    };
    let leaves: Vec<usize> = (0..chain.len()).filter(|&i| !issued_another(i)).collect();
    let start = match leaves.as_slice() {
        [one] => *one,
        _ => 0,
    };
    let mut used = vec![false; chain.len()];
    let mut order = vec![start];
    used[start] = true;
    let mut current = start;
    while !chain[current].self_issued() {
        let Some(issuer) =
            (0..chain.len()).find(|&j| !used[j] && chain[current].issued_by(&chain[j]))
        else {
            break;
        };
        used[issuer] = true;
        order.push(issuer);
        current = issuer;
    }
    order.extend((0..chain.len()).filter(|&j| !used[j]));
    order
}

fn check_validity(
    certificates: &[Option<X509Certificate>],
    now_unix: i64,
    problems: &mut Vec<TlsProblem>,
) {
    for (index, certificate) in certificates.iter().enumerate() {
        let Some(certificate) = certificate else {
            continue;
        };
        let validity = certificate.validity();
        let (not_before, not_after) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let position = index + 1;
        let subject = name_of(certificate.subject());
        if now_unix > not_after {
            problems.push(TlsProblem::Expired {
                position,
                subject,
                not_after: iso_date(not_after),
            });
        } else if now_unix < not_before {
            problems.push(TlsProblem::NotYetValid {
                position,
                subject,
                not_before: iso_date(not_before),
            });
        }
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time (Howard Hinnant's days-to-civil).
fn iso_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

// ---------------------------------------------------------------------------------------------
// Hostname

fn check_hostname(leaf: &X509Certificate, hostname: &str, problems: &mut Vec<TlsProblem>) {
    let hostname = hostname.trim().trim_end_matches('.');
    if hostname.is_empty() {
        return;
    }
    let names = names_covered(leaf);
    let ip = hostname.parse::<IpAddr>().ok();
    let covered = names.iter().any(|name| match ip {
        Some(ip) => name.parse::<IpAddr>().ok() == Some(ip),
        None => name_covers(name, hostname),
    });
    if !covered {
        problems.push(TlsProblem::HostnameNotCovered {
            hostname: hostname.to_string(),
            names,
        });
    }
}

/// The subjectAltName's DNS names and IP addresses; the subject CN only when there is no SAN.
fn names_covered(leaf: &X509Certificate) -> Vec<String> {
    let printable = |s: &str| {
        s.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    };
    match leaf.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(printable(dns)),
                GeneralName::IPAddress(bytes) => ip_of(bytes).map(|ip| ip.to_string()),
                _ => None,
            })
            .collect(),
        // A duplicated or malformed SAN covers nothing.
        Err(_) => Vec::new(),
        Ok(None) => leaf
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .map(printable)
            .collect(),
    }
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// RFC 6125: case-insensitive; a wildcard is a whole leftmost label and matches one label.
fn name_covers(pattern: &str, hostname: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(parent) => {
            // `*.com` would cover every .com name; no client accepts it.
            parent.contains('.')
                && hostname.split_once('.').is_some_and(|(first, rest)| {
                    !first.is_empty() && rest.eq_ignore_ascii_case(parent)
                })
        }
        None => pattern.eq_ignore_ascii_case(hostname),
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// A public key, from the key file or a certificate. Not `Debug`: built from key material.
struct PublicKey {
    kind: KeyKind,
    /// `None` when the type is known but its value cannot be had (an EC key of a curve this
    /// cannot compute on, that does not carry its public point).
    value: Option<PublicValue>,
}

#[derive(PartialEq, Eq)]
enum PublicValue {
    /// Big-endian, without leading zeros.
    Rsa { modulus: Vec<u8>, exponent: Vec<u8> },
    /// An EC point (SEC1 encoding; uncompressed for P-256) or an Ed25519 key.
    Bytes(Vec<u8>),
}

/// The public half of the key file's private key, or `None` after reporting why not.
fn read_key(key_pem: &[u8], problems: &mut Vec<TlsProblem>) -> Option<PublicKey> {
    let blocks = pem_blocks(key_pem);
    if blocks.is_empty() {
        problems.push(TlsProblem::KeyNotPem {
            looks_like_der: looks_like_der(key_pem),
        });
        return None;
    }
    let Some(block) = blocks.iter().find(|b| is_key_label(&b.label)) else {
        let labels = blocks.iter().map(|b| b.label.clone()).collect();
        problems.push(TlsProblem::NoPrivateKey { labels });
        return None;
    };
    let label = block.label.clone();
    let format = if label == "ENCRYPTED PRIVATE KEY" {
        Some(EncryptedKeyFormat::Pkcs8)
    } else {
        block
            .encrypted_header
            .then_some(EncryptedKeyFormat::ProcType)
    };
    if let Some(format) = format {
        problems.push(TlsProblem::KeyEncrypted { format });
        return None;
    }
    let parsed = match &block.body {
        Ok(der) => match label.as_str() {
            "PRIVATE KEY" => pkcs8_public(der),
            "RSA PRIVATE KEY" => rsa_public(der).ok_or("it is not a PKCS#1 RSA private key"),
            "EC PRIVATE KEY" => sec1_public(der, None, None),
            "OPENSSH PRIVATE KEY" => Err("it is an OpenSSH key, not PEM the server reads"),
            _ => Err("the server reads no key of this kind"),
        },
        Err(reason) => Err(*reason),
    };
    match parsed {
        Ok(key) => Some(key),
        Err(reason) => {
            problems.push(TlsProblem::KeyUnreadable { label, reason });
            None
        }
    }
}

fn pkcs8_public(der: &[u8]) -> Result<PublicKey, &'static str> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|_| "it is not a PKCS#8 key")?;
    let private_key = info.private_key.as_bytes();
    let embedded = info.public_key.as_ref().and_then(|bits| bits.as_bytes());
    match info.algorithm.oid.to_string().as_str() {
        OID_RSA | OID_RSA_PSS => rsa_public(private_key).ok_or("its RSA key does not decode"),
        OID_EC => {
            let curve = info.algorithm.parameters.and_then(curve_of);
            sec1_public(private_key, curve, embedded)
        }
        OID_ED25519 => Ok(PublicKey {
            kind: KeyKind::Ed25519,
            // Only PKCS#8 v2 carries the public key; deriving it needs Ed25519 arithmetic.
            value: embedded.map(|bytes| PublicValue::Bytes(bytes.to_vec())),
        }),
        oid => Ok(PublicKey {
            kind: KeyKind::Other {
                oid: oid.to_string(),
            },
            value: None,
        }),
    }
}

fn curve_of(parameters: AnyRef) -> Option<ObjectIdentifier> {
    parameters.decode_as::<ObjectIdentifier>().ok()
}

/// RSA's public key is in its private key: `n` and `e`, no arithmetic needed.
fn rsa_public(der: &[u8]) -> Option<PublicKey> {
    let key = pkcs1::RsaPrivateKeyRef::try_from(der).ok()?;
    let modulus = key.modulus.as_bytes();
    Some(PublicKey {
        kind: KeyKind::Rsa {
            bits: bit_length(modulus),
        },
        value: Some(PublicValue::Rsa {
            modulus: modulus.to_vec(),
            exponent: key.public_exponent.as_bytes().to_vec(),
        }),
    })
}

/// An SEC1 `ECPrivateKey`; `curve` and `embedded` come from a PKCS#8 wrapper, when there is one.
fn sec1_public(
    der: &[u8],
    curve: Option<ObjectIdentifier>,
    embedded: Option<&[u8]>,
) -> Result<PublicKey, &'static str> {
    let key = sec1::EcPrivateKey::try_from(der).map_err(|_| "it is not an SEC1 EC private key")?;
    let curve = curve.or(key.parameters.and_then(|p| p.named_curve()));
    let embedded = key.public_key.or(embedded);
    let curve_name = curve.map(|oid| curve_name(&oid.to_string()));
    let value = if curve_name.as_deref() == Some("P-256") {
        // Computed, not read: the key file's copy of the point is not what the server signs with.
        let secret =
            p256::SecretKey::from_slice(key.private_key).map_err(|_| "it is not a P-256 key")?;
        Some(PublicValue::Bytes(p256_point(&secret.public_key())))
    } else {
        embedded.map(|point| PublicValue::Bytes(point.to_vec()))
    };
    Ok(PublicKey {
        kind: KeyKind::Ec { curve: curve_name },
        value,
    })
}

fn p256_point(public: &p256::PublicKey) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    public.to_sec1_point(false).as_bytes().to_vec()
}

fn curve_name(oid: &str) -> String {
    match oid {
        OID_P256 => "P-256".to_string(),
        "1.3.132.0.34" => "P-384".to_string(),
        "1.3.132.0.35" => "P-521".to_string(),
        other => other.to_string(),
    }
}

fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.iter().position(|&b| b != 0) {
        Some(first) => (big_endian.len() - first) * 8 - big_endian[first].leading_zeros() as usize,
        None => 0,
    }
}

/// The certificate's public key, read the same way as the key file's; `None` when its RSA
/// key does not decode (nothing to compare, rather than a mismatch).
fn certificate_public(spki: &SubjectPublicKeyInfo) -> Option<PublicKey> {
    let bits: &[u8] = &spki.subject_public_key.data;
    let oid = spki.algorithm.algorithm.to_id_string();
    let (kind, value) = match oid.as_str() {
        OID_RSA | OID_RSA_PSS => {
            let key = pkcs1::RsaPublicKeyRef::try_from(bits).ok()?;
            let modulus = key.modulus.as_bytes();
            let exponent = key.public_exponent.as_bytes();
            let value = PublicValue::Rsa {
                modulus: modulus.to_vec(),
                exponent: exponent.to_vec(),
            };
            (
                KeyKind::Rsa {
                    bits: bit_length(modulus),
                },
                Some(value),
            )
        }
        OID_EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| Oid::try_from(p).ok());
            let curve = curve.map(|oid| curve_name(&oid.to_id_string()));
            let value = if curve.as_deref() == Some("P-256") {
                // Either SEC1 form (compressed or not) becomes the uncompressed point.
                let point = p256::PublicKey::from_sec1_bytes(bits).ok();
                point.map(|p| PublicValue::Bytes(p256_point(&p)))
            } else {
                Some(PublicValue::Bytes(bits.to_vec()))
            };
            (KeyKind::Ec { curve }, value)
        }
        OID_ED25519 => (KeyKind::Ed25519, Some(PublicValue::Bytes(bits.to_vec()))),
        _ => (KeyKind::Other { oid }, None),
    };
    Some(PublicKey { kind, value })
}

fn check_key_matches(key: &PublicKey, leaf: &X509Certificate, problems: &mut Vec<TlsProblem>) {
    let Some(certificate) = certificate_public(leaf.public_key()) else {
        return;
    };
    if differ(key, &certificate) {
        problems.push(TlsProblem::KeyMismatch {
            key: key.kind.clone(),
            certificate: certificate.kind,
            subject: name_of(leaf.subject()),
        });
    }
}

/// Whether the two are certainly different keys: a mismatch is reported only when known.
fn differ(key: &PublicKey, certificate: &PublicKey) -> bool {
    use KeyKind::{Ec, Ed25519, Other, Rsa};
    match (&key.kind, &certificate.kind) {
        (Rsa { .. }, Rsa { .. }) | (Ed25519, Ed25519) => {}
        (Ec { curve: Some(a) }, Ec { curve: Some(b) }) if a != b => return true,
        (Ec { .. }, Ec { .. }) => {}
        (Other { oid: a }, Other { oid: b }) => return a != b,
        _ => return true,
    }
    match (&key.value, &certificate.value) {
        // A compressed point against an uncompressed one (a curve without arithmetic here):
        // not comparable.
        (Some(PublicValue::Bytes(a)), Some(PublicValue::Bytes(b))) if a.len() != b.len() => false,
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

#[cfg(test)]
#[path = "../../../tests/support/tls_fixtures.rs"]
mod tls_fixtures;

#[cfg(test)]
mod tests {
    use super::tls_fixtures as fx;
    use super::*;

    fn run(pair: &(String, String), hostname: Option<&str>) -> Vec<TlsProblem> {
        inspect(&TlsInput {
            certificate_pem: pair.0.as_bytes(),
            key_pem: Some(pair.1.as_bytes()),
            hostname,
            now_unix: fx::NOW,
        })
    }

    fn check(pair: &(String, String)) -> Vec<TlsProblem> {
        run(pair, Some(fx::HOSTNAME))
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn mismatch(key: KeyKind, certificate: KeyKind) -> TlsProblem {
        TlsProblem::KeyMismatch {
            key,
            certificate,
            subject: fx::HOSTNAME.to_string(),
        }
    }

    fn p256() -> KeyKind {
        KeyKind::Ec {
            curve: Some("P-256".to_string()),
        }
    }

    #[test]
    fn a_good_chain_has_no_problem() {
        assert_eq!(check(&fx::good()), vec![]);
        assert_eq!(
            check(&fx::good_with_root()),
            vec![],
            "a root at the end is fine"
        );
    }

    #[test]
    fn crlf_line_ends_are_read() {
        let (chain, key) = fx::good();
        let crlf = (chain.replace('\n', "\r\n"), key.replace('\n', "\r\n"));
        assert_eq!(check(&crlf), vec![]);
    }

    #[test]
    fn a_leaf_alone_has_no_chain() {
        let problems = check(&fx::leaf_only());
        let expected = TlsProblem::NoChain {
            subject: fx::HOSTNAME.to_string(),
            issuer: fx::INTERMEDIATE.to_string(),
        };
        assert_eq!(problems, vec![expected]);
        assert!(problems[0].message().contains("intermediates missing"));
        assert!(!problems[0].concerns_key());
    }

    #[test]
    fn a_self_signed_certificate_is_its_own_finding() {
        let problems = check(&fx::self_signed());
        assert_eq!(
            problems,
            vec![TlsProblem::SelfSigned {
                subject: fx::HOSTNAME.to_string()
            }]
        );
        assert!(problems[0].message().contains("self-signed"));
    }

    #[test]
    fn a_missing_intermediate_is_named() {
        let expected = TlsProblem::MissingIssuer {
            position: 1,
            subject: fx::HOSTNAME.to_string(),
            issuer: fx::INTERMEDIATE.to_string(),
        };
        assert_eq!(check(&fx::missing_intermediate()), vec![expected]);
    }

    #[test]
    fn certificates_out_of_order_say_the_order() {
        // The key and the hostname are checked against the real leaf, not the root in front.
        let expected = TlsProblem::OutOfOrder {
            found: strings(&[fx::ROOT, fx::HOSTNAME, fx::INTERMEDIATE]),
            expected: strings(&[fx::HOSTNAME, fx::INTERMEDIATE, fx::ROOT]),
        };
        let problems = check(&fx::out_of_order());
        assert_eq!(problems, vec![expected]);
        assert!(problems[0]
            .help()
            .contains("your_domain_name.crt first, then intermediate 1"));
        let reversed = TlsProblem::OutOfOrder {
            found: strings(&[fx::INTERMEDIATE, fx::HOSTNAME]),
            expected: strings(&[fx::HOSTNAME, fx::INTERMEDIATE]),
        };
        assert_eq!(check(&fx::reversed()), vec![reversed]);
    }

    #[test]
    fn expiry_is_checked_on_every_certificate() {
        let leaf = TlsProblem::Expired {
            position: 1,
            subject: fx::HOSTNAME.to_string(),
            not_after: "2021-01-01".to_string(),
        };
        assert_eq!(check(&fx::expired_leaf()), vec![leaf]);
        let intermediate = TlsProblem::Expired {
            position: 2,
            subject: fx::INTERMEDIATE.to_string(),
            not_after: "2022-06-30".to_string(),
        };
        let problems = check(&fx::expired_intermediate());
        assert_eq!(problems, vec![intermediate]);
        assert!(problems[0].message().contains("2022-06-30"));
        let future = TlsProblem::NotYetValid {
            position: 1,
            subject: fx::HOSTNAME.to_string(),
            not_before: "2031-01-01".to_string(),
        };
        assert_eq!(check(&fx::not_yet_valid_leaf()), vec![future]);
    }

    #[test]
    fn p256_keys_match_or_not() {
        assert_eq!(check(&fx::ec_sec1_key()), vec![]);
        // Without the public point in the file, it is computed from the secret scalar.
        assert_eq!(check(&fx::ec_sec1_key_without_public()), vec![]);
        let problems = check(&fx::wrong_key());
        assert_eq!(problems, vec![mismatch(p256(), p256())]);
        assert!(problems[0].concerns_key());
        assert!(problems[0].message().contains("not the same key"));
        assert_eq!(
            check(&fx::ec_sec1_wrong_key_without_public()),
            vec![mismatch(p256(), p256())]
        );
    }

    #[test]
    fn rsa_keys_match_or_not() {
        assert_eq!(check(&fx::rsa_pkcs1_key()), vec![]);
        assert_eq!(check(&fx::rsa_pkcs8_key()), vec![]);
        let rsa = KeyKind::Rsa { bits: 3072 };
        assert_eq!(
            check(&fx::rsa_wrong_key()),
            vec![mismatch(rsa.clone(), rsa.clone())]
        );
        let problems = check(&fx::rsa_key_for_ec_certificate());
        assert_eq!(problems, vec![mismatch(rsa, p256())]);
        assert!(problems[0].message().contains("the key is RSA 3072-bit"));
    }

    #[test]
    fn ed25519_keys_match_or_not() {
        assert_eq!(check(&fx::ed25519()), vec![]);
        let problems = check(&fx::ed25519_wrong_key());
        assert_eq!(problems, vec![mismatch(KeyKind::Ed25519, KeyKind::Ed25519)]);
    }

    #[test]
    fn encrypted_keys_are_found_both_ways() {
        let problems = check(&fx::encrypted_pkcs8_key());
        assert_eq!(
            problems,
            vec![TlsProblem::KeyEncrypted {
                format: EncryptedKeyFormat::Pkcs8
            }]
        );
        assert!(problems[0]
            .help()
            .contains("openssl pkey -in key.pem -out key-unencrypted.pem"));
        assert!(problems[0].help().contains("out of the repository"));
        assert!(problems[0].concerns_key());
        let legacy = TlsProblem::KeyEncrypted {
            format: EncryptedKeyFormat::ProcType,
        };
        assert_eq!(check(&fx::encrypted_legacy_key()), vec![legacy]);
    }

    #[test]
    fn hostnames_follow_the_subject_alt_name() {
        let wildcard = fx::wildcard();
        assert_eq!(run(&wildcard, Some("CI.Example.COM")), vec![]);
        assert_eq!(
            run(&wildcard, Some("ci.example.com.")),
            vec![],
            "a trailing dot is the same"
        );
        for hostname in ["a.ci.example.com", "example.com"] {
            let expected = TlsProblem::HostnameNotCovered {
                hostname: hostname.to_string(),
                names: strings(&["*.example.com"]),
            };
            assert_eq!(run(&wildcard, Some(hostname)), vec![expected]);
        }
        // No subjectAltName: the CN counts, case-insensitive.
        assert_eq!(check(&fx::cn_only()), vec![]);
        let ip = fx::ip_san();
        assert_eq!(run(&ip, Some("10.0.0.5")), vec![]);
        assert_eq!(run(&ip, Some("ci.internal")), vec![]);
        // With a subjectAltName, the CN does not count.
        let problems = run(&ip, Some("legacy.example.com"));
        let expected = TlsProblem::HostnameNotCovered {
            hostname: "legacy.example.com".to_string(),
            names: strings(&["10.0.0.5", "ci.internal"]),
        };
        assert_eq!(problems, vec![expected]);
        assert!(problems[0]
            .message()
            .ends_with("it covers 10.0.0.5, ci.internal"));
        assert_eq!(
            run(&fx::good(), Some("")),
            vec![],
            "an empty hostname is not checked"
        );
    }

    #[test]
    fn wildcards_cover_exactly_one_label() {
        assert!(name_covers("*.example.com", "ci.example.com"));
        assert!(!name_covers("*.example.com", "a.b.example.com"));
        assert!(!name_covers("*.example.com", "example.com"));
        assert!(!name_covers("*.example.com", ".example.com"));
        assert!(!name_covers("*.com", "example.com"));
        assert!(!name_covers("f*.example.com", "foo.example.com"));
        assert!(name_covers("CI.example.com", "ci.EXAMPLE.com"));
    }

    #[test]
    fn swapped_files_say_so() {
        let (chain, key) = fx::good();
        let problems = run(&(key, chain), None);
        assert_eq!(
            problems,
            vec![
                TlsProblem::NoCertificate {
                    labels: strings(&["PRIVATE KEY"])
                },
                TlsProblem::NoPrivateKey {
                    labels: strings(&["CERTIFICATE", "CERTIFICATE"])
                },
            ]
        );
        assert!(problems.iter().all(|p| p.help().contains("swapped")));
        assert_eq!(
            problems
                .iter()
                .map(TlsProblem::concerns_key)
                .collect::<Vec<_>>(),
            [false, true]
        );
    }

    #[test]
    fn binary_files_are_not_pem() {
        let (chain, key) = fx::good();
        let der = |pem: &str| {
            pem_blocks(pem.as_bytes())
                .remove(0)
                .body
                .expect("decodes")
                .to_vec()
        };
        let problems = inspect(&TlsInput {
            certificate_pem: &der(&chain),
            key_pem: Some(&der(&key)),
            hostname: None,
            now_unix: fx::NOW,
        });
        let expected = vec![
            TlsProblem::CertificateNotPem {
                looks_like_der: true,
            },
            TlsProblem::KeyNotPem {
                looks_like_der: true,
            },
        ];
        assert_eq!(problems, expected);
        assert!(problems[0].help().contains("openssl x509 -inform der"));
        assert!(problems[1].help().contains("openssl pkey -inform der"));
    }

    #[test]
    fn unreadable_blocks_are_numbered() {
        let (chain, key) = fx::good_with_root();
        // Block 2's base64 broken; block 3 is base64 but no certificate.
        let mut lines: Vec<String> = chain.lines().map(str::to_string).collect();
        let second = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("-----BEGIN"))
            .nth(1);
        let at = second.map(|(i, _)| i + 1).expect("two blocks");
        lines[at] = format!("!{}", &lines[at][1..]);
        let chain = lines.join("\n")
            + "\n-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        let problems = run(&(chain, key), Some(fx::HOSTNAME));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(&problems[0],
            TlsProblem::CertificateUnreadable { block: 2, reason } if reason.contains("base64")));
        assert!(matches!(&problems[1],
            TlsProblem::CertificateUnreadable { block: 4, reason } if reason.contains("X.509")));
    }

    #[test]
    fn unreadable_keys_say_why() {
        let (chain, key) = fx::good();
        let cut = key
            .rsplit_once("-----END")
            .map(|(head, _)| head.to_string())
            .expect("END");
        let expected = TlsProblem::KeyUnreadable {
            label: "PRIVATE KEY".to_string(),
            reason: "it is cut short: its `-----END` line is missing",
        };
        assert_eq!(run(&(chain.clone(), cut), None), vec![expected]);
        let not_pkcs8 = fx::pem("PRIVATE KEY", b"not a key at all");
        let problems = run(&(chain.clone(), not_pkcs8), None);
        assert!(
            matches!(&problems[..], [TlsProblem::KeyUnreadable { .. }]),
            "{problems:?}"
        );
        let openssh = fx::pem("OPENSSH PRIVATE KEY", b"openssh-key-v1\0");
        let problems = run(&(chain, openssh), None);
        assert!(problems[0].help().contains("ssh-keygen"), "{problems:?}");
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(fx::NOW), "2026-01-01");
        assert_eq!(iso_date(253_402_300_799), "9999-12-31");
    }

    /// Garbage, cut and huge inputs give problems, never a panic.
    #[test]
    fn no_input_panics() {
        let (chain, key) = fx::good_with_root();
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\n\n\n".to_vec(),
            b"-----BEGIN -----\n-----END -----\n".to_vec(),
            b"-----BEGIN CERTIFICATE-----".repeat(10_000),
            b"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n-----END X-----".to_vec(),
            b"-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n:::\n-----END CERTIFICATE-----"
                .to_vec(),
            vec![0xff; 4096],
            vec![0x30; 4096],
            fx::pem("CERTIFICATE", &[0x30, 0x82, 0xff, 0xff, 0x30]).into_bytes(),
            fx::pem("EC PRIVATE KEY", &[0x30, 0x03, 0x02, 0x01, 0x01]).into_bytes(),
            fx::pem("PRIVATE KEY", &[0x30, 0x80, 0x00, 0x00]).into_bytes(),
            fx::pem("CERTIFICATE", &vec![0x41; 3 << 20]).into_bytes(),
        ];
        // A small xorshift: the same "random" bytes every run.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        inputs.push(
            (0..65_536)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                })
                .collect(),
        );
        for text in [&chain, &key] {
            let bytes = text.as_bytes();
            inputs.extend(
                (0..bytes.len())
                    .step_by(61)
                    .map(|cut| bytes[..cut].to_vec()),
            );
            // One character changed here and there inside the base64.
            inputs.extend((30..bytes.len()).step_by(97).map(|at| {
                let mut changed = bytes.to_vec();
                changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
                changed
            }));
        }
        for input in &inputs {
            for (certificate_pem, key_pem) in [
                (&input[..], Some(key.as_bytes())),
                (chain.as_bytes(), Some(&input[..])),
            ] {
                let problems = inspect(&TlsInput {
                    certificate_pem,
                    key_pem,
                    hostname: Some(fx::HOSTNAME),
                    now_unix: fx::NOW,
                });
                for problem in problems {
                    let _ = (problem.message(), problem.help(), format!("{problem:?}"));
                }
            }
        }
    }

    /// The variant's name; a new variant must be added here, so to the secrecy test below.
    fn variant(problem: &TlsProblem) -> &'static str {
        match problem {
            TlsProblem::CertificateNotPem { .. } => "CertificateNotPem",
            TlsProblem::NoCertificate { .. } => "NoCertificate",
            TlsProblem::CertificateUnreadable { .. } => "CertificateUnreadable",
            TlsProblem::KeyEncrypted { .. } => "KeyEncrypted",
            TlsProblem::KeyNotPem { .. } => "KeyNotPem",
            TlsProblem::NoPrivateKey { .. } => "NoPrivateKey",
            TlsProblem::KeyUnreadable { .. } => "KeyUnreadable",
            TlsProblem::KeyMismatch { .. } => "KeyMismatch",
            TlsProblem::NoChain { .. } => "NoChain",
            TlsProblem::MissingIssuer { .. } => "MissingIssuer",
            TlsProblem::OutOfOrder { .. } => "OutOfOrder",
            TlsProblem::SelfSigned { .. } => "SelfSigned",
            TlsProblem::Expired { .. } => "Expired",
            TlsProblem::NotYetValid { .. } => "NotYetValid",
            TlsProblem::HostnameNotCovered { .. } => "HostnameNotCovered",
        }
    }

    /// The base64 lines of every PEM block of `key`, and of `key` itself read as DER.
    fn secret_lines(key: &[u8]) -> Vec<String> {
        let mut lines: Vec<String> = String::from_utf8_lossy(key)
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----") && !l.contains(':') && l.len() >= 16)
            .map(str::to_string)
            .collect();
        let as_der = fx::pem("X", key);
        lines.extend(
            as_der
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_string),
        );
        lines
    }

    /// Real files, between them making every variant: (certificate file, key file).
    fn secrecy_cases() -> Vec<(String, Vec<u8>)> {
        let (good_chain, good_key) = fx::good();
        let der_key = pem_blocks(good_key.as_bytes())
            .remove(0)
            .body
            .expect("decodes");
        let with_good_key = |chain: String| (chain, good_key.clone().into_bytes());
        let with_good_chain = |key: String| (good_chain.clone(), key.into_bytes());
        let pair = |(chain, key): (String, String)| (chain, key.into_bytes());
        vec![
            with_good_key(good_chain.replace("-----", "")),
            with_good_key(good_key.clone()),
            with_good_key(good_chain.replace("MII", "!II")),
            with_good_key(fx::wrong_key().0),
            with_good_chain(fx::encrypted_pkcs8_key().1),
            with_good_chain(fx::encrypted_legacy_key().1),
            with_good_chain(good_key.replace("PRIVATE KEY", "SECRET STUFF")),
            with_good_chain(good_key.replace("-----END PRIVATE KEY-----", "")),
            (good_chain.clone(), der_key.to_vec()),
            pair(fx::rsa_wrong_key()),
            (fx::rsa_pkcs1_key().0, fx::ec_sec1_key().1.into_bytes()),
            pair(fx::leaf_only()),
            pair(fx::missing_intermediate()),
            pair(fx::out_of_order()),
            pair(fx::self_signed()),
            pair(fx::expired_leaf()),
            pair(fx::not_yet_valid_leaf()),
        ]
    }

    /// Every variant, built from real files; no line of the key's base64 body is in any
    /// message, help or Debug output.
    #[test]
    fn no_problem_shows_the_key() {
        let hostname = Some("elsewhere.example.org");
        let cases = secrecy_cases();
        let mut seen = std::collections::BTreeSet::new();
        for (chain, key) in &cases {
            let secrets = secret_lines(key);
            assert!(!secrets.is_empty());
            let input = TlsInput {
                certificate_pem: chain.as_bytes(),
                key_pem: Some(key),
                hostname,
                now_unix: fx::NOW,
            };
            for problem in inspect(&input) {
                seen.insert(variant(&problem));
                for shown in [problem.message(), problem.help(), format!("{problem:?}")] {
                    for secret in &secrets {
                        assert!(
                            !shown.contains(secret.as_str()),
                            "{} shows the key",
                            variant(&problem)
                        );
                    }
                }
            }
        }
        let all = [
            "CertificateNotPem",
            "NoCertificate",
            "CertificateUnreadable",
            "KeyEncrypted",
            "KeyNotPem",
            "NoPrivateKey",
            "KeyUnreadable",
            "KeyMismatch",
            "NoChain",
            "MissingIssuer",
            "OutOfOrder",
            "SelfSigned",
            "Expired",
            "NotYetValid",
            "HostnameNotCovered",
        ];
        assert_eq!(seen, all.into_iter().collect(), "every variant is built");
    }
}
