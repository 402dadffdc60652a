//! The typed model: what `resolve` makes of the stdlib and the site once every name is bound
//! and every value has its type. Later stages (`check`, `graph`, `emit`) read only this.

use crate::ast::Protocol;
use crate::span::Span;
use ipnet::Ipv4Net;
use std::collections::BTreeMap;

/// What the vendor guide knows, read from `stdlib/`.
#[derive(Clone, Debug, Default)]
pub struct Stdlib {
    /// The CircleCI Server release the stdlib describes, e.g. "2.16".
    pub release: String,
    pub versions: BTreeMap<String, String>,
    pub regions: Vec<String>,
    pub instance_types: BTreeMap<String, InstanceType>,
    pub services_sizing: Vec<SizingRow>,
    pub nomad_requirements: NomadRequirements,
    pub nomad_counts: Vec<NomadCountRow>,
    pub actors: BTreeMap<String, ActorDef>,
    pub externals: BTreeMap<String, ExternalDef>,
    pub rules: Vec<Rule>,
    pub policies: Vec<PolicyDef>,
    pub settings: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstanceType {
    pub name: String,
    pub vcpu: u64,
    pub memory_bytes: u64,
    /// AWS's own wording, e.g. "Up to 10 Gigabit".
    pub network: String,
    /// Sustained bandwidth in Mbps the stdlib credits this type with.
    pub network_mbps: u64,
    /// True when the type only bursts to its headline figure.
    pub network_burst: bool,
}

/// One row of the guide's services-machine sizing table.
#[derive(Clone, Debug, PartialEq)]
pub struct SizingRow {
    pub label: String,
    pub users_first: u64,
    /// `None`: open-ended ("5000+").
    pub users_last: Option<u64>,
    pub cpu: u64,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
    pub nic_mbps: u64,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NomadRequirements {
    pub min_vcpu: u64,
    pub min_memory_bytes: u64,
    pub min_disk_bytes: u64,
    pub max_vcpu: u64,
    pub max_memory_bytes: u64,
    pub reserved_vcpu: u64,
    pub reserved_memory_bytes: u64,
    /// NIC speed per client, in Mbps.
    pub nic_mbps: u64,
    pub span: Span,
}

/// One row of the guide's "number of Nomad client machines" table.
#[derive(Clone, Debug, PartialEq)]
pub struct NomadCountRow {
    pub label: String,
    pub users_first: u64,
    pub users_last: Option<u64>,
    pub clients_min: u64,
    pub clients_max: Option<u64>,
    pub span: Span,
}

/// An actor of the guide's tables (end users, administrators, GitHub, the internet...).
#[derive(Clone, Debug, PartialEq)]
pub struct ActorDef {
    pub name: String,
    pub description: String,
    /// Addresses the actor connects from, unless the site binds it.
    pub sources: Vec<Ipv4Net>,
    /// Addresses the actor is reached at, unless the site binds it.
    pub destinations: Vec<Ipv4Net>,
    /// When the site must bind the actor itself.
    pub required: Condition,
    pub span: Span,
}

/// A service the guide allows to run outside the services box.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalDef {
    pub name: String,
    pub description: String,
    pub default_port: u16,
    pub span: Span,
}

/// When a rule applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    Always,
    Never,
    GithubCom,
    GithubEnterprise,
    /// The site runs vm-service (machine executor, remote Docker).
    VmService,
    /// Any of these services is externalized.
    External(Vec<String>),
    /// None of these services is externalized.
    Embedded(Vec<String>),
}

/// One side of a flow, with names bound.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndpointRef {
    Services,
    /// Every Nomad client fleet.
    AllFleets,
    Fleet(String),
    External(String),
    /// The VMs vm-service starts for machine and remote-Docker jobs.
    Vms,
    Actor(String),
    Cidr(Ipv4Net),
}

/// A network flow: `from` opens connections to `to` on these ports.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub protocol: Protocol,
    /// Inclusive port range; `None` for `all` and `icmp`.
    pub ports: Option<(u16, u16)>,
    pub from: EndpointRef,
    pub to: EndpointRef,
    pub purpose: String,
    /// Where the rule comes from: a guide section, or the site file and line.
    pub origin: String,
    /// What was decided where the guide is ambiguous, written next to the data.
    pub decision: Option<String>,
    pub when: Condition,
    pub span: Span,
}

/// An IAM policy document, written in the stdlib with placeholders like `{partition}`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDef {
    pub name: String,
    pub file: String,
    pub description: String,
    pub statements: Vec<StatementDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatementDef {
    pub sid: String,
    pub effect: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub principal_service: Option<String>,
    pub conditions: Vec<ConditionDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConditionDef {
    pub test: String,
    pub variable: String,
    pub values: Vec<String>,
}

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
    pub subnet: String,
    pub ssh_key: String,
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
    pub bucket: String,
    pub tags: BTreeMap<String, String>,
    /// Actor name to (sources, destinations); stdlib defaults overridden by the site's bindings.
    pub actors: BTreeMap<String, BoundActor>,
    pub services: Services,
    pub fleets: Vec<Fleet>,
    pub externals: BTreeMap<String, External>,
    /// The rules that apply to this site: the stdlib's whose condition holds, then the site's own.
    pub rules: Vec<Rule>,
    /// The stdlib's rules that do not apply here, with why (for the port matrix).
    pub skipped_rules: Vec<(Rule, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoundActor {
    pub sources: Vec<Ipv4Net>,
    pub destinations: Vec<Ipv4Net>,
    /// Where the site bound it; `None` for stdlib defaults.
    pub bound_at: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Services {
    pub instance: InstanceType,
    pub instance_span: Span,
    pub disk_gib: u64,
    pub disk_span: Span,
    pub ami: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Fleet {
    pub name: String,
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
    pub hosts: Vec<Ipv4Net>,
    pub port: u16,
    pub span: Span,
}

impl Site {
    pub fn is_external(&self, name: &str) -> bool {
        self.externals.contains_key(name)
    }

    /// Whether a stdlib condition holds for this site.
    pub fn holds(&self, c: &Condition) -> bool {
        match c {
            Condition::Always => true,
            Condition::Never => false,
            Condition::GithubCom => self.github == GitHub::Com,
            Condition::GithubEnterprise => matches!(self.github, GitHub::Enterprise { .. }),
            Condition::VmService => self.vm_service,
            Condition::External(names) => names.iter().any(|n| self.is_external(n)),
            Condition::Embedded(names) => names.iter().all(|n| !self.is_external(n)),
        }
    }
}

pub const GIB: u64 = 1 << 30;

/// Renders a byte count in the unit a reader expects ("32 GiB", "100 GB" stays exact).
pub fn human_bytes(bytes: u64) -> String {
    if bytes % (1 << 40) == 0 && bytes > 0 {
        format!("{} TiB", bytes >> 40)
    } else if bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else if bytes % 1_000_000_000 == 0 {
        format!("{} GB", bytes / 1_000_000_000)
    } else {
        format!("{:.1} GiB", bytes as f64 / GIB as f64)
    }
}
