//! How the site is run and torn down, beyond its first apply: a disposable site (guide ch. 3,
//! "Why doesn't terraform destroy every resource?"), DNS, backups, proxies, subnets.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{EndpointRef, Rule, Site, Stdlib};

/// `disposable = true` gives up what keeps the site's data through `terraform destroy`; a
/// reviewer should see that every time.
pub(super) fn check_disposable(site: &Site, diags: &mut Diagnostics) {
    let Some(span) = site.disposable else {
        return;
    };
    diags.push(
        Diagnostic::new(Code::W0429, span, "this site is disposable: `terraform destroy` deletes its data")
            .label("no termination protection; the services volume and the bucket go with the site")
            .help("right for a trial or test site; for a site people use, remove `disposable = true` (the `teardown` output says what destroy then leaves)"),
    );
}

/// The URLs `terraform output` prints and the DNS record hold the box's public address where
/// their people reach it; without an Elastic IP that address changes on each stop and start.
pub(super) fn check_public_address_is_fixed(
    site: &Site,
    lib: &crate::model::Stdlib,
    diags: &mut Diagnostics,
) {
    if site.services.elastic_ip {
        return;
    }
    let mut who: Vec<&str> = lib.outputs.iter().map(|o| o.reached_by.as_str()).collect();
    who.extend(lib.services_machine.named_for.as_deref());
    who.retain(|a| site.reaches_public_address(a));
    who.sort_unstable();
    who.dedup();
    if who.is_empty() {
        return;
    }
    let what = if site.dns.is_some() {
        "the DNS record and the printed URLs"
    } else {
        "the printed URLs"
    };
    diags.push(
        Diagnostic::new(Code::W0440, site.services.span, "the services box's public address changes when it is stopped and started")
            .label(format!("{what} hold its public address, for {}", who.join(" and ")))
            .help("add `elastic_ip = true` to `services`: a fixed address that the URLs and the record keep"),
    );
}

/// The state must not live in the bucket the site creates for CircleCI (E0441): the bucket
/// the site names, or `circleci-<site>-<account>` (any account when the site names none).
pub(super) fn check_state_bucket(site: &Site, diags: &mut Diagnostics) {
    let Some(state) = &site.state else {
        return;
    };
    let derived = format!("circleci-{}-", site.name);
    let same = match (&site.bucket, &site.account) {
        (Some(own), _) => *own == state.bucket,
        (None, Some(account)) => state.bucket == format!("{derived}{account}"),
        (None, None) => state
            .bucket
            .strip_prefix(&derived)
            .is_some_and(|rest| rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_digit())),
    };
    if same {
        diags.push(
            Diagnostic::new(Code::E0441, state.bucket_span, "the state would be kept in the site's own CircleCI bucket")
                .label("the bucket this site creates for artifacts")
                .help("keep the state in a bucket of its own, made once per account, e.g. `acme-terraform-state`"),
        );
    }
}

/// Every machine goes out through the proxy: some rule must open its port from the services
/// box and from every fleet, or the boot stops at the first download.
pub(super) fn check_proxy_reachable(site: &Site, flows: &[Rule], diags: &mut Diagnostics) {
    let Some(proxy) = &site.proxy else {
        return;
    };
    let addresses: std::collections::BTreeSet<(String, u16)> = [&proxy.http, &proxy.https]
        .into_iter()
        .flatten()
        .filter_map(|u| crate::shapes::url_host_port(u))
        .collect();
    for (host, port) in addresses {
        let ip: Option<std::net::IpAddr> = host.trim_matches(['[', ']']).parse().ok();
        let opens = |from: &dyn Fn(&EndpointRef) -> bool| {
            flows.iter().any(|r| {
                from(&r.from)
                    && matches!(
                        r.protocol,
                        crate::ast::Protocol::Tcp | crate::ast::Protocol::All
                    )
                    && r.ports.is_none_or(|(a, b)| a <= port && port <= b)
                    && ip.is_none_or(|ip| reaches(site, &r.to, ip))
            })
        };
        let mut blocked = Vec::new();
        if !opens(&|f| *f == EndpointRef::Services) {
            blocked.push("the services box".to_string());
        }
        for f in &site.fleets {
            if !opens(&|e| *e == EndpointRef::AllFleets || *e == EndpointRef::Fleet(f.name.clone()))
            {
                blocked.push(format!("fleet `{}`", f.name));
            }
        }
        if blocked.is_empty() {
            continue;
        }
        let to = ip.map_or_else(|| "10.0.0.10".to_string(), |ip| ip.to_string());
        let message = match ip {
            Some(ip) => format!(
                "{} cannot reach the proxy at {ip} port {port}",
                blocked.join(" and ")
            ),
            None => format!(
                "{} cannot reach the proxy's port {port}",
                blocked.join(" and ")
            ),
        };
        diags.push(
            Diagnostic::new(Code::E0430, proxy.url_span, message)
                .label("every download of the boot goes through this proxy")
                .help(format!("open it to the proxy's address: `allow tcp {port} from services to {to} \"HTTP proxy\"` (and `from nomad` if a fleet is named above)")),
        );
    }
}

/// Whether a rule's destination covers `ip`: a CIDR holding it, or an actor bound to one
/// (components and externals are the site's own machines, not a proxy). A proxy named by a DNS
/// name has no address the compiler knows; the port alone is checked then.
fn reaches(site: &Site, to: &EndpointRef, ip: std::net::IpAddr) -> bool {
    match to {
        EndpointRef::Cidr(net) => net.contains(&ip),
        EndpointRef::Actor(name) => site.actors.get(name).is_some_and(|a| {
            a.destinations
                .iter()
                .chain(&a.sources)
                .any(|n| n.contains(&ip))
        }),
        _ => false,
    }
}

/// The guide (ch. 2, Private Subnet Requirements): "The subnet should be large enough to
/// *never* exhaust the addresses." With the site's subnet ranges, their usable addresses must
/// hold the services box and every fleet at its maximum.
pub(super) fn check_subnet_capacity(site: &Site, lib: &Stdlib, diags: &mut Diagnostics) {
    let Some(ranges) = &site.subnet_ranges else {
        return;
    };
    let reserved = lib.aws_limits.reserved_addresses_per_subnet;
    let usable: u64 = ranges
        .node
        .iter()
        .map(|r| (1u64 << (32 - u32::from(r.prefix_len()))).saturating_sub(reserved))
        .fold(0, u64::saturating_add);
    let clients = site
        .fleets
        .iter()
        .map(|f| f.max)
        .fold(0, u64::saturating_add);
    let needed = clients.saturating_add(1);
    if usable >= needed {
        return;
    }
    diags.push(
        Diagnostic::new(Code::E0439, ranges.span, format!("the subnets hold {usable} instances; the site may run {needed} (the services box and {clients} Nomad clients)"))
            .label(format!("{reserved} addresses of each subnet are AWS's"))
            .help("the guide: the subnet should be large enough to never exhaust the addresses; add a subnet, use larger ones, or lower the fleets' maximum `count`"),
    );
}

#[cfg(test)]
mod tests {
    /// The port a proxy URL names, or its scheme's.
    fn proxy_port(url: &str) -> Option<u16> {
        crate::shapes::url_host_port(url).map(|(_, port)| port)
    }

    #[test]
    fn a_proxy_port_is_the_urls_or_its_schemes() {
        assert_eq!(proxy_port("http://proxy:3128"), Some(3128));
        assert_eq!(proxy_port("http://proxy.internal"), Some(80));
        assert_eq!(proxy_port("https://proxy/"), Some(443));
        assert_eq!(proxy_port("http://[fd00::1]:8080"), Some(8080));
    }
}
