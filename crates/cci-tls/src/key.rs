//! The private key file: one unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1), read by
//! RustCrypto's decoders into its public half, which is compared with the leaf certificate's.
//! Nothing of the key leaves this module but its kind and size.

use crate::chain::name_of;
use crate::pem::{looks_like_der, pem_blocks};
use cci_core::tls::{is_key_label, EncryptedKeyFormat, KeyKind, TlsProblem};
use pkcs8::der::asn1::{AnyRef, ObjectIdentifier};
use x509_parser::asn1_rs::Oid;
use x509_parser::certificate::X509Certificate;
use x509_parser::x509::SubjectPublicKeyInfo;

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// A public key, from the key file or a certificate. Not `Debug`: built from key material.
pub(crate) struct PublicKey {
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
pub(crate) fn read_key(key_pem: &[u8], problems: &mut Vec<TlsProblem>) -> Option<PublicKey> {
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

pub(crate) fn check_key_matches(
    key: &PublicKey,
    leaf: &X509Certificate,
    problems: &mut Vec<TlsProblem>,
) {
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
