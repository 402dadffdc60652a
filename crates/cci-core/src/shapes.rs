//! What the language takes as a DNS name, an AWS id, a proxy URL or a `no_proxy` entry:
//! plain predicates, shared by the resolver (which reports), the checks and `import` (which
//! carries a tfvars value over only when the site would take it).

/// Lower-case labels of letters, digits and `-` (1 to 63 characters, no `-` at either end),
/// separated by dots; 253 characters at most (RFC 1035, as Route53 takes them).
pub fn valid_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `vpc-0a1b2c3d`: the prefix, `-`, then 8 or 17 lower-case hex digits.
pub fn valid_aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|h| {
            matches!(h.len(), 8 | 17)
                && h.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, 'a'..='f'))
        })
}

/// A host name, domain, address or range for `no_proxy`: the characters written into
/// environment files and units on every machine.
pub fn no_proxy_entry(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:/*".contains(c))
}

/// Why a proxy URL is not one the site takes.
#[derive(Debug, PartialEq, Eq)]
pub enum ProxyUrlProblem {
    /// `http://user:password@host`: it would be written into user-data.
    Credentials,
    /// Not `http://host:port` or `https://host:port` with a URL's characters.
    NotAUrl,
}

/// `http://host:port` or `https://host:port`, with characters that are safe in an
/// environment file, a systemd unit and a shell word, and no credentials: read by the WHATWG
/// URL parser, so a port out of range, an empty host or anything after the port is refused.
pub fn proxy_url_problem(url: &str) -> Option<ProxyUrlProblem> {
    let authority = url.split_once("://").map_or(url, |(_, r)| r);
    if authority.split('/').next().unwrap_or("").contains('@') {
        return Some(ProxyUrlProblem::Credentials);
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || ".-_:/[]".contains(c);
    match web_url(url) {
        Some(u) if url.chars().all(safe) && u.path() == "/" => None,
        _ => Some(ProxyUrlProblem::NotAUrl),
    }
}

/// An `http://` or `https://` URL with a host, no user or password, a port from 1 to 65535
/// when one is written, and no query or fragment.
pub fn web_url(text: &str) -> Option<url::Url> {
    let u = url::Url::parse(text).ok()?;
    let ok = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some_and(|h| !h.is_empty())
        && u.username().is_empty()
        && u.password().is_none()
        && u.port() != Some(0)
        && u.query().is_none()
        && u.fragment().is_none()
        // What the parser read is what was written (no silently dropped `:` or `/` runs).
        && text.split_once("://").is_some_and(|(_, r)| !r.starts_with('/'));
    ok.then_some(u)
}

/// The host and port of `http://host:port` (the scheme's port when none is written);
/// `[v6:address]:port` keeps its colons inside the brackets.
pub fn url_host_port(url: &str) -> Option<(String, u16)> {
    let (default, rest) = if let Some(r) = url.strip_prefix("http://") {
        (80, r)
    } else {
        (443, url.strip_prefix("https://")?)
    };
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.strip_prefix('[') {
        Some(b) => {
            let (h, p) = b.split_once(']')?;
            (h.to_string(), p.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(
            valid_dns_name("ci.example.com")
                && !valid_dns_name("Example.com.")
                && !valid_dns_name("")
        );
        assert!(valid_aws_id("vpc-0a1b2c3d", "vpc") && !valid_aws_id("vpc-0A1B2C3D", "vpc"));
        assert!(no_proxy_entry(".internal") && !no_proxy_entry("a b"));
        assert_eq!(proxy_url_problem("http://proxy:3128"), None);
        assert_eq!(
            proxy_url_problem("http://u:p@proxy:3128"),
            Some(ProxyUrlProblem::Credentials)
        );
        for bad in [
            "proxy:3128",
            "http://proxy:99999",
            "http://:3128",
            "http://proxy:31x8",
            "http://proxy:3128/path",
            "http://proxy:0",
            "http://[::1:3128",
            "ftp://proxy:21",
        ] {
            assert_eq!(
                proxy_url_problem(bad),
                Some(ProxyUrlProblem::NotAUrl),
                "{bad}"
            );
        }
        assert_eq!(proxy_url_problem("http://[fd00::1]:3128"), None);
        assert!(web_url("https://ghe.acme.internal/").is_some());
        assert!(web_url("https://u:p@ghe.acme.internal").is_none());
        assert!(web_url("https://ghe.acme.internal/?q").is_none());
        assert_eq!(
            url_host_port("http://[fd00::1]:8080"),
            Some(("fd00::1".into(), 8080))
        );
        assert_eq!(url_host_port("https://proxy/"), Some(("proxy".into(), 443)));
    }
}
