//! The site, typed and bound: what the operator wrote, with the stdlib's defaults.

use super::{is_private_range, Condition, InstanceType, Rule, Stdlib};
use crate::span::{Span, Spanned};
use ipnet::{IpNet, Ipv4Net};
use std::collections::BTreeMap;

/// Where the repository's code lives.
#[derive(Clone, Debug, PartialEq)]
pub enum GitHub {
    Com,
    Enterprise { url: String },
}

/// The site, typed and bound.
#[derive(Clone, Debug)]
pub struct Site {
    pub name: String,
    pub name_span: Span,
    pub region: String,
    pub partition: String,
    pub account: Option<String>,
    pub vpc: String,
    /// The services box's subnet: the first of `subnets`.
    pub subnet: String,
    /// Every subnet of the site; Nomad fleets spread over all of them.
    pub subnets: Vec<String>,
    /// Their CIDR blocks, in the same order, when the site gives them (the address check).
    pub subnet_ranges: Option<Spanned<Vec<Ipv4Net>>>,
    pub ssh_key: String,
    /// The `ssh_key` value, where a diagnostic about the key pair points.
    pub ssh_key_span: Span,
    /// Instances get public addresses (the guide's default: one public subnet).
    pub public_ip: bool,
    /// The NAT gateway a private subnet routes through (guide ch. 2, Private Subnet Requirements).
    pub nat: Option<String>,
    /// The VPC's S3 gateway endpoint, recommended for private subnets.
    pub s3_endpoint: Option<String>,
    /// The `aws` block, for diagnostics about the network as a whole.
    pub aws_span: Span,
    pub daily_active_users: u64,
    pub dau_span: Span,
    pub github: GitHub,
    pub github_span: Span,
    /// vm-service is on: machine executor and remote Docker VMs get a group of their own.
    pub vm_service: bool,
    /// `disposable = true`: `terraform destroy` removes everything (no termination protection,
    /// the bucket emptied, the services volume deleted). Where it was said, for the warning.
    pub disposable: Option<Span>,
    /// A Route53 record for the services box, and the name the outputs use.
    pub dns: Option<Dns>,
    /// The HTTP(S) proxy every machine goes out through.
    pub proxy: Option<Proxy>,
    /// The certificate and key the operator will upload in the admin console, to be checked.
    pub tls: Option<Tls>,
    /// Where Terraform keeps the site's state (`state { s3 { ... } }`); `None`: local.
    pub state: Option<StateBackend>,
    /// The bucket name the site gives; `None`: one derived from the site and its account.
    pub bucket: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Actor name to (sources, destinations); stdlib defaults overridden by the site's bindings.
    pub actors: BTreeMap<String, BoundActor>,
    /// The site's `actors` block, if it has one.
    pub actors_span: Option<Span>,
    pub services: Services,
    pub fleets: Vec<Fleet>,
    pub externals: BTreeMap<String, External>,
    /// The site's own `allow` rules (the stdlib's are chosen for it in `network`).
    pub own_rules: Vec<Rule>,
}

impl Site {
    /// Whether every range an actor connects from is private (RFC 1918, or the shared
    /// address space of RFC 6598): then it reaches the site's private addresses only.
    pub fn actor_is_private(&self, actor: &str) -> bool {
        self.actors
            .get(actor)
            // The machines' public addresses are IPv4 (AWS assigns them); IPv6 ranges reach
            // them only through the subnet's own IPv6 addresses, which no output prints.
            .is_none_or(|a| {
                a.sources
                    .iter()
                    .filter(|n| matches!(n, IpNet::V4(_)))
                    .all(is_private_range)
            })
    }

    /// Whether an actor reaches instances on their public address: the instances have one and
    /// the site binds the actor to a public range.
    pub fn reaches_public_address(&self, actor: &str) -> bool {
        self.public_ip && !self.actor_is_private(actor)
    }

    pub fn is_external(&self, name: &str) -> bool {
        self.externals.contains_key(name)
    }

    /// The Nomad servers the clients join, when the site runs them outside the services box.
    pub fn external_nomad_servers(&self, lib: &Stdlib) -> Option<&External> {
        self.externals.get(&lib.nomad.servers)
    }

    /// Whether a stdlib condition holds for this site.
    pub fn holds(&self, c: &Condition) -> bool {
        match c {
            Condition::Always => true,
            Condition::Never => false,
            Condition::GithubCom => self.github == GitHub::Com,
            Condition::GithubEnterprise => matches!(self.github, GitHub::Enterprise { .. }),
            Condition::VmService => self.vm_service,
            Condition::Dns => self.dns.is_some(),
            Condition::Backup => self.services.backup.is_some(),
            Condition::Disposable => self.disposable.is_some(),
            Condition::ElasticIp => self.services.elastic_ip,
            Condition::StateS3 => self.state.is_some(),
            Condition::StateLockTable => {
                self.state.as_ref().is_some_and(|s| s.lock_table.is_some())
            }
            Condition::External(names) => names.iter().any(|n| self.is_external(n)),
            Condition::Embedded(names) => names.iter().all(|n| !self.is_external(n)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoundActor {
    pub sources: Vec<IpNet>,
    pub destinations: Vec<IpNet>,
    /// Where the site bound it; `None` for stdlib defaults.
    pub bound_at: Option<Span>,
}

#[derive(Clone, Debug, Default)]
pub struct Services {
    pub instance: InstanceType,
    pub instance_span: Span,
    pub disk_gib: u64,
    pub disk_span: Span,
    pub ami: Option<String>,
    /// A fixed public address (an Elastic IP) instead of the one AWS assigns at each start.
    pub elastic_ip: bool,
    /// Snapshots of the box's volumes by Data Lifecycle Manager.
    pub backup: Option<Backup>,
    pub span: Span,
}

/// `backup { every = 24  at = "03:00"  keep = 14 }`: a snapshot of the services box's volumes
/// every `every` hours from `at` (UTC), the newest `keep` kept (guide ch. 1: the services
/// machine "may be backed up using VM snapshotting").
#[derive(Clone, Debug, PartialEq)]
pub struct Backup {
    pub every_hours: u64,
    pub at: String,
    pub keep: u64,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Fleet {
    pub name: String,
    pub name_span: Span,
    pub instance: InstanceType,
    pub instance_span: Span,
    pub min: u64,
    pub max: u64,
    pub count_span: Span,
    pub disk_gib: u64,
    pub disk_span: Span,
    pub ami: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct External {
    pub name: String,
    pub hosts: Vec<IpNet>,
    pub port: u16,
    pub span: Span,
}

/// `state { s3 { bucket = "..." } }`: a `backend "s3"` block, encrypted, with S3's own locking
/// (and a DynamoDB table too when `lock_table` is given).
#[derive(Clone, Debug, PartialEq)]
pub struct StateBackend {
    pub bucket: String,
    pub bucket_span: Span,
    pub key: String,
    pub region: String,
    pub lock_table: Option<String>,
    pub kms_key: Option<String>,
}

/// `dns { zone = "example.com"  name = "ci" }`: an A record `ci.example.com` for the services box.
#[derive(Clone, Debug, PartialEq)]
pub struct Dns {
    pub zone: String,
    pub name: String,
    /// Look the zone up among private hosted zones; by default, when the record holds a
    /// private address.
    pub private_zone: Option<bool>,
    pub span: Span,
}

impl Dns {
    pub fn fqdn(&self) -> String {
        format!("{}.{}", self.name, self.zone)
    }
}

/// `proxy { http = "..."  https = "..."  no_proxy = [...] }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Proxy {
    pub http: Option<String>,
    pub https: Option<String>,
    /// The site's own exceptions; the ones every site needs are added in `emit`.
    pub no_proxy: Vec<String>,
    pub span: Span,
    /// The proxy's URL (`https`'s, else `http`'s), where a diagnostic about reaching it points.
    pub url_span: Span,
}

/// A file the site names with `file("...")`, relative to the site file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRef {
    pub path: String,
    pub span: Span,
}

/// `tls { certificate = file("...")  key = file("...")  hostname = "..." }`: checked, never
/// emitted (the guide has them uploaded in the admin console).
#[derive(Clone, Debug, PartialEq)]
pub struct Tls {
    pub certificate: FileRef,
    pub key: Option<FileRef>,
    /// The name the certificate must cover; by default the `dns` record's.
    pub hostname: Option<Spanned<String>>,
    pub span: Span,
}
