//! What the stdlib says about the machines' boot that no other block holds: the build
//! isolation on the Nomad clients (`build_isolation`, release.cci) and EC2's user-data limit
//! (`user_data`, aws.cci).

use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

/// The filter that keeps build containers from the Nomad agents and the metadata service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildIsolation {
    /// Interfaces containers sit behind, in iptables' `-i` syntax (`br-+`).
    pub bridges: Vec<String>,
    /// Nomad's ports, first to last, on the host and on the servers.
    pub nomad_ports: (u16, u16),
    /// Ranges containers may not open connections to.
    pub blocked: Vec<Ipv4Net>,
    /// The DNS resolver inside `blocked` that containers may still ask.
    pub resolver: Option<Ipv4Addr>,
    /// Docker's chains the filter is jumped to from, the first that exists.
    pub docker_chains: Vec<String>,
}

/// EC2's limit on user-data and the longest values Terraform fills into it at apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserDataLimits {
    /// Bytes EC2 accepts (after base64 decoding: what the instance receives).
    pub limit: u64,
    /// Above this many bytes a site is warned.
    pub warn_above: u64,
    pub longest_ipv4: String,
    pub longest_security_group_id: String,
    pub longest_account_id: String,
    /// An SQS queue URL at its longest, with `{region}`, `{account}` and `{queue}`.
    pub queue_url: String,
}
