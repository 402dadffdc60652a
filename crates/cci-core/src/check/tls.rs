//! The certificate and key a site names (`tls`), checked as the guide's FAQ asks ("How do I
//! verify TLS settings are failing?": unencrypted PEM, the entire chain; "Why is Test GitHub
//! Authentication failing?": intermediates missing), plus what breaks browsers (expiry, the
//! name). The files are read, and inspected, by the caller's [`World`] (the `cci-tls` crate);
//! their bytes never reach a diagnostic or an output: only the [`crate::tls`] findings, which
//! hold names and dates.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{FileRef, Site};
use crate::tls::{TlsInput, TlsProblem};
use crate::world::World;

pub(super) fn check_tls(site: &Site, world: &World, diags: &mut Diagnostics) {
    let Some(tls) = &site.tls else {
        return;
    };
    let certificate = read(&tls.certificate, world, diags);
    let key = tls.key.as_ref().map(|k| read(k, world, diags));
    let (Some(certificate), Some(key)) = (certificate, key.map_or(Some(None), |k| k.map(Some)))
    else {
        return;
    };
    let hostname = tls
        .hostname
        .as_ref()
        .map(|h| h.node.clone())
        .or_else(|| site.dns.as_ref().map(|d| d.fqdn()));
    let problems = (world.inspect_tls)(&TlsInput {
        certificate_pem: &certificate,
        key_pem: key.as_deref(),
        hostname: hostname.as_deref(),
        now_unix: world.now_unix,
    });
    for p in problems {
        let at = match (&tls.key, p.concerns_key()) {
            (Some(k), true) => k,
            _ => &tls.certificate,
        };
        diags.push(
            Diagnostic::new(code(&p), at.span, p.message())
                .label(format!("`{}`", at.path))
                .help(p.help()),
        );
    }
}

/// One code per kind of finding.
fn code(p: &TlsProblem) -> Code {
    use TlsProblem::*;
    match p {
        CertificateNotPem { .. }
        | NoCertificate { .. }
        | CertificateUnreadable { .. }
        | KeyNotPem { .. }
        | NoPrivateKey { .. }
        | KeyUnreadable { .. } => Code::E0432,
        KeyEncrypted { .. } => Code::E0433,
        KeyMismatch { .. } => Code::E0434,
        NoChain { .. } | MissingIssuer { .. } | OutOfOrder { .. } => Code::E0435,
        SelfSigned { .. } => Code::W0436,
        Expired { .. } | NotYetValid { .. } => Code::E0437,
        HostnameNotCovered { .. } => Code::E0438,
    }
}

/// The file's bytes, or an error at the reference.
fn read(file: &FileRef, world: &World, diags: &mut Diagnostics) -> Option<Vec<u8>> {
    match (world.read_file)(&file.path) {
        Ok(bytes) => Some(bytes),
        Err(why) => {
            diags.push(
                Diagnostic::new(Code::E0431, file.span, format!("cannot read `{}`: {why}", file.path))
                    .label("named here")
                    .help("paths are relative to the site file; keep the certificate and key out of version control and give their path here"),
            );
            None
        }
    }
}
