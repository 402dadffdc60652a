//! The typed model: what `resolve` makes of the stdlib and the site once every name is bound
//! and every value has its type. Later stages (`check`, `graph`, `emit`) read only this.

use crate::ast::Protocol;
use crate::span::{Span, Spanned};
pub use crate::values::{human_bytes, is_private_range, ports_text, GIB};
use ipnet::{IpNet, Ipv4Net};
use std::collections::BTreeMap;

mod boot;
pub use boot::{BuildIsolation, UserDataLimits};

/// What the vendor guide knows, read from `stdlib/`.
#[derive(Clone, Debug, Default)]
pub struct Stdlib {
    /// The CircleCI Server release the stdlib describes, e.g. "2.16".
    pub release: String,
    pub os: Os,
    pub docker: DockerRepository,
    pub nomad: NomadClient,
    /// What keeps build containers from the Nomad agents and the metadata service.
    pub build_isolation: BuildIsolation,
    pub replicated: Replicated,
    pub proxy_exceptions: ProxyExceptions,
    /// Settings of the services box (`machine services`).
    pub services_machine: Machine,
    /// Settings of the Nomad clients (`machine nomad`).
    pub nomad_machine: Machine,
    /// What `terraform output` prints for people to open (install URL, admin console, ssh).
    pub outputs: Vec<OutputDef>,
    pub regions: Vec<String>,
    /// Region to ARN partition (`aws`, `aws-us-gov`, `aws-cn`).
    pub partitions: BTreeMap<String, String>,
    /// What AWS accepts (names, tags, quotas).
    pub aws_limits: AwsLimits,
    /// EC2's user-data limit, for the size of what the machines receive.
    pub user_data: UserDataLimits,
    /// What CircleCI's enterprise-setup Terraform gave a site its tfvars leave unsaid (import).
    pub enterprise_setup: EnterpriseSetup,
    pub instance_types: BTreeMap<String, InstanceType>,
    pub services_sizing: Vec<SizingRow>,
    pub nomad_requirements: NomadRequirements,
    pub nomad_counts: Vec<NomadCountRow>,
    pub actors: BTreeMap<String, ActorDef>,
    pub externals: BTreeMap<String, ExternalDef>,
    /// Services the guide lists as externalizable that the stdlib does not take, with why.
    pub not_externalizable: BTreeMap<String, String>,
    /// The docker executor's resource classes, in the stdlib's order.
    pub resource_classes: Vec<ResourceClass>,
    /// On-demand prices, where the stdlib knows them.
    pub prices: Option<Prices>,
    pub rules: Vec<Rule>,
    pub policies: Vec<PolicyDef>,
}

impl Stdlib {
    /// The services sizing row for a number of daily active users (rows are checked for gaps
    /// and overlaps by the stdlib tests).
    pub fn sizing_row(&self, users: u64) -> Option<&SizingRow> {
        self.services_sizing
            .iter()
            .find(|r| users >= r.users_first && r.users_last.is_none_or(|l| users <= l))
    }

    /// The guide's row of Nomad client counts for a number of daily active users.
    pub fn count_row(&self, users: u64) -> Option<&NomadCountRow> {
        self.nomad_counts
            .iter()
            .find(|r| users >= r.users_first && r.users_last.is_none_or(|l| users <= l))
    }

    /// The actors, in the order the stdlib declares them.
    pub fn actors_in_order(&self) -> Vec<&ActorDef> {
        let mut v: Vec<&ActorDef> = self.actors.values().collect();
        v.sort_by_key(|a| (a.span.file, a.span.start));
        v
    }

    /// The externalizable services, in the order the stdlib declares them.
    pub fn externals_in_order(&self) -> Vec<&ExternalDef> {
        let mut v: Vec<&ExternalDef> = self.externals.values().collect();
        v.sort_by_key(|e| (e.span.file, e.span.start));
        v
    }

    /// The actor whose ports are administrative (the guide's administrators).
    pub fn administrators(&self) -> Option<&ActorDef> {
        self.actors_in_order()
            .into_iter()
            .find(|a| a.administrative)
    }

    /// The externalizable service the Nomad clients join when a site runs it outside the
    /// services box (`nomad_client { servers = ... }`).
    pub fn nomad_servers(&self) -> Option<&ExternalDef> {
        self.externals.get(&self.nomad.servers)
    }
}

/// What CircleCI's enterprise-setup Terraform at the guide's date gave a site whose
/// terraform.tfvars leaves a variable out (`enterprise_setup` in release.cci).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnterpriseSetup {
    /// The `prefix` of every name, which becomes the site's name.
    pub prefix: String,
    pub services_instance: String,
    pub nomad_instance: String,
    pub services_disk_gib: u64,
    pub nomad_disk_gib: u64,
}

/// What AWS accepts: name lengths, tag limits, default quotas (`aws_limits` in aws.cci).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AwsLimits {
    pub rules_per_security_group: u64,
    pub autoscaling_groups: u64,
    pub key_name_length: u64,
    pub role_name_length: u64,
    pub instance_profile_name_length: u64,
    pub security_group_name_length: u64,
    pub tags_per_resource: u64,
    pub tag_key_length: u64,
    pub tag_value_length: u64,
    pub bucket_name_length: u64,
    pub queue_name_length: u64,
    pub launch_template_name_length: u64,
    pub autoscaling_group_name_length: u64,
    pub lifecycle_hook_name_length: u64,
    /// Addresses AWS keeps in every subnet (the first four and the last).
    pub reserved_addresses_per_subnet: u64,
    /// The sizes a machine's root volume may have (EBS, and the image's own root).
    pub volume_min_bytes: u64,
    pub volume_max_bytes: u64,
}

/// The operating system of every provisioned machine, and how its image is found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Os {
    pub name: String,
    pub description: String,
    pub ami_owner: String,
    /// Image name pattern for the AMI lookup.
    pub ami_name: String,
    pub login_user: String,
}

/// Docker's apt repository and the fingerprint its signing key must have.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DockerRepository {
    pub repository: String,
    pub channel: String,
    pub key_url: String,
    pub key_fingerprint: String,
}

/// The Nomad client agent the release runs on its Nomad clients.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NomadClient {
    pub version: String,
    pub url: String,
    pub sha256: String,
    pub datacenter: String,
    pub node_class: String,
    /// The local agent's HTTP port (asked on loopback by the drain script).
    pub http_port: u16,
    /// The actor that connects to the address written to /etc/circleci/public-ipv4.
    pub advertised_to: String,
    /// The externalizable service that stands for the Nomad servers the clients join.
    pub servers: String,
    pub drain_timeout_seconds: u64,
}

/// Replicated, which installs CircleCI Server on the services box.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replicated {
    pub version: String,
    pub installer: String,
}

/// What never goes through a site's proxy (`no_proxy`), besides what each machine learns at
/// boot (its own address, its VPC's ranges, the services box).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyExceptions {
    pub always: Vec<String>,
    /// With the site's S3 gateway endpoint; `{region}` is the site's region.
    pub with_s3_endpoint: Vec<String>,
}

/// Settings of one machine role (`services`, `nomad`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Machine {
    /// The instance type the guide recommends for this role.
    pub instance: String,
    /// The docker-ce package version installed on this role.
    pub docker: String,
    pub metadata_tokens: String,
    pub metadata_hop_limit: u64,
    pub metadata_reason: String,
    pub volume_type: String,
    pub termination_protection: bool,
    /// The actor whose address of this machine a DNS record names (site `dns`).
    pub named_for: Option<String>,
}

/// A value `terraform output` prints: `value` with `{address}` (the services box's address
/// that `reached_by` can reach) and `{login_user}` filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDef {
    pub name: String,
    pub description: String,
    pub value: String,
    /// The services box's port the value points at; some rule must open it to `reached_by`.
    pub port: u16,
    pub reached_by: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq)]
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
    /// Instance types a help names for a services box below this row.
    pub suggest: Vec<String>,
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
    /// Instance types a help names for a client with too few vCPUs, or too little memory.
    pub suggest_vcpu: Vec<String>,
    pub suggest_memory: Vec<String>,
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
    pub sources: Vec<IpNet>,
    /// Addresses the actor is reached at, unless the site binds it.
    pub destinations: Vec<IpNet>,
    /// When the site must bind the actor itself.
    pub required: Condition,
    /// The ports the stdlib opens to this actor are administrative (W0411 when open to all).
    pub administrative: bool,
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
    /// The site has a `dns` record.
    Dns,
    /// The services box's volumes are snapshotted (`services { backup { ... } }`).
    Backup,
    /// `terraform destroy` removes the whole site (`disposable = true`).
    Disposable,
    /// The services box has an Elastic IP (`services { elastic_ip = true }`).
    ElasticIp,
    /// Terraform's state is kept in S3 (`state { s3 { ... } }`).
    StateS3,
    /// ... and locked with a DynamoDB table as well (`lock_table`).
    StateLockTable,
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
    Cidr(IpNet),
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
    /// Written only for sites where this holds (a statement may have its own `when` too).
    pub when: Condition,
    pub statements: Vec<StatementDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatementDef {
    pub sid: String,
    pub effect: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub principal_service: Option<String>,
    /// An AWS principal (account or role ARN) for trust policies.
    pub principal_aws: Option<String>,
    pub conditions: Vec<ConditionDef>,
    /// When the statement is written (e.g. only with vm-service).
    pub when: Condition,
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
    /// The services box's subnet: the first of `subnets`.
    pub subnet: String,
    /// Every subnet of the site; Nomad fleets spread over all of them.
    pub subnets: Vec<String>,
    /// Their CIDR blocks, in the same order, when the site gives them (the address check).
    pub subnet_ranges: Option<Spanned<Vec<Ipv4Net>>>,
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

/// A resource class of the docker executor: what one job's container gets.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceClass {
    pub name: String,
    pub vcpu: u64,
    pub memory_bytes: u64,
    /// The class a job gets when it names none.
    pub default: bool,
}

/// On-demand prices in millionths of a US dollar, for the regions listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Prices {
    pub regions: Vec<String>,
    pub hours_per_month: u64,
    pub gp3_per_gib_month_micros: u64,
    /// Instance family (`m5`) to its rate per vCPU-hour.
    pub per_vcpu_hour_micros: BTreeMap<String, u64>,
}
