//! Flows, in the stdlib and in the site alike: who opens connections to whom, on which ports,
//! and when a rule applies.

use crate::ast::Protocol;
use crate::span::Span;
use ipnet::IpNet;

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
