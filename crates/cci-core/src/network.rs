//! Flows to security groups: every applicable rule of the site becomes ingress rules on the
//! groups it reaches and egress rules on the groups it leaves, each traceable to its rule.
//! Identical permissions from several rules are merged into one (AWS rejects duplicates),
//! carrying every purpose.

use crate::ast::Protocol;
use crate::model::{Condition, EndpointRef, Rule, Site, Stdlib};
use crate::names::{
    external_group, fleet_qualified_id as fleet_group, Names, NOMAD_GROUP, SERVICES_GROUP,
    VMS_GROUP,
};
use ipnet::IpNet;
use std::collections::BTreeMap;

/// A security group the site manages.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Terraform name: `services`, `nomad`, `nomad_<fleet>`, `ext_<service>`, `vms`.
    pub id: String,
    /// AWS name: `<site>-services`, ...
    pub name: String,
    pub description: String,
    pub role: GroupRole,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupRole {
    Services,
    /// Every Nomad client, whatever its fleet: the guide's rules are the same for all.
    Nomad,
    /// One fleet's clients, for the rules of the site that name that fleet.
    Fleet(String),
    External(String),
    Vms,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

/// The other side of a security-group rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// Another managed group (or the same one), by Terraform id.
    Group(String),
    Cidr(IpNet),
}

/// Why a permission exists: one rule of the stdlib or the site.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    pub purpose: String,
    pub origin: String,
    /// The actor or component on the other side, as the rule names it.
    pub peer_name: String,
}

/// One permission on one group.
#[derive(Clone, Debug, PartialEq)]
pub struct SgRule {
    pub group: String,
    pub direction: Direction,
    pub protocol: Protocol,
    pub ports: Option<(u16, u16)>,
    pub peer: Peer,
    pub reasons: Vec<Reason>,
}

impl SgRule {
    /// The Terraform resource type: one per direction.
    pub fn tf_type(&self) -> &'static str {
        match self.direction {
            Direction::Ingress => "aws_vpc_security_group_ingress_rule",
            Direction::Egress => "aws_vpc_security_group_egress_rule",
        }
    }

    /// A Terraform name that says what the rule is, unique per permission and made of what
    /// identifies it to AWS (group, direction, protocol, ports, peer): a change of any of
    /// those replaces the rule anyway, and nothing else renames it (not the actors' names, not
    /// which of several actors on one range comes first).
    pub fn tf_name(&self) -> String {
        let peer = match &self.peer {
            Peer::Group(g) if *g == self.group => "self".to_string(),
            Peer::Group(g) => g.clone(),
            Peer::Cidr(c) if c.prefix_len() == 0 && c.addr().is_ipv4() => "any_ipv4".into(),
            Peer::Cidr(c) if c.prefix_len() == 0 => "any_ipv6".into(),
            Peer::Cidr(c) => c.to_string().replace(['.', '/', ':'], "_"),
        };
        format!("{}_{peer}", self.name_stem())
    }

    /// The name cci-dsl before 2026-12 gave the rule: its peer was the first actor's name and
    /// the range. `moved.tf` moves a state that has it.
    pub fn legacy_tf_name(&self) -> String {
        let peer = match &self.peer {
            Peer::Group(g) if *g == self.group => "self".to_string(),
            Peer::Group(g) => g.clone(),
            Peer::Cidr(c) => {
                let name = &self.reasons[0].peer_name;
                let addr = c.to_string().replace(['.', '/', ':'], "_");
                if name.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
                    format!("{name}_{addr}")
                } else {
                    format!("cidr_{addr}")
                }
            }
        };
        format!("{}_{peer}", self.name_stem())
    }

    /// `group_in_tcp_443`: the name before the peer.
    fn name_stem(&self) -> String {
        let dir = match self.direction {
            Direction::Ingress => "in",
            Direction::Egress => "out",
        };
        let ports = match self.ports {
            None => "any".to_string(),
            Some((a, b)) if a == b => a.to_string(),
            Some((a, b)) => format!("{a}_{b}"),
        };
        format!("{}_{dir}_{}_{ports}", self.group, self.protocol)
    }

    /// The description AWS stores with the rule: purposes and origins, in the characters
    /// AWS allows, at most 255 of them.
    pub fn description(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for r in &self.reasons {
            let p = format!("{} ({})", r.purpose, r.origin);
            if !parts.contains(&p) {
                parts.push(p);
            }
        }
        let full = parts.join("; ");
        if aws_description(&full).len() < 255 {
            return aws_description(&full);
        }
        // Too long for AWS: the purposes alone (each once); ports.md keeps every origin.
        let mut purposes: Vec<&str> = Vec::new();
        for r in &self.reasons {
            if !purposes.iter().any(|p| p.eq_ignore_ascii_case(&r.purpose)) {
                purposes.push(&r.purpose);
            }
        }
        aws_description(&format!("{} (origins in ports.md)", purposes.join("; ")))
    }
}

/// Keeps to the characters AWS accepts in security-group descriptions
/// (a-z A-Z 0-9 space . _ - : / ( ) # , @ [ ] + = & ; { } ! $ *) and to 255 of them.
pub fn aws_description(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c) {
                c
            } else {
                match c {
                    '"' | '\'' | '`' => ' ',
                    _ => '-',
                }
            }
        })
        .collect();
    let mut out = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.len() > 255 {
        out.truncate(252);
        out.push_str("...");
    }
    out
}

/// The flows of one site: the stdlib's rules whose condition holds, then the site's own.
#[derive(Clone, Debug, Default)]
pub struct Flows {
    pub applied: Vec<Rule>,
    /// The stdlib's rules that do not apply here, with why (for the port matrix).
    pub skipped: Vec<(Rule, String)>,
}

/// Chooses the flows of a site from the stdlib's rules and its own.
pub fn flows(site: &Site, lib: &Stdlib) -> Flows {
    let mut f = Flows::default();
    for rule in &lib.rules {
        if site.holds(&rule.when) {
            f.applied.push(with_site_port(rule, lib, site));
        } else {
            f.skipped.push((rule.clone(), why_not(&rule.when, rule)));
        }
    }
    f.applied.extend(site.own_rules.iter().cloned());
    f
}

/// Why a stdlib rule does not apply to a site, for the port matrix.
fn why_not(when: &Condition, rule: &Rule) -> String {
    match when {
        Condition::Never => rule
            .decision
            .clone()
            .unwrap_or_else(|| "not opened (decision in the stdlib)".into()),
        Condition::External(names) => format!("only when {} is externalized", names.join(" or ")),
        Condition::Embedded(names) => format!(
            "only while {} runs on the services box",
            names.join(" and ")
        ),
        Condition::GithubCom => "only with github.com".into(),
        Condition::GithubEnterprise => "only with GitHub Enterprise".into(),
        Condition::VmService => "only with vm-service (`vm_service = true`)".into(),
        Condition::Dns => "only with a DNS record (`dns`)".into(),
        Condition::Backup => "only with snapshots of the services box (`backup`)".into(),
        Condition::Disposable => "only for a disposable site (`disposable = true`)".into(),
        Condition::ElasticIp => "only with an Elastic IP (`elastic_ip = true`)".into(),
        Condition::StateS3 => "only with the state in S3 (`state`)".into(),
        Condition::StateLockTable => "only with a DynamoDB lock table (`lock_table`)".into(),
        Condition::Always => "always applies".into(),
    }
}

/// The guide: a datastore's port "is user-defined, assuming the default port". A rule to an
/// externalized service on its default port follows the port the site gives it.
fn with_site_port(rule: &Rule, lib: &Stdlib, site: &Site) -> Rule {
    let mut r = rule.clone();
    if let EndpointRef::External(x) = &rule.to {
        if let (Some(def), Some(ext)) = (lib.externals.get(x), site.externals.get(x)) {
            if rule.ports == Some((def.default_port, def.default_port))
                && ext.port != def.default_port
            {
                r.ports = Some((ext.port, ext.port));
            }
        }
    }
    r
}

/// The site's flows, security groups and their rules, sorted and merged.
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub flows: Flows,
    pub groups: Vec<Group>,
    pub rules: Vec<SgRule>,
    /// Where each group is in `groups`, by Terraform id.
    position: BTreeMap<String, usize>,
}

impl Network {
    /// A group by its Terraform id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.position.get(id).map(|&i| &self.groups[i])
    }

    /// A group's AWS name; its id if the site has no such group.
    pub fn group_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.group(id).map_or(id, |g| g.name.as_str())
    }

    /// The rules of each group, in the order of `groups` (one pass over the rules).
    pub fn rules_by_group(&self) -> Vec<(&Group, Vec<&SgRule>)> {
        let mut out: Vec<(&Group, Vec<&SgRule>)> =
            self.groups.iter().map(|g| (g, Vec::new())).collect();
        for r in &self.rules {
            if let Some(&i) = self.position.get(r.group.as_str()) {
                out[i].1.push(r);
            }
        }
        out
    }

    /// The Terraform ids of the groups a fleet's clients hold: the shared Nomad group, and
    /// the fleet's own when a rule names it.
    pub fn fleet_groups(&self, fleet: &str) -> Vec<String> {
        let own = fleet_group(fleet);
        let mut ids = vec![NOMAD_GROUP.to_string()];
        if self.position.contains_key(&own) {
            ids.push(own);
        }
        ids
    }
}

/// What makes two permissions the same one for AWS: group, direction, protocol, ports, peer.
type PermissionKey = (String, Direction, Protocol, Option<(u16, u16)>, Peer);

/// Derives the groups and permissions from the site's rules.
pub fn plan(site: &Site, lib: &Stdlib) -> Network {
    let flows = flows(site, lib);
    let groups = groups(site, lib, &flows.applied);
    let rules = permissions(site, &flows.applied, &groups);
    let position = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.clone(), i))
        .collect();
    Network {
        flows,
        groups,
        rules,
        position,
    }
}

/// The groups the site manages: the services box, the Nomad clients (all fleets share one
/// group; a fleet has a group of its own only for the rules that name it, so a fleet adds no
/// rules), the VMs, each externalized service.
fn groups(site: &Site, lib: &Stdlib, flows: &[Rule]) -> Vec<Group> {
    let names = Names::new(site);
    let mut groups = vec![Group {
        id: SERVICES_GROUP.into(),
        name: names.services_group(),
        description: "CircleCI services box".into(),
        role: GroupRole::Services,
    }];
    if !site.fleets.is_empty() {
        groups.push(Group {
            id: NOMAD_GROUP.into(),
            name: names.nomad_group(),
            description: "CircleCI Nomad clients, every fleet".into(),
            role: GroupRole::Nomad,
        });
    }
    let named: std::collections::BTreeSet<&str> = flows
        .iter()
        .flat_map(|r| [&r.from, &r.to])
        .filter_map(|e| match e {
            EndpointRef::Fleet(f) => Some(f.as_str()),
            _ => None,
        })
        .collect();
    for f in site
        .fleets
        .iter()
        .filter(|f| named.contains(f.name.as_str()))
    {
        groups.push(Group {
            id: fleet_group(&f.name),
            name: names.fleet(&f.name),
            description: format!("CircleCI Nomad clients, fleet {} (rules naming it)", f.name),
            role: GroupRole::Fleet(f.name.clone()),
        });
    }
    if site.vm_service {
        groups.push(Group {
            id: VMS_GROUP.into(),
            name: names.vms_group(),
            description: "VMs vm-service starts for machine and remote Docker jobs".into(),
            role: GroupRole::Vms,
        });
    }
    for e in site.externals.values() {
        let what = lib
            .externals
            .get(&e.name)
            .map_or(e.name.as_str(), |d| d.description.as_str());
        groups.push(Group {
            id: external_group(&e.name),
            name: names.external_group(&e.name),
            description: aws_description(&format!(
                "{what} of CircleCI (attach to the externalized servers)"
            )),
            role: GroupRole::External(e.name.clone()),
        });
    }
    groups
}

/// Every flow as ingress on the groups it reaches and egress on the groups it leaves; the
/// same permission from several flows is one, carrying every reason.
fn permissions(site: &Site, flows: &[Rule], groups: &[Group]) -> Vec<SgRule> {
    let mut merged: BTreeMap<PermissionKey, SgRule> = BTreeMap::new();
    let mut add = |group: String, direction, rule: &Rule, peer: Peer, peer_name: String| {
        let key = (
            group.clone(),
            direction,
            rule.protocol,
            rule.ports,
            peer.clone(),
        );
        let reason = Reason {
            purpose: rule.purpose.clone(),
            origin: rule.origin.clone(),
            peer_name,
        };
        merged
            .entry(key)
            .or_insert_with(|| SgRule {
                group,
                direction,
                protocol: rule.protocol,
                ports: rule.ports,
                peer,
                reasons: Vec::new(),
            })
            .reasons
            .push(reason);
    };
    for rule in flows {
        for owner in owned_groups(site, &rule.to) {
            for (peer, name) in peers(site, &rule.from, &owner, true) {
                add(owner.clone(), Direction::Ingress, rule, peer, name);
            }
        }
        for owner in owned_groups(site, &rule.from) {
            for (peer, name) in peers(site, &rule.to, &owner, false) {
                add(owner.clone(), Direction::Egress, rule, peer, name);
            }
        }
    }
    let mut rules: Vec<SgRule> = merged.into_values().collect();
    // Group order first (services, fleets, externals), then the merged key order.
    let order: BTreeMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), i))
        .collect();
    rules.sort_by_key(|r| order.get(r.group.as_str()).copied().unwrap_or(usize::MAX));
    rules
}

/// The managed groups an endpoint stands for.
fn owned_groups(site: &Site, e: &EndpointRef) -> Vec<String> {
    match e {
        EndpointRef::Services => vec![SERVICES_GROUP.into()],
        EndpointRef::AllFleets if !site.fleets.is_empty() => vec![NOMAD_GROUP.into()],
        EndpointRef::Fleet(f) => vec![fleet_group(f)],
        EndpointRef::External(x) if site.is_external(x) => vec![external_group(x)],
        EndpointRef::Vms if site.vm_service => vec![VMS_GROUP.into()],
        _ => vec![],
    }
}

/// What an endpoint looks like from a rule on `owner`: a group reference or address ranges.
fn peers(site: &Site, e: &EndpointRef, owner: &str, as_source: bool) -> Vec<(Peer, String)> {
    match e {
        EndpointRef::Services => vec![(Peer::Group(SERVICES_GROUP.into()), "services".into())],
        EndpointRef::AllFleets if site.fleets.is_empty() => vec![],
        EndpointRef::AllFleets => vec![(Peer::Group(NOMAD_GROUP.into()), NOMAD_GROUP.into())],
        EndpointRef::Fleet(f) => vec![(Peer::Group(fleet_group(f)), fleet_group(f))],
        EndpointRef::Vms => vec![(Peer::Group(VMS_GROUP.into()), "vms".into())],
        EndpointRef::External(x) => {
            let g = external_group(x);
            if g == owner {
                // Replication between the service's own servers.
                return vec![(Peer::Group(g), x.clone())];
            }
            // External servers may live outside this VPC: address them by their hosts.
            site.externals
                .get(x)
                .map(|ext| {
                    ext.hosts
                        .iter()
                        .map(|h| (Peer::Cidr(*h), x.clone()))
                        .collect()
                })
                .unwrap_or_default()
        }
        EndpointRef::Actor(a) => site
            .actors
            .get(a)
            .map(|b| {
                let cidrs = if as_source {
                    &b.sources
                } else {
                    &b.destinations
                };
                cidrs.iter().map(|c| (Peer::Cidr(*c), a.clone())).collect()
            })
            .unwrap_or_default(),
        EndpointRef::Cidr(c) => vec![(Peer::Cidr(*c), "cidr".into())],
    }
}
