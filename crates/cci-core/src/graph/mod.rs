//! The dependency graph: one node per emitted resource, an edge from each resource to the
//! ones that reference it. Emission follows its topological order; a cycle is an error that
//! names the loop. Security groups that reference each other never form a cycle here,
//! because each permission is its own rule resource that depends on both groups.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{Fleet, Site, Stdlib};
use crate::network::{Group, Network, SgRule};
use crate::span::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeSet;

mod build;

/// The `.tf` files, in the order a reader wants them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TfFile {
    Versions,
    Variables,
    SecurityGroups,
    Storage,
    Iam,
    Services,
    Nomad,
    Checks,
    Outputs,
    /// `moved` blocks from the addresses earlier versions of cci-dsl gave.
    Moved,
}

impl TfFile {
    pub const ALL: [TfFile; 10] = [
        TfFile::Versions,
        TfFile::Variables,
        TfFile::SecurityGroups,
        TfFile::Storage,
        TfFile::Iam,
        TfFile::Services,
        TfFile::Nomad,
        TfFile::Checks,
        TfFile::Outputs,
        TfFile::Moved,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TfFile::Versions => "versions.tf",
            TfFile::Variables => "variables.tf",
            TfFile::SecurityGroups => "security-groups.tf",
            TfFile::Storage => "storage.tf",
            TfFile::Iam => "iam.tf",
            TfFile::Services => "services.tf",
            TfFile::Nomad => "nomad.tf",
            TfFile::Checks => "checks.tf",
            TfFile::Outputs => "outputs.tf",
            TfFile::Moved => "moved.tf",
        }
    }
}

/// The parts of the site's bucket, each a Terraform resource of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketPart {
    Bucket,
    Encryption,
    PublicAccessBlock,
    Versioning,
    Ownership,
    Lifecycle,
    Cors,
}

/// An IAM role and the files its trust policy comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// Terraform's name, shared by the role, its policy and its instance profile.
    pub id: String,
    pub name: String,
    pub description: String,
    pub trust_file: String,
    pub policy_file: String,
    /// The trust policy names the account Terraform applies to (`${account_id}`).
    pub account_from_terraform: bool,
}

/// What a node stands for, with the data its emitter needs.
#[derive(Clone, Debug)]
pub enum Resource {
    PassphraseVariable,
    PassphraseParameter {
        name: String,
    },
    /// The account Terraform applies to, for names that must hold it.
    CallerIdentity,
    /// The release's OS image, looked up only when a machine does not name its own.
    Ami,
    /// The image a fleet names (`ami = ...`), read for its root device name.
    OwnImage(Fleet),
    SecurityGroup(Group),
    SgRule(SgRule),
    Bucket(BucketPart),
    ShutdownQueue {
        name: String,
    },
    Role(Role),
    RolePolicy(Role),
    InstanceProfile(Role),
    ServicesInstance,
    /// A fleet's launch template, and the Terraform ids of the security groups its clients hold.
    LaunchTemplate(Fleet, Vec<String>),
    AutoScalingGroup(Fleet),
    LifecycleHook(Fleet),
    /// What Terraform checks of the network at plan time: the VPC's DNS support (always), the
    /// NAT gateway and the S3 endpoint the site names.
    NetworkChecks,
    /// The Data Lifecycle Manager policy that snapshots the services box.
    BackupPolicy,
    /// The Route53 record of the services box, in a zone that exists already.
    DnsRecord,
    /// The services box's fixed public address (`elastic_ip = true`).
    ElasticIp,
    Outputs,
}

/// One emitted resource.
#[derive(Clone, Debug)]
pub struct Node {
    /// Terraform address, e.g. `aws_security_group.services`.
    pub address: String,
    /// The `.tf` file it is written to.
    pub file: TfFile,
    pub resource: Resource,
    /// Breaks ties between resources that are ready at the same time, so a file reads in a
    /// sensible order (groups, then each group's ingress and egress rules) on every run.
    pub rank: String,
}

#[derive(Clone, Debug, Default)]
pub struct ResourceGraph {
    pub graph: DiGraph<Node, ()>,
    /// Nodes in emission order (dependencies first, ties broken by address).
    pub order: Vec<NodeIndex>,
}

impl Resource {
    /// The address cci-dsl gave the resource before 2026-12, when it differs, and why it
    /// changed (`moved.tf` moves a state that has it).
    pub fn legacy_address(&self) -> Option<(String, &'static str)> {
        let fleet = |kind: &str, f: &crate::model::Fleet| {
            let why = "a fleet's resources are named after the fleet alone";
            Some((
                format!("{kind}.{}", crate::names::legacy_fleet_id(&f.name)),
                why,
            ))
        };
        match self {
            Resource::LaunchTemplate(f, _) => fleet("aws_launch_template", f),
            Resource::AutoScalingGroup(f) => fleet("aws_autoscaling_group", f),
            Resource::LifecycleHook(f) => fleet("aws_autoscaling_lifecycle_hook", f),
            Resource::SgRule(r) if r.legacy_tf_name() != r.tf_name() => Some((
                format!("{}.{}", r.tf_type(), r.legacy_tf_name()),
                "a rule is named by its range alone, not by the first actor bound to it",
            )),
            _ => None,
        }
    }
}

impl ResourceGraph {
    pub fn nodes_in_order(&self) -> impl Iterator<Item = &Node> {
        self.order.iter().map(|i| &self.graph[*i])
    }

    /// (dependency, dependent) address pairs, sorted.
    pub fn edges(&self) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| {
                (
                    self.graph[a].address.as_str(),
                    self.graph[b].address.as_str(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

/// Builds the graph for a site. A cycle is reported as E0501 at the site's name.
pub fn build(site: &Site, lib: &Stdlib, net: &Network, diags: &mut Diagnostics) -> ResourceGraph {
    let graph = build::graph(site, lib, net);
    match stable_toposort(&graph) {
        Ok(order) => ResourceGraph { graph, order },
        Err(cycle) => {
            diags.push(cycle_diagnostic(&graph, &cycle, site.name_span));
            ResourceGraph {
                graph,
                order: Vec::new(),
            }
        }
    }
}

/// Kahn's algorithm, always taking the ready node with the smallest rank, so the order
/// is the same on every run. `Err` carries the nodes of one cycle, in order.
pub fn stable_toposort(graph: &DiGraph<Node, ()>) -> Result<Vec<NodeIndex>, Vec<NodeIndex>> {
    let mut indegree: Vec<usize> = graph
        .node_indices()
        .map(|n| {
            graph
                .neighbors_directed(n, petgraph::Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: BTreeSet<(&str, NodeIndex)> = graph
        .node_indices()
        .filter(|n| indegree[n.index()] == 0)
        .map(|n| (graph[n].rank.as_str(), n))
        .collect();
    let mut order = Vec::with_capacity(graph.node_count());
    while let Some(first) = ready.pop_first() {
        let n = first.1;
        order.push(n);
        for m in graph.neighbors_directed(n, petgraph::Direction::Outgoing) {
            indegree[m.index()] -= 1;
            if indegree[m.index()] == 0 {
                ready.insert((graph[m].rank.as_str(), m));
            }
        }
    }
    if order.len() == graph.node_count() {
        return Ok(order);
    }
    // Some strongly connected component with more than one node (or a self-loop) is a cycle.
    let sccs = petgraph::algo::tarjan_scc(graph);
    let mut cycle = sccs
        .into_iter()
        .find(|c| c.len() > 1 || graph.contains_edge(c[0], c[0]))
        .unwrap_or_default();
    cycle.sort_by(|a, b| graph[*a].address.cmp(&graph[*b].address));
    Err(walk_cycle(graph, cycle))
}

/// Orders a cycle's nodes along its edges, starting from the smallest address.
fn walk_cycle(graph: &DiGraph<Node, ()>, members: Vec<NodeIndex>) -> Vec<NodeIndex> {
    let Some(&start) = members.first() else {
        return members;
    };
    let set: BTreeSet<NodeIndex> = members.iter().copied().collect();
    let mut path = vec![start];
    let mut current = start;
    loop {
        let mut next: Vec<NodeIndex> = graph
            .neighbors_directed(current, petgraph::Direction::Outgoing)
            .filter(|n| set.contains(n))
            .collect();
        next.sort_by(|a, b| graph[*a].address.cmp(&graph[*b].address));
        match next.into_iter().find(|n| *n == start || !path.contains(n)) {
            Some(n) if n == start => return path,
            Some(n) => {
                path.push(n);
                current = n;
            }
            None => return path,
        }
    }
}

pub fn cycle_diagnostic(graph: &DiGraph<Node, ()>, cycle: &[NodeIndex], span: Span) -> Diagnostic {
    let mut names: Vec<&str> = cycle.iter().map(|n| graph[*n].address.as_str()).collect();
    if let Some(first) = names.first().copied() {
        names.push(first);
    }
    Diagnostic::new(Code::E0501, span, format!("dependency cycle: {}", names.join(" -> ")))
        .label("the resources of this site depend on each other in a loop")
        .help("break the loop: a security group that must reference another takes a separate rule resource")
}
