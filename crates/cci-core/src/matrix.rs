//! The port matrix, computed once from the flows that apply: one row per (from, to, ports),
//! the guide's rows that say the same flow in two chapters joined, with every purpose; each
//! endpoint with its kind, the ranges it stands for and how exposed it is. `plan`, `ports.md`,
//! the network view of `graph` and `diff` read it.

use crate::ast::Protocol;
use crate::model::{is_private_range, ports_text, EndpointRef, Site};
use crate::network::Network;
use ipnet::IpNet;
use std::collections::HashMap;

/// What an endpoint is, for grouping and drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EndpointKind {
    Services,
    Fleets,
    Datastores,
    Actors,
}

/// Who can reach through a flow from this endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exposure {
    /// The site's own machines, or its externalized datastores.
    Site,
    /// Private ranges only (RFC 1918, RFC 6598, IPv6 unique-local).
    Private,
    /// Some public range, but not all of it.
    Public,
    /// `0.0.0.0/0` or `::/0`: anyone.
    Internet,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Site => "site",
            Exposure::Private => "private",
            Exposure::Public => "public",
            Exposure::Internet => "anywhere",
        }
    }
}

/// One side of the site's flows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// As every output names it: `services`, `nomad (all fleets)`, `fleet big`, `users`,
    /// `postgres (10.0.5.10/32)`.
    pub name: String,
    pub kind: EndpointKind,
    /// The ranges an actor or a range stands for (empty for the site's machines).
    pub ranges: Vec<IpNet>,
    pub exposure: Exposure,
}

/// One flow: from, to (indices into [`Matrix::endpoints`]), a protocol and its ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub from: usize,
    pub to: usize,
    pub protocol: Protocol,
    pub ports: Option<(u16, u16)>,
    /// Each purpose the guide and the site give it, once (compared without case).
    pub purposes: Vec<String>,
}

impl Row {
    /// `443/tcp`, `4646-4648/tcp`, `all`.
    pub fn ports_text(&self) -> String {
        ports_text(self.protocol, self.ports)
    }
}

/// The port matrix: endpoints and rows in the order the flows first name them (the stdlib's
/// rules, then the site's own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matrix {
    pub endpoints: Vec<Endpoint>,
    pub rows: Vec<Row>,
}

impl Matrix {
    pub fn new(net: &Network, site: &Site) -> Self {
        let mut m = Matrix::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        // A row's index by (from, to, protocol, ports).
        type Key = (usize, usize, Protocol, Option<(u16, u16)>);
        let mut rows: HashMap<Key, usize> = HashMap::new();
        for rule in &net.flows.applied {
            let mut endpoint = |e: &EndpointRef| {
                let name = endpoint_text(e, site);
                if let Some(&i) = index.get(&name) {
                    return i;
                }
                index.insert(name.clone(), m.endpoints.len());
                m.endpoints.push(endpoint(e, name, site));
                m.endpoints.len() - 1
            };
            let (from, to) = (endpoint(&rule.from), endpoint(&rule.to));
            let key = (from, to, rule.protocol, rule.ports);
            let at = *rows.entry(key).or_insert_with(|| {
                m.rows.push(Row {
                    from,
                    to,
                    protocol: rule.protocol,
                    ports: rule.ports,
                    purposes: Vec::new(),
                });
                m.rows.len() - 1
            });
            let purposes = &mut m.rows[at].purposes;
            if !purposes
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&rule.purpose))
            {
                purposes.push(rule.purpose.clone());
            }
        }
        m
    }

    pub fn from(&self, r: &Row) -> &Endpoint {
        &self.endpoints[r.from]
    }

    pub fn to(&self, r: &Row) -> &Endpoint {
        &self.endpoints[r.to]
    }
}

fn endpoint(e: &EndpointRef, name: String, site: &Site) -> Endpoint {
    let kind = match e {
        EndpointRef::Services => EndpointKind::Services,
        EndpointRef::AllFleets | EndpointRef::Fleet(_) | EndpointRef::Vms => EndpointKind::Fleets,
        EndpointRef::External(_) => EndpointKind::Datastores,
        EndpointRef::Actor(_) | EndpointRef::Cidr(_) => EndpointKind::Actors,
    };
    let ranges: Vec<IpNet> = match e {
        EndpointRef::Actor(a) => site
            .actors
            .get(a)
            .map(|b| b.sources.clone())
            .unwrap_or_default(),
        EndpointRef::Cidr(c) => vec![*c],
        _ => Vec::new(),
    };
    let exposure = if kind != EndpointKind::Actors {
        Exposure::Site
    } else if ranges.iter().any(|r| r.prefix_len() == 0) {
        Exposure::Internet
    } else if ranges.iter().all(is_private_range) {
        Exposure::Private
    } else {
        Exposure::Public
    };
    Endpoint {
        name,
        kind,
        ranges,
        exposure,
    }
}

/// An endpoint as the outputs name it.
pub fn endpoint_text(e: &EndpointRef, site: &Site) -> String {
    match e {
        EndpointRef::Services => "services".into(),
        EndpointRef::AllFleets => "nomad (all fleets)".into(),
        EndpointRef::Fleet(f) => format!("fleet {f}"),
        EndpointRef::External(x) => {
            let hosts = site.externals.get(x).map(|e| {
                e.hosts
                    .iter()
                    .map(|h| h.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            match hosts {
                Some(h) => format!("{x} ({h})"),
                None => x.clone(),
            }
        }
        EndpointRef::Vms => "vms (vm-service)".into(),
        EndpointRef::Actor(a) => a.clone(),
        EndpointRef::Cidr(c) => c.to_string(),
    }
}
