//! The dependency graph: one node per emitted resource, an edge from each resource to the
//! ones that reference it. Emission follows its topological order; a cycle is an error that
//! names the loop. Security groups that reference each other never form a cycle here,
//! because each permission is its own rule resource that depends on both groups.

use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::Site;
use crate::network::{Network, Peer};
use crate::span::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};

/// What a node stands for; indices point into the site's fleets or the network's lists.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum What {
    PassphraseVariable,
    PassphraseParameter,
    /// The account Terraform applies to, for names that must hold it.
    CallerIdentity,
    /// The release's OS image, looked up only when a machine does not name its own.
    Ami,
    SecurityGroup(usize),
    SgRule(usize),
    Bucket,
    BucketEncryption,
    BucketPublicAccessBlock,
    BucketVersioning,
    BucketOwnership,
    BucketLifecycle,
    BucketCors,
    ShutdownQueue,
    ServicesRole,
    ServicesRolePolicy,
    ServicesProfile,
    ServicesInstance,
    NomadRole,
    NomadRolePolicy,
    NomadProfile,
    LaunchTemplate(usize),
    AutoScalingGroup(usize),
    LifecycleHook(usize),
    /// Terraform `check` blocks for the network the site says it has (NAT, S3 endpoint).
    NetworkChecks,
    Outputs,
}

/// One emitted resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Terraform address, e.g. `aws_security_group.services`.
    pub address: String,
    /// The `.tf` file it is written to.
    pub file: &'static str,
    pub what: What,
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

/// Builds the graph for a site. A cycle is reported as E0501 at `site_span`.
pub fn build(site: &Site, net: &Network, diags: &mut Diagnostics) -> ResourceGraph {
    let mut b = Builder::default();
    let var = b.node(
        "var.circle_secret_passphrase",
        "variables.tf",
        What::PassphraseVariable,
    );
    let param = b.node(
        "aws_ssm_parameter.passphrase",
        "services.tf",
        What::PassphraseParameter,
    );
    b.edge(var, param);
    let needs_ami = site.services.ami.is_none() || site.fleets.iter().any(|f| f.ami.is_none());
    let ami = needs_ami.then(|| b.node("data.aws_ami.os", "services.tf", What::Ami));
    let caller = site.account.is_none().then(|| {
        b.node(
            "data.aws_caller_identity.current",
            "iam.tf",
            What::CallerIdentity,
        )
    });

    let mut group_nodes = BTreeMap::new();
    for (i, g) in net.groups.iter().enumerate() {
        let n = b.node(
            &format!("aws_security_group.{}", g.id),
            "security-groups.tf",
            What::SecurityGroup(i),
        );
        b.graph[n].rank = format!("sg/0/{i:04}");
        group_nodes.insert(g.id.clone(), n);
    }
    for (i, r) in net.rules.iter().enumerate() {
        let kind = match r.direction {
            crate::network::Direction::Ingress => "aws_vpc_security_group_ingress_rule",
            crate::network::Direction::Egress => "aws_vpc_security_group_egress_rule",
        };
        let n = b.node(
            &format!("{kind}.{}", r.tf_name()),
            "security-groups.tf",
            What::SgRule(i),
        );
        let group_index = net
            .groups
            .iter()
            .position(|g| g.id == r.group)
            .unwrap_or(usize::MAX);
        let dir = match r.direction {
            crate::network::Direction::Ingress => "0-in",
            crate::network::Direction::Egress => "1-out",
        };
        b.graph[n].rank = format!("sg/1/{group_index:04}/{dir}/{}", r.tf_name());
        b.edge(group_nodes[&r.group], n);
        if let Peer::Group(g) = &r.peer {
            if *g != r.group {
                b.edge(group_nodes[g], n);
            }
        }
    }

    let bucket = b.node("aws_s3_bucket.circleci", "storage.tf", What::Bucket);
    if let Some(caller) = caller {
        // The bucket is named after the account (names::Names::bucket_hcl).
        b.edge(caller, bucket);
    }
    for (addr, what) in [
        (
            "aws_s3_bucket_server_side_encryption_configuration.circleci",
            What::BucketEncryption,
        ),
        (
            "aws_s3_bucket_public_access_block.circleci",
            What::BucketPublicAccessBlock,
        ),
        ("aws_s3_bucket_versioning.circleci", What::BucketVersioning),
        (
            "aws_s3_bucket_ownership_controls.circleci",
            What::BucketOwnership,
        ),
        (
            "aws_s3_bucket_cors_configuration.circleci",
            What::BucketCors,
        ),
    ] {
        let is_versioning = what == What::BucketVersioning;
        let n = b.node(addr, "storage.tf", what);
        b.edge(bucket, n);
        if is_versioning {
            // Rules on noncurrent versions need versioning first.
            let lifecycle = b.node(
                "aws_s3_bucket_lifecycle_configuration.circleci",
                "storage.tf",
                What::BucketLifecycle,
            );
            b.edge(n, lifecycle);
        }
    }
    let queue = b.node("aws_sqs_queue.shutdown", "storage.tf", What::ShutdownQueue);

    let role = b.node("aws_iam_role.services", "iam.tf", What::ServicesRole);
    let policy = b.node(
        "aws_iam_role_policy.services",
        "iam.tf",
        What::ServicesRolePolicy,
    );
    let profile = b.node(
        "aws_iam_instance_profile.services",
        "iam.tf",
        What::ServicesProfile,
    );
    if let Some(caller) = caller {
        // The role's trust policy names the account (it may assume itself).
        b.edge(caller, role);
    }
    b.edge(role, policy);
    b.edge(role, profile);
    // The role policy names the bucket and queue (by name, in iam/*.json), so it must not
    // exist before them.
    b.edge(bucket, policy);
    b.edge(queue, policy);

    let services = b.node(
        "aws_instance.services",
        "services.tf",
        What::ServicesInstance,
    );
    if let (Some(ami), None) = (ami, &site.services.ami) {
        b.edge(ami, services);
    }
    b.edge(profile, services);
    b.edge(param, services);
    b.edge(group_nodes["services"], services);
    b.edge(policy, services);
    // Its user-data names the bucket, the queue and the VMs' group (templatefile).
    b.edge(bucket, services);
    b.edge(queue, services);
    if let Some(vms) = group_nodes.get("vms") {
        b.edge(*vms, services);
    }

    let nomad_role = b.node("aws_iam_role.nomad", "iam.tf", What::NomadRole);
    let nomad_policy = b.node("aws_iam_role_policy.nomad", "iam.tf", What::NomadRolePolicy);
    let nomad_profile = b.node(
        "aws_iam_instance_profile.nomad",
        "iam.tf",
        What::NomadProfile,
    );
    b.edge(nomad_role, nomad_policy);
    b.edge(nomad_role, nomad_profile);

    let outputs = b.node("outputs", "outputs.tf", What::Outputs);
    if let Some(vms) = group_nodes.get("vms") {
        b.edge(*vms, outputs);
    }
    if site.nat.is_some() || site.s3_endpoint.is_some() {
        let checks = b.node("check.private_subnet", "checks.tf", What::NetworkChecks);
        b.edge(checks, outputs);
    }
    b.edge(services, outputs);

    for (i, f) in site.fleets.iter().enumerate() {
        let lt = b.node(
            &format!("aws_launch_template.nomad_{}", f.name),
            "nomad.tf",
            What::LaunchTemplate(i),
        );
        if let (Some(ami), None) = (ami, &f.ami) {
            b.edge(ami, lt);
        }
        b.edge(group_nodes[&crate::network::fleet_group(&f.name)], lt);
        b.edge(nomad_profile, lt);
        // Clients join the Nomad server on the services box's private address (unless the
        // site's Nomad servers run outside it).
        if !site.is_external("nomad_servers") {
            b.edge(services, lt);
        }
        let asg = b.node(
            &format!("aws_autoscaling_group.nomad_{}", f.name),
            "nomad.tf",
            What::AutoScalingGroup(i),
        );
        b.edge(lt, asg);
        let hook = b.node(
            &format!("aws_autoscaling_lifecycle_hook.nomad_{}", f.name),
            "nomad.tf",
            What::LifecycleHook(i),
        );
        b.edge(asg, hook);
        // A draining client completes its lifecycle action with this policy.
        b.edge(nomad_policy, hook);
        b.edge(asg, outputs);
    }

    b.finish(site.name_span, diags)
}

#[derive(Default)]
struct Builder {
    graph: DiGraph<Node, ()>,
}

impl Builder {
    fn node(&mut self, address: &str, file: &'static str, what: What) -> NodeIndex {
        self.graph.add_node(Node {
            address: address.to_string(),
            file,
            what,
            rank: address.to_string(),
        })
    }

    fn edge(&mut self, dependency: NodeIndex, dependent: NodeIndex) {
        // `add_edge`, not `update_edge`: the builder never adds an edge twice, and checking
        // for one is linear in the node's degree (quadratic for a group with many rules).
        self.graph.add_edge(dependency, dependent, ());
    }

    fn finish(self, span: Span, diags: &mut Diagnostics) -> ResourceGraph {
        let graph = self.graph;
        match stable_toposort(&graph) {
            Ok(order) => ResourceGraph { graph, order },
            Err(cycle) => {
                diags.push(cycle_diagnostic(&graph, &cycle, span));
                ResourceGraph {
                    graph,
                    order: Vec::new(),
                }
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
    Diagnostic::error(Code::E0501, span, format!("dependency cycle: {}", names.join(" -> ")))
        .label("the resources of this site depend on each other in a loop")
        .help("break the loop: a security group that must reference another takes a separate rule resource")
}
