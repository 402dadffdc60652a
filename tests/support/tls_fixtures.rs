//! TLS fixtures for `cci_tls`, generated when the tests run, so no private key is ever
//! committed. Each scenario returns `(certificate chain PEM, key PEM)`.
//!
//! The hierarchy: "Example Root CA" issues "Example Intermediate CA", which issues the leaf
//! for [`HOSTNAME`]. Everything is valid 2024-01-01 to 2034-01-01 unless a scenario says
//! otherwise; check at [`NOW`].
//!
//! Include it with `#[path = ".../tests/support/tls_fixtures.rs"] mod tls_fixtures;`.

#![allow(dead_code)]

use std::sync::OnceLock;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, PublicKeyData, PKCS_ED25519,
};

pub const HOSTNAME: &str = "ci.example.com";
pub const ROOT: &str = "Example Root CA";
pub const INTERMEDIATE: &str = "Example Intermediate CA";
/// 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;

/// (certificate chain PEM, key PEM).
pub type Pair = (String, String);

struct Authority {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

/// Root and intermediate, made afresh for each scenario (P-256 keys are cheap).
struct Pki {
    root: Authority,
    intermediate: Authority,
}

fn params(common_name: &str, names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("fixture names are valid");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.not_before = date_time_ymd(2024, 1, 1);
    params.not_after = date_time_ymd(2034, 1, 1);
    params
}

fn authority(common_name: &str, parent: Option<&Authority>) -> Authority {
    let mut params = params(common_name, &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = p256();
    let certificate = match parent {
        None => params.self_signed(&key),
        Some(parent) => params.signed_by(&key, &Issuer::from_params(&parent.params, &parent.key)),
    };
    let pem = certificate.expect("fixture CA signs").pem();
    Authority { params, key, pem }
}

fn pki() -> Pki {
    let root = authority(ROOT, None);
    let intermediate = authority(INTERMEDIATE, Some(&root));
    Pki { root, intermediate }
}

fn sign(params: &CertificateParams, key: &impl PublicKeyData, by: &Authority) -> String {
    params
        .signed_by(key, &Issuer::from_params(&by.params, &by.key))
        .expect("fixture certificate signs")
        .pem()
}

/// A leaf for [`HOSTNAME`], issued by the intermediate.
fn leaf(pki: &Pki, key: &impl PublicKeyData) -> String {
    sign(&params(HOSTNAME, &[HOSTNAME]), key, &pki.intermediate)
}

fn p256() -> KeyPair {
    KeyPair::generate().expect("P-256 key generation")
}

/// PEM text of `der`, 64 columns, as OpenSSL writes it.
pub fn pem(label: &str, der: &[u8]) -> String {
    let base64 = data_encoding::BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in base64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// --- chains, with a matching PKCS#8 P-256 key -------------------------------------------------

/// Leaf, then intermediate: what the guide asks for.
pub fn good() -> Pair {
    let pki = pki();
    let key = p256();
    (
        leaf(&pki, &key) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// Leaf, intermediate, root.
pub fn good_with_root() -> Pair {
    let pki = pki();
    let key = p256();
    (
        leaf(&pki, &key) + &pki.intermediate.pem + &pki.root.pem,
        key.serialize_pem(),
    )
}

pub fn leaf_only() -> Pair {
    let pki = pki();
    let key = p256();
    (leaf(&pki, &key), key.serialize_pem())
}

/// One self-signed certificate for [`HOSTNAME`].
pub fn self_signed() -> Pair {
    let key = p256();
    let certificate = params(HOSTNAME, &[HOSTNAME])
        .self_signed(&key)
        .expect("self-signs");
    (certificate.pem(), key.serialize_pem())
}

/// Leaf, then root: the intermediate is left out.
pub fn missing_intermediate() -> Pair {
    let pki = pki();
    let key = p256();
    (leaf(&pki, &key) + &pki.root.pem, key.serialize_pem())
}

/// Root, leaf, intermediate.
pub fn out_of_order() -> Pair {
    let pki = pki();
    let key = p256();
    (
        pki.root.pem.clone() + &leaf(&pki, &key) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// Intermediate, then leaf: the other common mistake.
pub fn reversed() -> Pair {
    let pki = pki();
    let key = p256();
    (
        pki.intermediate.pem.clone() + &leaf(&pki, &key),
        key.serialize_pem(),
    )
}

/// The leaf expired on 2021-01-01.
pub fn expired_leaf() -> Pair {
    let pki = pki();
    let key = p256();
    let mut params = params(HOSTNAME, &[HOSTNAME]);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2021, 1, 1);
    (
        sign(&params, &key, &pki.intermediate) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// The intermediate expired on 2022-06-30.
pub fn expired_intermediate() -> Pair {
    let root = authority(ROOT, None);
    let mut params = params(INTERMEDIATE, &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2022, 6, 30);
    let key = p256();
    let pem = sign(&params, &key, &root);
    let pki = Pki {
        root,
        intermediate: Authority { params, key, pem },
    };
    let leaf_key = p256();
    (
        leaf(&pki, &leaf_key) + &pki.intermediate.pem,
        leaf_key.serialize_pem(),
    )
}

/// The leaf is valid only from 2031-01-01.
pub fn not_yet_valid_leaf() -> Pair {
    let pki = pki();
    let key = p256();
    let mut params = params(HOSTNAME, &[HOSTNAME]);
    params.not_before = date_time_ymd(2031, 1, 1);
    params.not_after = date_time_ymd(2032, 1, 1);
    (
        sign(&params, &key, &pki.intermediate) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// A leaf covering `*.example.com` (and so [`HOSTNAME`]).
pub fn wildcard() -> Pair {
    let pki = pki();
    let key = p256();
    let params = params("*.example.com", &["*.example.com"]);
    (
        sign(&params, &key, &pki.intermediate) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// A leaf with no subjectAltName, CN = [`HOSTNAME`] (in upper case).
pub fn cn_only() -> Pair {
    let pki = pki();
    let key = p256();
    let params = params(&HOSTNAME.to_uppercase(), &[]);
    (
        sign(&params, &key, &pki.intermediate) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// A leaf whose subjectAltName is the IP address 10.0.0.5 and `ci.internal`, and whose CN,
/// `legacy.example.com`, is not in its subjectAltName.
pub fn ip_san() -> Pair {
    let pki = pki();
    let key = p256();
    let params = params("legacy.example.com", &["10.0.0.5", "ci.internal"]);
    (
        sign(&params, &key, &pki.intermediate) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

// --- keys ---------------------------------------------------------------------------------------

/// A good chain and a P-256 key that is not its leaf's.
pub fn wrong_key() -> Pair {
    (good().0, p256().serialize_pem())
}

/// Random bytes: a fresh key's DER, never the fixture's key.
fn filler() -> Vec<u8> {
    p256().serialize_der()
}

/// A PKCS#8 `ENCRYPTED PRIVATE KEY` block. The body is random, not really encrypted: the label
/// is what marks it, for OpenSSL's PEM reader and for `inspect`.
pub fn encrypted_pkcs8_key() -> Pair {
    (good().0, pem("ENCRYPTED PRIVATE KEY", &filler()))
}

/// A legacy OpenSSL encrypted key: `Proc-Type: 4,ENCRYPTED` and `DEK-Info` headers, random body.
pub fn encrypted_legacy_key() -> Pair {
    let body = pem("RSA PRIVATE KEY", &filler());
    let headers =
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,8F2A4B6C1D3E5F708192A3B4C5D6E7F8\n\n";
    let key = body.replacen('\n', &format!("\n{headers}"), 1);
    (good().0, key)
}

/// `key`'s `ECPrivateKey` (from its PKCS#8) as an SEC1 `EC PRIVATE KEY` block naming P-256,
/// with or without the public point.
fn sec1_pem(key: &KeyPair, with_public: bool) -> String {
    use pkcs8::der::Encode;
    let der = key.serialize_der();
    let info = pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()).expect("ring writes PKCS#8");
    let inner = sec1::EcPrivateKey::try_from(info.private_key.as_bytes()).expect("an SEC1 key");
    let p256 = pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    let sec1 = sec1::EcPrivateKey {
        private_key: inner.private_key,
        parameters: Some(sec1::EcParameters::NamedCurve(p256)),
        public_key: if with_public {
            inner.public_key.or(Some(key.public_key_raw()))
        } else {
            None
        },
    };
    let mut buffer = [0u8; 256];
    let encoded = sec1.encode_to_slice(&mut buffer).expect("SEC1 encodes");
    pem("EC PRIVATE KEY", encoded)
}

/// A good chain, its key as SEC1 `EC PRIVATE KEY`.
pub fn ec_sec1_key() -> Pair {
    let pki = pki();
    let key = p256();
    (
        leaf(&pki, &key) + &pki.intermediate.pem,
        sec1_pem(&key, true),
    )
}

/// A good chain, its key as SEC1 without the public point (the check must compute it).
pub fn ec_sec1_key_without_public() -> Pair {
    let pki = pki();
    let key = p256();
    (
        leaf(&pki, &key) + &pki.intermediate.pem,
        sec1_pem(&key, false),
    )
}

/// A good chain and another key, SEC1 without the public point.
pub fn ec_sec1_wrong_key_without_public() -> Pair {
    (good().0, sec1_pem(&p256(), false))
}

/// Two RSA keys, made once per test binary (RSA key generation is slow in a debug build).
fn rsa_keys() -> &'static [rsa::PrivateKey; 2] {
    use rsa::Generate;
    static KEYS: OnceLock<[rsa::PrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| [rsa::PrivateKey::generate(), rsa::PrivateKey::generate()])
}

fn rsa_pkcs8(which: usize) -> Vec<u8> {
    use rsa::pkcs8::EncodePrivateKey;
    let document = rsa_keys()[which].to_pkcs8_der().expect("RSA key encodes");
    document.as_bytes().to_vec()
}

/// A chain whose leaf holds RSA key `which`.
fn rsa_chain(which: usize) -> String {
    let pki = pki();
    let key = KeyPair::try_from(rsa_pkcs8(which).as_slice()).expect("ring reads the RSA key");
    leaf(&pki, &key) + &pki.intermediate.pem
}

/// RSA, key as PKCS#1 `RSA PRIVATE KEY`.
pub fn rsa_pkcs1_key() -> Pair {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let document = rsa_keys()[0].to_pkcs1_der().expect("RSA key encodes");
    (rsa_chain(0), pem("RSA PRIVATE KEY", document.as_bytes()))
}

/// RSA, key as PKCS#8 `PRIVATE KEY`.
pub fn rsa_pkcs8_key() -> Pair {
    (rsa_chain(0), pem("PRIVATE KEY", &rsa_pkcs8(0)))
}

/// An RSA leaf and another RSA key of the same size.
pub fn rsa_wrong_key() -> Pair {
    (rsa_chain(0), pem("PRIVATE KEY", &rsa_pkcs8(1)))
}

/// A P-256 leaf and an RSA key.
pub fn rsa_key_for_ec_certificate() -> Pair {
    (good().0, pem("PRIVATE KEY", &rsa_pkcs8(0)))
}

fn ed25519_key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ED25519).expect("Ed25519 key generation")
}

/// An Ed25519 leaf and its key (PKCS#8 v2, which carries the public key).
pub fn ed25519() -> Pair {
    let pki = pki();
    let key = ed25519_key();
    (
        leaf(&pki, &key) + &pki.intermediate.pem,
        key.serialize_pem(),
    )
}

/// An Ed25519 leaf and another Ed25519 key.
pub fn ed25519_wrong_key() -> Pair {
    (ed25519().0, ed25519_key().serialize_pem())
}
