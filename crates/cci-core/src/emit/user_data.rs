//! The size of what EC2 receives as user-data: each cloud-init file as Terraform sends it
//! (templatefile with every value it fills in at its longest, then base64gzip), against EC2's
//! limit (`user_data` in aws.cci). Over the limit is E0602, above the warning line W0603;
//! both name what takes the room.

use super::Outputs;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Site, Stdlib};
use crate::names::Names;
use std::io::Write;

/// One user-data file as EC2 receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct UserDataSize {
    /// The output file (`cloud-init/nomad-client.yaml`).
    pub file: String,
    /// Bytes after templatefile, before compression.
    pub rendered: usize,
    /// Bytes EC2 receives: gzipped, before base64.
    pub sent: usize,
    /// Each part of the file (a `write_files` entry by its path, the rest as `cloud-config`),
    /// largest first, with its bytes before compression.
    pub parts: Vec<(String, usize)>,
}

/// The user-data files and the machines that receive them.
const FILES: &[(&str, &str)] = &[
    ("cloud-init/services.yaml", "the services box"),
    ("cloud-init/nomad-client.yaml", "the Nomad clients"),
];

/// Every user-data file's size, with Terraform's values at their longest.
pub fn sizes(site: &Site, lib: &Stdlib, out: &Outputs) -> Vec<UserDataSize> {
    let values = longest_values(site, lib);
    FILES
        .iter()
        .filter_map(|(file, _)| {
            let text = out.files.get(*file)?;
            let filled = templatefile(text, &values);
            Some(UserDataSize {
                file: file.to_string(),
                rendered: filled.len(),
                sent: gzip(filled.as_bytes()).len(),
                parts: parts(&filled),
            })
        })
        .collect()
}

/// Reports each user-data file over EC2's limit (E0602) or near it (W0603).
pub(super) fn check(site: &Site, lib: &Stdlib, out: &Outputs, diags: &mut Diagnostics) {
    let limits = &lib.user_data;
    for size in sizes(site, lib, out) {
        let sent = size.sent as u64;
        let code = if sent > limits.limit {
            Code::E0602
        } else if sent > limits.warn_above {
            Code::W0603
        } else {
            continue;
        };
        let machine = FILES
            .iter()
            .find(|(f, _)| *f == size.file)
            .map_or("", |(_, m)| m);
        let (span, label) = match &site.proxy {
            Some(p) if !p.no_proxy.is_empty() => (
                p.span,
                format!(
                    "{} `no_proxy` entries of this site are in it",
                    p.no_proxy.len()
                ),
            ),
            _ => (site.name_span, "the user-data of this site".to_string()),
        };
        let largest: Vec<String> = size
            .parts
            .iter()
            .take(3)
            .map(|(part, bytes)| format!("{part} ({} bytes)", thousands(*bytes)))
            .collect();
        let over = if code == Code::E0602 {
            format!("over EC2's limit of {}", thousands(limits.limit as usize))
        } else {
            format!(
                "near EC2's limit of {} (warned above {})",
                thousands(limits.limit as usize),
                thousands(limits.warn_above as usize)
            )
        };
        diags.push(
            Diagnostic::new(
                code,
                span,
                format!(
                    "the user-data of {machine} is {} bytes gzipped, {over}",
                    thousands(size.sent)
                ),
            )
            .label(label)
            .help(format!(
                "{} is {} bytes before gzip; the largest parts: {}. Shorten what the site puts there (a domain such as `.example.com` in `no_proxy` covers all its hosts)",
                size.file,
                thousands(size.rendered),
                largest.join(", ")
            )),
        );
    }
}

/// What Terraform fills in at apply, at its longest: each placeholder of the user-data and
/// its value.
pub fn longest_values(site: &Site, lib: &Stdlib) -> Vec<(&'static str, String)> {
    let u = &lib.user_data;
    let names = Names::new(site);
    let account = site.account.clone().unwrap_or(u.longest_account_id.clone());
    let queue = u
        .queue_url
        .replace("{region}", &site.region)
        .replace("{account}", &account)
        .replace("{queue}", &names.shutdown_queue());
    // The pattern holds `?` for each digit of an account id Terraform learns at apply.
    let bucket = names.bucket_pattern(site).replace('?', "9");
    vec![
        (super::cloud_init::NOMAD_PLACEHOLDER, u.longest_ipv4.clone()),
        ("bucket", bucket),
        ("queue_url", queue),
        ("vm_security_group_id", u.longest_security_group_id.clone()),
    ]
}

/// `text` as Terraform's templatefile renders it with `values`: each `${name}` replaced, and
/// the escapes `$${` and `%%{` undone.
pub fn templatefile(text: &str, values: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    out.replace("$${", "${").replace("%%{", "%{")
}

/// Gzip at the default level, without a file name or a time, as Terraform's base64gzip
/// writes it (Go's compress/gzip; the two deflaters differ by a few bytes either way).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    // Writing into memory cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

/// The file's parts: each `write_files` entry by its path, and the rest (`cloud-config`),
/// largest first.
fn parts(yaml: &str) -> Vec<(String, usize)> {
    let mut parts: Vec<(String, usize)> = vec![("cloud-config".into(), 0)];
    let mut current = 0;
    for line in yaml.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("  - path: ") {
            parts.push((path.trim().to_string(), 0));
            current = parts.len() - 1;
        } else if !line.starts_with(' ') && !line.trim().is_empty() {
            current = 0;
        }
        parts[current].1 += line.len();
    }
    parts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    parts
}

/// 16384 as `16,384`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
