//! What the pipeline takes from outside the site's text: the files it names (`file("...")`,
//! read by the caller, relative to the site), the time certificates are checked at, and the
//! inspector of a certificate chain and key (the `cci-tls` crate). The core reads none of
//! them itself; `check` asks the world.

use crate::tls::{Inspector, TlsInput, TlsProblem};

pub struct World<'a> {
    pub read_file: &'a dyn Fn(&str) -> Result<Vec<u8>, String>,
    /// Seconds since the Unix epoch.
    pub now_unix: i64,
    /// Inspects the certificate chain and key a site's `tls` block names.
    pub inspect_tls: &'a Inspector,
}

impl World<'_> {
    /// No files: a site that names one gets an error saying so (and so no certificate is
    /// ever inspected).
    pub fn none() -> World<'static> {
        World {
            read_file: &|_| Err("this entry point reads no files".into()),
            now_unix: 0,
            inspect_tls: &no_inspection,
        }
    }
}

/// The inspector of a world that reads no files: it is never given a certificate.
fn no_inspection(_: &TlsInput) -> Vec<TlsProblem> {
    Vec::new()
}
