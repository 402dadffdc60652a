//! What the vendor guide knows, read from `stdlib/`: the release, the machines, the actors and
//! services, the sizing tables, AWS's limits, the IAM policies, prices.

use super::{BuildIsolation, Condition, Rule, UserDataLimits};
use crate::span::Span;
use ipnet::IpNet;
use std::collections::BTreeMap;

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
    /// What Terraform does when a generated resource's attribute changes, by resource type.
    pub terraform_resources: BTreeMap<String, TerraformResource>,
}

impl Stdlib {
    /// The services sizing row for a number of daily active users (rows are checked for gaps
    /// and overlaps by the stdlib tests).
    pub fn sizing_row(&self, users: u64) -> Option<&SizingRow> {
        self.services_sizing
            .iter()
            .find(|r| users >= r.users_first && r.users_last.is_none_or(|l| users <= l))
    }

    /// The smallest instance types of the catalog that `meets` accepts: those no other accepted
    /// type undercuts (at most its vCPUs and memory, fewer of one), by memory, vCPUs and name;
    /// at most three. What a sizing help suggests, so that it is computed, never written.
    pub fn smallest_types(&self, meets: impl Fn(&InstanceType) -> bool) -> Vec<&InstanceType> {
        let ok: Vec<&InstanceType> = self.instance_types.values().filter(|t| meets(t)).collect();
        let undercut = |t: &InstanceType| {
            ok.iter().any(|o| {
                o.vcpu <= t.vcpu
                    && o.memory_bytes <= t.memory_bytes
                    && (o.vcpu < t.vcpu || o.memory_bytes < t.memory_bytes)
            })
        };
        let mut smallest: Vec<&InstanceType> =
            ok.iter().copied().filter(|t| !undercut(t)).collect();
        smallest.sort_by_key(|t| (t.memory_bytes, t.vcpu, t.name.clone()));
        smallest.truncate(3);
        smallest
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

/// Which attributes of a generated resource type make Terraform replace it (ForceNew in the
/// provider's schema) or stop the instance to update it (`terraform_resource` in aws.cci).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TerraformResource {
    pub replaced_when: Vec<String>,
    pub stops: Vec<String>,
    /// Attributes whose value changes whenever the resource is updated in place: whatever
    /// refers to them is updated too.
    pub new_on_update: Vec<String>,
    /// The provider's `default_tags` reach it (`tags_all`).
    pub tagged: bool,
}
