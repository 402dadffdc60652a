//! The certificate file's chain: each `CERTIFICATE` block read, the order the guide asks for
//! (leaf first, each followed by its issuer), the validity dates, and the names the leaf covers.

use crate::pem::{looks_like_der, PemBlock};
use cci_core::tls::TlsProblem;
use std::net::IpAddr;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::x509::X509Name;

/// The `CERTIFICATE` blocks in file order; `None` for one that cannot be read.
pub(crate) fn read_certificates<'a>(
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
pub(crate) fn name_of(name: &X509Name) -> String {
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
pub(crate) fn check_chain(
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

pub(crate) fn check_validity(
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
pub(crate) fn iso_date(unix: i64) -> String {
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

// Hostname

pub(crate) fn check_hostname(
    leaf: &X509Certificate,
    hostname: &str,
    problems: &mut Vec<TlsProblem>,
) {
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
pub(crate) fn name_covers(pattern: &str, hostname: &str) -> bool {
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
