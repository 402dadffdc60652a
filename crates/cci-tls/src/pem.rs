//! The PEM blocks of a certificate or key file: what each is labelled, whether a legacy header
//! says it is encrypted, and its body decoded (kept in memory that is wiped when dropped).

use zeroize::Zeroizing;

/// One `-----BEGIN label-----` ... `-----END label-----` block.
pub(crate) struct PemBlock {
    /// Printable, for messages (see [`printable_label`]).
    pub(crate) label: String,
    /// A legacy `Proc-Type: 4,ENCRYPTED` header (RFC 1421).
    pub(crate) encrypted_header: bool,
    pub(crate) body: Result<Zeroizing<Vec<u8>>, &'static str>,
}

/// The file's PEM blocks, in order. Text outside blocks is ignored, as OpenSSL does; a block
/// cut short (end of file, or another BEGIN, before its END) is kept, unreadable.
pub(crate) fn pem_blocks(input: &[u8]) -> Vec<PemBlock> {
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

pub(crate) fn looks_like_der(input: &[u8]) -> bool {
    // A DER SEQUENCE (certificate, key, PKCS#12) starts with 0x30.
    input.first() == Some(&0x30)
}
