//! `tls { certificate = file(...)  key = file(...) }`: the guide's TLS FAQ as checks, on
//! certificates and keys the test generates (tests/support/tls_fixtures.rs; no key is
//! committed). The key's bytes never reach a diagnostic or an output.

use crate::tls_fixtures as fx;
use cci_core::codes::Code;
use std::collections::BTreeMap;

/// The default example with a `tls` block (and the DNS name the certificate is for).
fn site(hostname: Option<&str>) -> String {
    let text = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let host = hostname.map_or(String::new(), |h| format!("    hostname    = \"{h}\"\n"));
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("passphrase"))
        .expect("the example has a passphrase");
    text.replace(
        &format!("{line}\n"),
        &format!("  passphrase         = secret\n\n  tls {{\n    certificate = file(\"tls/ci.pem\")\n    key         = file(\"tls/ci.key\")\n{host}  }}\n"),
    )
}

/// Builds the site with these files, at the fixtures' "now".
fn build(text: &str, (cert, key): &(String, String)) -> cci_core::Build {
    let files: BTreeMap<&str, &[u8]> = [
        ("tls/ci.pem", cert.as_bytes()),
        ("tls/ci.key", key.as_bytes()),
    ]
    .into();
    let read = |p: &str| {
        files
            .get(p)
            .map(|b| b.to_vec())
            .ok_or_else(|| "no such file".to_string())
    };
    let world = cci_core::World {
        read_file: &read,
        now_unix: fx::NOW,
        inspect_tls: &cci_tls::inspect,
    };
    cci_core::build_in("site.cci", text, &cci_core::stdlib::embedded(), &world)
}

fn codes(b: &cci_core::Build) -> Vec<Code> {
    b.compilation.diagnostics.iter().map(|d| d.code).collect()
}

/// Base64 lines of a PEM's body: what must never be shown of a key.
fn body_lines(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .collect()
}

#[test]
fn each_finding_of_the_guides_faq_has_its_code() {
    let host = Some(fx::HOSTNAME);
    let cases: Vec<(&str, (String, String), Code)> = vec![
        ("leaf only", fx::leaf_only(), Code::E0435),
        (
            "missing intermediate",
            fx::missing_intermediate(),
            Code::E0435,
        ),
        ("wrong key", fx::wrong_key(), Code::E0434),
        ("encrypted key", fx::encrypted_pkcs8_key(), Code::E0433),
        (
            "legacy encrypted key",
            fx::encrypted_legacy_key(),
            Code::E0433,
        ),
        ("expired leaf", fx::expired_leaf(), Code::E0437),
        ("not yet valid", fx::not_yet_valid_leaf(), Code::E0437),
        ("self-signed", fx::self_signed(), Code::W0436),
    ];
    for (what, pair, code) in cases {
        let b = build(&site(host), &pair);
        assert!(codes(&b).contains(&code), "{what}: {:?}", codes(&b));
    }
    let b = build(&site(Some("ci.other.example.org")), &fx::good());
    assert_eq!(
        codes(&b),
        vec![Code::E0438],
        "a name the certificate does not cover"
    );
    let b = build(&site(host), &("not a certificate".into(), fx::good().1));
    assert_eq!(codes(&b), vec![Code::E0432]);
}

#[test]
fn a_good_chain_builds_and_no_output_or_diagnostic_holds_the_key() {
    let pair = fx::good();
    let b = build(&site(Some(fx::HOSTNAME)), &pair);
    assert!(codes(&b).is_empty(), "{:?}", codes(&b));
    let outputs = b.outputs.expect("builds");
    for line in body_lines(&pair.1) {
        for (path, text) in &outputs.files {
            assert!(!text.contains(line), "{path} holds a line of the key");
        }
    }
    // A wrong key: the diagnostics, human and JSON, show no line of either key file.
    let wrong = fx::wrong_key();
    let b = build(&site(Some(fx::HOSTNAME)), &wrong);
    let c = &b.compilation;
    let shown = cci_core::diagnostics::render(
        &c.diagnostics,
        &c.sources,
        cci_core::diagnostics::Style::Plain,
    ) + &cci_core::diagnostics::render_json(&c.diagnostics, &c.sources);
    assert!(shown.contains("E0434"));
    for line in body_lines(&wrong.1) {
        assert!(!shown.contains(line), "a diagnostic shows the key");
    }
}

#[test]
fn the_dns_name_is_the_one_checked_when_tls_names_none() {
    let text = site(None).replace(
        "  tls {",
        "  dns {\n    zone = \"example.org\"\n    name = \"ci\"\n  }\n\n  tls {",
    );
    let b = build(&text, &fx::good());
    let found: Vec<_> = b
        .compilation
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.clone()))
        .collect();
    assert!(
        found
            .iter()
            .any(|(c, m)| *c == Code::E0438 && m.contains("ci.example.org")),
        "{found:?}"
    );
}

#[test]
fn a_missing_file_is_an_error_at_its_reference() {
    let b = cci_core::build("site.cci", &site(None), &cci_core::stdlib::embedded());
    assert_eq!(codes(&b), vec![Code::E0431, Code::E0431]);
    assert!(b.outputs.is_none());
}

/// Through the binary: files next to the site, read relative to it; exit 1 on a bad chain,
/// 0 on a good one.
#[test]
fn the_cli_reads_the_files_next_to_the_site() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tls")).unwrap();
    let path = dir.path().join("site.cci");
    std::fs::write(&path, site(Some(fx::HOSTNAME))).unwrap();
    let run = |(cert, key): (String, String)| {
        std::fs::write(dir.path().join("tls/ci.pem"), cert).unwrap();
        std::fs::write(dir.path().join("tls/ci.key"), &key).unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        for line in body_lines(&key) {
            assert!(!stderr.contains(line));
        }
        (o.status.code(), stderr)
    };
    let (code, stderr) = run(fx::leaf_only());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0435"), "{stderr}");
    let (code, stderr) = run(fx::good());
    assert_eq!(code, Some(0), "{stderr}");
}

/// What an operator sees for a certificate without its intermediates and the key of another
/// certificate (snapshots/tls/): the file, the finding, the fix; never the key.
#[test]
fn a_leaf_alone_with_another_key_reads_well() {
    let (cert, _) = fx::leaf_only();
    let (_, key) = fx::rsa_wrong_key();
    let b = build(&site(Some(fx::HOSTNAME)), &(cert, key.clone()));
    let c = &b.compilation;
    let shown = cci_core::diagnostics::render(
        &c.diagnostics,
        &c.sources,
        cci_core::diagnostics::Style::Plain,
    );
    for line in body_lines(&key) {
        assert!(!shown.contains(line));
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/tls");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("leaf-only-and-another-key", shown));
}
