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

//!
//! By job: [`pem`] finds the file's blocks, [`chain`] reads the certificates (order, validity,
//! the name they cover), [`key`] reads the private key and compares it with the certificate's.

mod chain;
mod key;
mod pem;

use cci_core::tls::{TlsInput, TlsProblem};

/// Every problem that applies, in the order: certificate file, chain, key, validity, hostname.
pub fn inspect(input: &TlsInput) -> Vec<TlsProblem> {
    let mut problems = Vec::new();
    let blocks = pem::pem_blocks(input.certificate_pem);
    let certificates = chain::read_certificates(&blocks, input.certificate_pem, &mut problems);
    let leaf = chain::check_chain(&certificates, &mut problems)
        .and_then(|index| certificates.get(index))
        .and_then(Option::as_ref);
    if let Some(key_pem) = input.key_pem {
        if let Some(key) = key::read_key(key_pem, &mut problems) {
            if let Some(leaf) = leaf {
                key::check_key_matches(&key, leaf, &mut problems);
            }
        }
    }
    chain::check_validity(&certificates, input.now_unix, &mut problems);
    if let (Some(leaf), Some(hostname)) = (leaf, input.hostname) {
        chain::check_hostname(leaf, hostname, &mut problems);
    }
    problems
}

#[cfg(test)]
#[path = "../../../tests/support/tls_fixtures.rs"]
mod tls_fixtures;

#[cfg(test)]
mod tests {
    use super::tls_fixtures as fx;
    use super::*;
    use crate::chain::{iso_date, name_covers};
    use crate::pem::pem_blocks;
    use cci_core::tls::{EncryptedKeyFormat, KeyKind};

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
