//! The vendor guide's requirements, each a coded diagnostic: Nomad client minimums and
//! maximums, the services machine's sizing by daily active users, the recommended number of
//! Nomad clients, and exposure of administrative ports.

mod aws;
mod exposure;
mod operations;
mod sizing;
mod tls;

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Condition, EndpointRef, GitHub, Rule, Site, Stdlib};

/// Checks the site against the stdlib's requirements and what AWS accepts; reports, never
/// changes the site. Returns the site's network as `network` plans it, which the checks read
/// (its flows, its rules per group) and the rest of the pipeline uses.
pub fn check_site(
    site: &Site,
    lib: &Stdlib,
    world: &crate::world::World,
    diags: &mut Diagnostics,
) -> crate::network::Network {
    let row = lib.sizing_row(site.daily_active_users);
    let net = crate::network::plan(site, lib);
    let flows = &net.flows.applied;
    sizing::check_nomad(site, lib, diags);
    if let Some(row) = row {
        sizing::check_services(site, lib, row, diags);
    }
    check_fleet_counts(site, lib, diags);
    exposure::check_exposure(site, lib, flows, diags);
    aws::check_aws_limits(site, lib, &net, diags);
    check_private_subnet(site, diags);
    check_unused_actors(site, lib, flows, diags);
    check_required_actors(site, lib, diags);
    check_external_hosts(site, diags);
    check_nomad_servers(site, lib, diags);
    check_nomad_join_port(site, lib, flows, diags);
    check_outputs_reachable(lib, flows, diags);
    operations::check_disposable(site, diags);
    operations::check_public_address_is_fixed(site, lib, diags);
    operations::check_state_bucket(site, diags);
    operations::check_proxy_reachable(site, flows, diags);
    operations::check_subnet_capacity(site, lib, diags);
    tls::check_tls(site, world, diags);
    net
}

/// Nomad clients join their servers on the servers' RPC port (the port of `nomad_servers`);
/// some rule must open it from every fleet, or no client ever joins.
fn check_nomad_join_port(site: &Site, lib: &Stdlib, flows: &[Rule], diags: &mut Diagnostics) {
    let Some(def) = lib.nomad_servers() else {
        return;
    };
    let (to, port, span) = match site.external_nomad_servers(lib) {
        Some(ext) => (EndpointRef::External(def.name.clone()), ext.port, ext.span),
        None => (EndpointRef::Services, def.default_port, def.span),
    };
    for f in &site.fleets {
        let opened = flows.iter().any(|r| {
            r.to == to
                && (r.from == EndpointRef::AllFleets
                    || r.from == EndpointRef::Fleet(f.name.clone()))
                && matches!(
                    r.protocol,
                    crate::ast::Protocol::Tcp | crate::ast::Protocol::All
                )
                && r.ports.is_none_or(|(a, b)| a <= port && port <= b)
        });
        if !opened {
            diags.push(
                Diagnostic::new(
                    Code::E0420,
                    span,
                    format!(
                        "Nomad clients of fleet `{}` join their servers on port {port}, which no rule opens",
                        f.name
                    ),
                )
                .label("the Nomad servers' RPC port")
                .with(f.span, "this fleet's clients would never join")
                .help(format!(
                    "open it: `allow tcp {port} from nomad to {} \"Nomad RPC\"`",
                    if site.is_external(&def.name) { def.name.as_str() } else { "services" }
                )),
            );
        }
    }
}

/// Actors the stdlib says the site must bind (users, admins; GitHub Enterprise's addresses).
/// Without an `actors` block at all, E0208 has said so already.
fn check_required_actors(site: &Site, lib: &Stdlib, diags: &mut Diagnostics) {
    let Some(span) = site.actors_span else {
        return;
    };
    for def in lib.actors.values() {
        let bound = site
            .actors
            .get(&def.name)
            .is_some_and(|a| a.bound_at.is_some());
        if bound || !site.holds(&def.required) {
            continue;
        }
        let (code, message) = if def.required == Condition::GithubEnterprise {
            (
                Code::E0409,
                "the GitHub Enterprise addresses are not bound".to_string(),
            )
        } else {
            (Code::E0410, format!("actor `{}` is not bound", def.name))
        };
        diags.push(
            Diagnostic::new(code, span, message)
                .label(format!("no `{}` here", def.name))
                .help(format!(
                    "add `{} = [10.0.0.0/8]` with the addresses of: {}",
                    def.name, def.description
                )),
        );
    }
}

/// An externalized service needs the addresses of its servers.
fn check_external_hosts(site: &Site, diags: &mut Diagnostics) {
    for e in site.externals.values().filter(|e| e.hosts.is_empty()) {
        diags.push(
            Diagnostic::new(
                Code::E0412,
                e.span,
                format!("external `{}` lists no hosts", e.name),
            )
            .label("`hosts` is empty")
            .help("list the servers' addresses: `hosts = [10.0.5.10, 10.0.5.11]`"),
        );
    }
}

/// Nomad clients join each external Nomad server by its address; a range names no server.
fn check_nomad_servers(site: &Site, lib: &Stdlib, diags: &mut Diagnostics) {
    let Some(ext) = site.external_nomad_servers(lib) else {
        return;
    };
    let ranges: Vec<String> = ext
        .hosts
        .iter()
        .filter(|h| h.prefix_len() < 32)
        .map(|h| format!("`{h}`"))
        .collect();
    if !ranges.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::E0418,
                ext.span,
                format!(
                    "Nomad clients cannot join a range of addresses: {}",
                    ranges.join(", ")
                ),
            )
            .label("the external Nomad servers")
            .help(
                "list each Nomad server's own address: `hosts = [10.0.6.10, 10.0.6.11, 10.0.6.12]`",
            ),
        );
    }
}

/// Every address `terraform output` prints must be open to the actor it is printed for.
fn check_outputs_reachable(lib: &Stdlib, flows: &[Rule], diags: &mut Diagnostics) {
    for o in &lib.outputs {
        let opened = flows.iter().any(|r| {
            r.to == EndpointRef::Services
                && r.from == EndpointRef::Actor(o.reached_by.clone())
                && matches!(
                    r.protocol,
                    crate::ast::Protocol::Tcp | crate::ast::Protocol::All
                )
                && r.ports.is_none_or(|(a, b)| a <= o.port && o.port <= b)
        });
        if !opened {
            diags.push(
                Diagnostic::new(
                    Code::W0419,
                    o.span,
                    format!(
                        "output `{}` points at port {} of the services box, which no rule opens to `{}`",
                        o.name, o.port, o.reached_by
                    ),
                )
                .label("printed after apply, but unreachable for the people it is for")
                .help(format!(
                    "open it: `allow tcp {} from {} to services \"...\"`, or change the output",
                    o.port, o.reached_by
                )),
            );
        }
    }
}

/// An actor the site binds that no rule mentions is likely a typo in a rule or a leftover.
fn check_unused_actors(site: &Site, lib: &Stdlib, flows: &[Rule], diags: &mut Diagnostics) {
    // A line that did not parse may be the rule that uses an actor, or a binding read wrongly
    // (`brücke` read as `br`): "unused" is said only of a site that parsed whole.
    if diags
        .iter()
        .any(|d| d.is_error() && d.code.stage() == crate::codes::Stage::Parse)
    {
        return;
    }
    for (name, a) in &site.actors {
        let Some(span) = a.bound_at else { continue };
        let used = flows.iter().any(|r| {
            [&r.from, &r.to]
                .iter()
                .any(|e| matches!(e, EndpointRef::Actor(n) if n == name))
        });
        if !used {
            let hint = if lib.actors.contains_key(name) {
                "the stdlib has no flow for it in this site; remove the binding".to_string()
            } else {
                format!(
                    "use it in a rule: `allow tcp 9100 from {name} to nomad \"...\"`, or remove it"
                )
            };
            diags.push(
                Diagnostic::new(
                    Code::W0421,
                    span,
                    format!("actor `{name}` is bound but no rule uses it"),
                )
                .label("unused")
                .help(hint),
            );
        }
    }
}

/// The guide's private-subnet requirements (ch. 2): outbound through NAT, the S3 endpoint,
/// and a public path in for github.com's webhooks.
fn check_private_subnet(site: &Site, diags: &mut Diagnostics) {
    if site.public_ip {
        return;
    }
    if site.nat.is_none() {
        diags.push(
            Diagnostic::new(Code::E0413, site.aws_span, "a private subnet needs a NAT gateway for outbound traffic")
                .label("`public_ip = false` without `nat`")
                .help("name the NAT gateway the subnet routes through: `nat = nat-0a1b2c3d4e5f67890` (Terraform checks it exists)"),
        );
    }
    if site.s3_endpoint.is_none() {
        diags.push(
            Diagnostic::new(Code::W0414, site.aws_span, "a private subnet without the S3 VPC endpoint")
                .label("no `s3_endpoint`")
                .help("the guide recommends the S3 gateway endpoint: add `s3_endpoint = vpce-...` once it exists"),
        );
    }
    if site.github == GitHub::Com {
        diags.push(
            Diagnostic::new(Code::W0415, site.github_span, "github.com cannot reach a services box in a private subnet")
                .label("webhooks come from github.com")
                .with(site.aws_span, "no public address")
                .help("put a public load balancer in front of the services box for ports 80 and 443 (guide ch. 2), or use GitHub Enterprise inside the network"),
        );
    }
}

fn check_fleet_counts(site: &Site, lib: &Stdlib, diags: &mut Diagnostics) {
    let Some(row) = lib.count_row(site.daily_active_users) else {
        return;
    };
    let total_max = site
        .fleets
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.max));
    if total_max < row.clients_min {
        if let Some(f) = site.fleets.first() {
            diags.push(
                Diagnostic::new(Code::W0407, f.count_span, format!("at most {total_max} Nomad clients for {} daily active users; the guide recommends at least {}", site.daily_active_users, row.clients_min))
                    .label("the fleet's maximum")
                    .with(site.dau_span, "the site's daily active users")
                    .help(format!("raise the maximum: `count = {}..{}`", f.min.max(1), row.clients_max.unwrap_or(row.clients_min).max(row.clients_min))),
            );
        }
    }
    // Far beyond the table: ten times its largest recommendation is surely a slip of the keys.
    let recommended = row.clients_max.unwrap_or(row.clients_min).max(1);
    if total_max > recommended.saturating_mul(10) {
        if let Some(f) = site.fleets.iter().max_by_key(|f| f.max) {
            diags.push(
                Diagnostic::new(Code::W0426, f.count_span, format!("up to {total_max} Nomad clients for {} daily active users; the guide's table recommends {}", site.daily_active_users, row.label))
                    .label("the largest fleet's maximum")
                    .with(site.dau_span, "the site's daily active users")
                    .help(format!("check the count; the guide's row gives {}..{} clients", row.clients_min, recommended)),
            );
        }
    }
}
