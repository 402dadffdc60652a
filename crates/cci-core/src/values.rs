//! Small facts about values the model holds, shared by every stage: which address ranges are
//! private, how ports and sizes read to people.

use crate::ast::Protocol;
use ipnet::{IpNet, Ipv4Net};

/// Whether a range lies inside the private address space (RFC 1918, RFC 6598; for IPv6 the
/// unique local addresses fc00::/7, RFC 4193).
pub fn is_private_range(net: &IpNet) -> bool {
    const PRIVATE: [(u8, u8, u8, u8, u8); 4] = [
        (10, 0, 0, 0, 8),
        (172, 16, 0, 0, 12),
        (192, 168, 0, 0, 16),
        (100, 64, 0, 0, 10),
    ];
    match net {
        IpNet::V4(net) => PRIVATE.iter().any(|&(a, b, c, d, len)| {
            Ipv4Net::new(std::net::Ipv4Addr::new(a, b, c, d), len).is_ok_and(|p| p.contains(net))
        }),
        IpNet::V6(net) => net.prefix_len() >= 7 && (net.addr().segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// A flow's ports as people write them: `443/tcp`, `64535-65535/tcp`, `all`.
pub fn ports_text(p: Protocol, ports: Option<(u16, u16)>) -> String {
    match ports {
        None => p.as_str().to_string(),
        Some((a, b)) if a == b => format!("{a}/{p}"),
        Some((a, b)) => format!("{a}-{b}/{p}"),
    }
}

pub const GIB: u64 = 1 << 30;

/// Renders a byte count in the unit a reader expects ("32 GiB", "100 GB" stays exact).
pub fn human_bytes(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 40) && bytes > 0 {
        format!("{} TiB", bytes >> 40)
    } else if bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes.is_multiple_of(1_000_000_000) {
        format!("{} GB", bytes / 1_000_000_000)
    } else {
        format!("{:.1} GiB", bytes as f64 / GIB as f64)
    }
}
