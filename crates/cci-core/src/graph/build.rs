//! Builds the resource graph: one node per Terraform resource, carrying what its emitter needs,
//! and an edge from each resource to the ones that reference it. One function per part of the
//! site; they find each other's nodes by Terraform address.

use super::{BucketPart, Node, Resource, Role, TfFile};
use crate::model::{Site, Stdlib};
use crate::names::{self, Names, SERVICES_GROUP, VMS_GROUP};
use crate::network::{Direction, Network, Peer};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeMap;

pub(super) fn graph(site: &Site, lib: &Stdlib, net: &Network) -> DiGraph<Node, ()> {
    let mut b = Builder {
        graph: DiGraph::new(),
        by_address: BTreeMap::new(),
    };
    let names = Names::new(site);
    secrets(&mut b, &names);
    lookups(&mut b, site);
    security_groups(&mut b, net);
    storage(&mut b, &names);
    roles(&mut b, site, lib, &names);
    services_box(&mut b, site);
    fleets(&mut b, site, lib, net);
    outputs(&mut b, site);
    b.graph
}

struct Builder {
    graph: DiGraph<Node, ()>,
    by_address: BTreeMap<String, NodeIndex>,
}

// A required edge to a node that does not exist is a bug in this file; debug builds (the
// tests) stop on it.

impl Builder {
    fn node(&mut self, address: String, file: TfFile, resource: Resource) -> NodeIndex {
        let i = self.graph.add_node(Node {
            rank: address.clone(),
            address: address.clone(),
            file,
            resource,
        });
        self.by_address.insert(address, i);
        i
    }

    /// The node at a Terraform address, if the site has it.
    fn at(&self, address: &str) -> Option<NodeIndex> {
        self.by_address.get(address).copied()
    }

    /// `dependent` references `dependency`; both exist.
    fn edge(&mut self, dependency: &str, dependent: &str) {
        debug_assert!(self.at(dependency).is_some(), "no node {dependency}");
        self.optional_edge(dependency, dependent);
    }

    /// `dependent` references `dependency` when the site has it (a lookup, the VMs' group).
    fn optional_edge(&mut self, dependency: &str, dependent: &str) {
        debug_assert!(self.at(dependent).is_some(), "no node {dependent}");
        if let (Some(a), Some(b)) = (self.at(dependency), self.at(dependent)) {
            // `add_edge`, not `update_edge`: no edge is added twice, and checking for one is
            // linear in the node's degree (quadratic for a group with many rules).
            self.graph.add_edge(a, b, ());
        }
    }
}

fn secrets(b: &mut Builder, names: &Names) {
    b.node(
        "var.circle_secret_passphrase".into(),
        TfFile::Variables,
        Resource::PassphraseVariable,
    );
    b.node(
        "aws_ssm_parameter.passphrase".into(),
        TfFile::Services,
        Resource::PassphraseParameter {
            name: names.passphrase_parameter(),
        },
    );
    b.edge(
        "var.circle_secret_passphrase",
        "aws_ssm_parameter.passphrase",
    );
}

/// Data sources, each only when something uses it.
fn lookups(b: &mut Builder, site: &Site) {
    if site.services.ami.is_none() || site.fleets.iter().any(|f| f.ami.is_none()) {
        b.node("data.aws_ami.os".into(), TfFile::Services, Resource::Ami);
    }
    if site.account.is_none() {
        b.node(
            "data.aws_caller_identity.current".into(),
            TfFile::Iam,
            Resource::CallerIdentity,
        );
    }
}

fn security_groups(b: &mut Builder, net: &Network) {
    let mut position = BTreeMap::new();
    for (i, g) in net.groups.iter().enumerate() {
        let n = b.node(
            format!("aws_security_group.{}", g.id),
            TfFile::SecurityGroups,
            Resource::SecurityGroup(g.clone()),
        );
        b.graph[n].rank = format!("sg/0/{i:04}");
        position.insert(g.id.as_str(), i);
    }
    // The rules come sorted by what they are (direction, protocol, ports, peer): a file reads
    // 22, 80, 443, 3001 ..., not in the order of their names.
    for (i, r) in net.rules.iter().enumerate() {
        let address = format!("{}.{}", r.tf_type(), r.tf_name());
        let n = b.node(
            address.clone(),
            TfFile::SecurityGroups,
            Resource::SgRule(r.clone()),
        );
        let group = position
            .get(r.group.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        let dir = match r.direction {
            Direction::Ingress => "0-in",
            Direction::Egress => "1-out",
        };
        b.graph[n].rank = format!("sg/1/{group:04}/{dir}/{i:06}");
        b.edge(&format!("aws_security_group.{}", r.group), &address);
        if let Peer::Group(g) = &r.peer {
            if *g != r.group {
                b.edge(&format!("aws_security_group.{g}"), &address);
            }
        }
    }
}

fn storage(b: &mut Builder, names: &Names) {
    b.node(
        "aws_s3_bucket.circleci".into(),
        TfFile::Storage,
        Resource::Bucket(BucketPart::Bucket),
    );
    // The bucket is named after the account (emit::terraform::bucket_hcl).
    b.optional_edge("data.aws_caller_identity.current", "aws_s3_bucket.circleci");
    for (address, part) in [
        (
            "aws_s3_bucket_server_side_encryption_configuration.circleci",
            BucketPart::Encryption,
        ),
        (
            "aws_s3_bucket_public_access_block.circleci",
            BucketPart::PublicAccessBlock,
        ),
        ("aws_s3_bucket_versioning.circleci", BucketPart::Versioning),
        (
            "aws_s3_bucket_ownership_controls.circleci",
            BucketPart::Ownership,
        ),
        (
            "aws_s3_bucket_cors_configuration.circleci",
            BucketPart::Cors,
        ),
    ] {
        b.node(address.into(), TfFile::Storage, Resource::Bucket(part));
        b.edge("aws_s3_bucket.circleci", address);
    }
    // Rules on noncurrent versions need versioning first.
    b.node(
        "aws_s3_bucket_lifecycle_configuration.circleci".into(),
        TfFile::Storage,
        Resource::Bucket(BucketPart::Lifecycle),
    );
    b.edge(
        "aws_s3_bucket_versioning.circleci",
        "aws_s3_bucket_lifecycle_configuration.circleci",
    );
    b.node(
        "aws_sqs_queue.shutdown".into(),
        TfFile::Storage,
        Resource::ShutdownQueue {
            name: names.shutdown_queue(),
        },
    );
}

/// The services box's and the Nomad clients' roles, each with its policy and profile.
fn roles(b: &mut Builder, site: &Site, lib: &Stdlib, names: &Names) {
    let file = |policy: &str| {
        lib.policies
            .iter()
            .find(|p| p.name == policy)
            .map(|p| p.file.clone())
            .unwrap_or_default()
    };
    let services = Role {
        id: SERVICES_GROUP.into(),
        name: names.services_role(),
        description: "CircleCI services box (instance profile)".into(),
        trust_file: file("services_assume_role"),
        policy_file: file("services_role"),
        account_from_terraform: site.account.is_none(),
    };
    let nomad = Role {
        id: "nomad".into(),
        name: names.nomad_role(),
        description: "CircleCI Nomad clients: finish their own scale-in after draining".into(),
        trust_file: file("ec2_assume_role"),
        policy_file: file("nomad_client_role"),
        account_from_terraform: false,
    };
    let backup = site.services.backup.as_ref().map(|_| Role {
        id: "backup".into(),
        name: names.backup_role(),
        description: "Data Lifecycle Manager: snapshots of the CircleCI services box".into(),
        trust_file: file("dlm_assume_role"),
        policy_file: file("backup_role"),
        account_from_terraform: false,
    });
    for role in [Some(services), Some(nomad), backup].into_iter().flatten() {
        let id = role.id.clone();
        let profile = id != "backup";
        let (r, p, i) = (
            format!("aws_iam_role.{id}"),
            format!("aws_iam_role_policy.{id}"),
            format!("aws_iam_instance_profile.{id}"),
        );
        b.node(r.clone(), TfFile::Iam, Resource::Role(role.clone()));
        b.node(p.clone(), TfFile::Iam, Resource::RolePolicy(role.clone()));
        b.edge(&r, &p);
        // Data Lifecycle Manager takes its role itself; only machines need a profile.
        if profile {
            b.node(i.clone(), TfFile::Iam, Resource::InstanceProfile(role));
            b.edge(&r, &i);
        }
    }
    // The services role's trust policy names the account (the role may assume itself); its
    // policy names the bucket and the queue.
    b.optional_edge("data.aws_caller_identity.current", "aws_iam_role.services");
    b.edge("aws_s3_bucket.circleci", "aws_iam_role_policy.services");
    b.edge("aws_sqs_queue.shutdown", "aws_iam_role_policy.services");
}

fn services_box(b: &mut Builder, site: &Site) {
    let me = "aws_instance.services";
    b.node(me.into(), TfFile::Services, Resource::ServicesInstance);
    if site.services.ami.is_none() {
        b.edge("data.aws_ami.os", me);
    }
    for dependency in [
        "aws_iam_instance_profile.services",
        "aws_ssm_parameter.passphrase",
        "aws_security_group.services",
        "aws_iam_role_policy.services",
        // Its user-data names the bucket, the queue and the VMs' group (templatefile).
        "aws_s3_bucket.circleci",
        "aws_sqs_queue.shutdown",
    ] {
        b.edge(dependency, me);
    }
    b.optional_edge(&format!("aws_security_group.{VMS_GROUP}"), me);
    if site.services.backup.is_some() {
        let policy = "aws_dlm_lifecycle_policy.services";
        b.node(policy.into(), TfFile::Services, Resource::BackupPolicy);
        b.edge("aws_iam_role.backup", policy);
        // Its policy must exist before the first snapshot is due.
        b.edge("aws_iam_role_policy.backup", policy);
    }
}

fn fleets(b: &mut Builder, site: &Site, lib: &Stdlib, net: &Network) {
    for f in &site.fleets {
        let id = names::fleet_id(&f.name);
        let groups = net.fleet_groups(&f.name);
        let (lt, asg, hook) = (
            format!("aws_launch_template.{id}"),
            format!("aws_autoscaling_group.{id}"),
            format!("aws_autoscaling_lifecycle_hook.{id}"),
        );
        b.node(
            lt.clone(),
            TfFile::Nomad,
            Resource::LaunchTemplate(f.clone(), groups.clone()),
        );
        b.node(
            asg.clone(),
            TfFile::Nomad,
            Resource::AutoScalingGroup(f.clone()),
        );
        b.node(
            hook.clone(),
            TfFile::Nomad,
            Resource::LifecycleHook(f.clone()),
        );
        match &f.ami {
            None => b.edge("data.aws_ami.os", &lt),
            Some(_) => {
                let image = format!("data.aws_ami.{}", names::fleet_qualified_id(&f.name));
                b.node(image.clone(), TfFile::Nomad, Resource::OwnImage(f.clone()));
                b.edge(&image, &lt);
            }
        }
        for g in &groups {
            b.edge(&format!("aws_security_group.{g}"), &lt);
        }
        b.edge("aws_iam_instance_profile.nomad", &lt);
        // Clients join the Nomad server on the services box's private address (unless the
        // site's Nomad servers run outside it).
        if site.external_nomad_servers(lib).is_none() {
            b.edge("aws_instance.services", &lt);
        }
        b.edge(&lt, &asg);
        b.edge(&asg, &hook);
        // A draining client completes its lifecycle action with this policy.
        b.edge("aws_iam_role_policy.nomad", &hook);
    }
}

fn outputs(b: &mut Builder, site: &Site) {
    b.node("outputs".into(), TfFile::Outputs, Resource::Outputs);
    b.optional_edge(&format!("aws_security_group.{VMS_GROUP}"), "outputs");
    b.node(
        "data.aws_vpc.site".into(),
        TfFile::Checks,
        Resource::NetworkChecks,
    );
    b.edge("data.aws_vpc.site", "outputs");
    if site.services.elastic_ip {
        let eip = "aws_eip.services";
        b.node(eip.into(), TfFile::Services, Resource::ElasticIp);
        b.edge("aws_instance.services", eip);
        b.edge(eip, "outputs");
    }
    if site.dns.is_some() {
        let record = "aws_route53_record.services";
        b.node(record.into(), TfFile::Services, Resource::DnsRecord);
        b.edge("aws_instance.services", record);
        b.optional_edge("aws_eip.services", record);
        b.edge(record, "outputs");
    }
    b.edge("aws_instance.services", "outputs");
    for f in &site.fleets {
        b.edge(
            &format!("aws_autoscaling_group.{}", names::fleet_id(&f.name)),
            "outputs",
        );
    }
}
