//! The library's block kinds (normally in `stdlib/`): releases, actors, externalizable
//! services, regions, instance types, sizing tables, machine settings, IAM policies.

use super::*;

#[derive(Default)]
pub(super) struct Seen {
    pub(super) names: BTreeMap<(String, String), Span>,
}

impl Seen {
    /// Records `kind name`; reports a duplicate.
    pub(super) fn first(
        &mut self,
        kind: &str,
        name: &str,
        span: Span,
        diags: &mut Diagnostics,
    ) -> bool {
        let key = (kind.to_string(), name.to_string());
        if let Some(prev) = self.names.get(&key) {
            diags.push(
                Diagnostic::error(
                    Code::E0204,
                    span,
                    format!("`{kind} {name}` is declared twice"),
                )
                .label("declared again here")
                .with(*prev, "first declared here")
                .help("remove one of them, or give them different names"),
            );
            return false;
        }
        self.names.insert(key, span);
        true
    }
}

pub(super) fn label(b: &Block, diags: &mut Diagnostics, example: &str) -> Option<Spanned<String>> {
    match b.labels.as_slice() {
        [one] => Some(one.clone()),
        [] => {
            diags.push(
                Diagnostic::error(
                    Code::E0213,
                    b.kind.span,
                    format!("`{}` needs a name", b.kind.node),
                )
                .label("no name after the block kind")
                .help(format!("write `{} {example} {{ ... }}`", b.kind.node)),
            );
            None
        }
        [_, extra, ..] => {
            diags.push(
                Diagnostic::error(
                    Code::E0213,
                    extra.span,
                    format!("`{}` takes one name", b.kind.node),
                )
                .label("unexpected second name")
                .help(format!("write `{} {example} {{ ... }}`", b.kind.node)),
            );
            None
        }
    }
}

pub(super) fn no_labels(b: &Block, diags: &mut Diagnostics) {
    if let Some(l) = b.labels.first() {
        diags.push(
            Diagnostic::error(
                Code::E0213,
                l.span,
                format!("`{}` takes no name", b.kind.node),
            )
            .label("unexpected name")
            .help(format!("write `{} {{ ... }}`", b.kind.node)),
        );
    }
}

pub(super) fn read_library_block(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    let kind = b.kind.node.as_str();
    match kind {
        "release" => read_release(lib, seen, b, diags),
        "os" => read_os(lib, seen, b, diags),
        "docker_repository" => read_docker(lib, seen, b, diags),
        "nomad_client" => read_nomad(lib, seen, b, diags),
        "replicated" => read_replicated(lib, seen, b, diags),
        "machine" => read_machine(lib, seen, b, diags),
        "output" => read_output(lib, seen, b, diags),
        "actor" => {
            let Some(name) = label(b, diags, "users") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("actor `{}`", name.node),
                b.span,
                &b.entries,
                &["description", "sources", "destinations", "required"],
                &[],
                false,
                diags,
            );
            let description = f
                .string("description", "\"End users\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let sources = f.cidrs("sources", diags).unwrap_or_default();
            let destinations = f
                .cidrs("destinations", diags)
                .unwrap_or_else(|| sources.clone());
            let required = f.condition("required", lib, diags);
            lib.actors.insert(
                name.node.clone(),
                ActorDef {
                    name: name.node,
                    description,
                    sources,
                    destinations,
                    required,
                    span: b.span,
                },
            );
        }
        "externalizable" => {
            let Some(name) = label(b, diags, "postgres") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("externalizable `{}`", name.node),
                b.span,
                &b.entries,
                &["description", "port"],
                &[],
                false,
                diags,
            );
            let description = f
                .string("description", "\"PostgreSQL servers\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let port = f
                .int("port", "<port>", diags)
                .map(|(p, s)| port_u16(p, s, diags))
                .unwrap_or(0);
            lib.externals.insert(
                name.node.clone(),
                ExternalDef {
                    name: name.node,
                    description,
                    default_port: port,
                    span: b.span,
                },
            );
        }
        "regions" => {
            let Some(partition) = label(b, diags, "aws") else {
                return;
            };
            let f = fields(
                "`regions`",
                b.span,
                &b.entries,
                &["names"],
                &[],
                false,
                diags,
            );
            for r in f
                .strings("names", "\"<region>\"", diags)
                .unwrap_or_default()
            {
                lib.regions.push(r.clone());
                lib.partitions.insert(r, partition.node.clone());
            }
        }
        "instance_type" => {
            let Some(name) = label(b, diags, "\"m4.2xlarge\"") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("instance type `{}`", name.node),
                b.span,
                &b.entries,
                &[
                    "vcpu",
                    "memory",
                    "network",
                    "bandwidth",
                    "baseline",
                    "burst",
                ],
                &[],
                false,
                diags,
            );
            let vcpu = f.int("vcpu", "8", diags).map(|v| v.0);
            let memory = f.size("memory", "32 GiB", diags).map(|v| v.0);
            let network = f.string("network", "\"High\"", diags).map(|s| s.node);
            let bandwidth = f.bandwidth("bandwidth", "1000 Mbps", diags);
            let baseline = f.get("baseline").and_then(|v| match v.node {
                Value::Bandwidth { mbps } => Some(mbps),
                ref other => {
                    type_error(v.span, "a bandwidth", other, "750 Mbps", diags);
                    None
                }
            });
            let burst = f.opt_bool("burst", diags).unwrap_or(false);
            if let (Some(vcpu), Some(memory_bytes), Some(network), Some(bandwidth)) =
                (vcpu, memory, network, bandwidth)
            {
                lib.instance_types.insert(
                    name.node.clone(),
                    InstanceType {
                        name: name.node,
                        vcpu,
                        memory_bytes,
                        network,
                        network_mbps: if burst {
                            baseline.unwrap_or(bandwidth)
                        } else {
                            bandwidth
                        },
                        network_burst: burst,
                    },
                );
            }
        }
        "services_sizing" => {
            let Some(name) = label(b, diags, "\"<50\"") else {
                return;
            };
            let f = fields(
                format!("services sizing row `{}`", name.node),
                b.span,
                &b.entries,
                &["users", "cpu", "memory", "disk", "nic"],
                &[],
                false,
                diags,
            );
            let users = f.range("users", "0..49", diags);
            let cpu = f.int("cpu", "8", diags);
            let memory = f.size("memory", "32 GiB", diags);
            let disk = f.size("disk", "100 GiB", diags);
            let nic = f.bandwidth("nic", "1 Gbps", diags);
            if let (Some(u), Some(c), Some(m), Some(d), Some(n)) = (users, cpu, memory, disk, nic) {
                lib.services_sizing.push(SizingRow {
                    label: name.node,
                    users_first: u.0,
                    users_last: u.1,
                    cpu: c.0,
                    memory_bytes: m.0,
                    disk_bytes: d.0,
                    nic_mbps: n,
                    span: b.span,
                });
            }
        }
        "nomad_requirements" => {
            no_labels(b, diags);
            if !seen.first(kind, "", b.span, diags) {
                return;
            }
            let keys = [
                "min_vcpu",
                "min_memory",
                "min_disk",
                "nic",
                "max_vcpu",
                "max_memory",
                "reserved_vcpu",
                "reserved_memory",
            ];
            let f = fields(
                "`nomad_requirements`",
                b.span,
                &b.entries,
                &keys,
                &[],
                false,
                diags,
            );
            lib.nomad_requirements = NomadRequirements {
                min_vcpu: f.int("min_vcpu", "4", diags).map_or(0, |v| v.0),
                min_memory_bytes: f.size("min_memory", "16 GiB", diags).map_or(0, |v| v.0),
                min_disk_bytes: f.size("min_disk", "100 GiB", diags).map_or(0, |v| v.0),
                max_vcpu: f.int("max_vcpu", "64", diags).map_or(u64::MAX, |v| v.0),
                max_memory_bytes: f
                    .size("max_memory", "128 GiB", diags)
                    .map_or(u64::MAX, |v| v.0),
                reserved_vcpu: f.int("reserved_vcpu", "2", diags).map_or(0, |v| v.0),
                reserved_memory_bytes: f.size("reserved_memory", "4 GiB", diags).map_or(0, |v| v.0),
                nic_mbps: f.bandwidth("nic", "1 Gbps", diags).unwrap_or(0),
                span: b.span,
            };
        }
        "nomad_count" => {
            let Some(name) = label(b, diags, "\"<50\"") else {
                return;
            };
            let f = fields(
                format!("Nomad count row `{}`", name.node),
                b.span,
                &b.entries,
                &["users", "clients"],
                &[],
                false,
                diags,
            );
            let users = f.range("users", "0..49", diags);
            let clients = f.range("clients", "1..5", diags);
            if let (Some(u), Some(c)) = (users, clients) {
                lib.nomad_counts.push(NomadCountRow {
                    label: name.node,
                    users_first: u.0,
                    users_last: u.1,
                    clients_min: c.0,
                    clients_max: c.1,
                    span: b.span,
                });
            }
        }
        "policy" => {
            let Some(name) = label(b, diags, "installer") else {
                return;
            };
            if !seen.first(kind, &name.node, name.span, diags) {
                return;
            }
            let f = fields(
                format!("policy `{}`", name.node),
                b.span,
                &b.entries,
                &["file", "description"],
                &["statement"],
                false,
                diags,
            );
            let file = f
                .string("file", "\"installer-policy.json\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let description = f
                .string("description", "\"...\"", diags)
                .map(|s| s.node)
                .unwrap_or_default();
            let mut statements = Vec::new();
            for s in &f.blocks {
                let Some(sid) = label(s, diags, "Bucket") else {
                    continue;
                };
                let sf = fields(
                    format!("statement `{}`", sid.node),
                    s.span,
                    &s.entries,
                    &[
                        "effect",
                        "actions",
                        "resources",
                        "principal_service",
                        "principal_aws",
                        "when",
                    ],
                    &["condition"],
                    false,
                    diags,
                );
                let effect = sf
                    .opt_string("effect", "\"Allow\"", diags)
                    .map(|s| s.node)
                    .unwrap_or_else(|| "Allow".into());
                let actions = sf
                    .strings("actions", "\"s3:GetObject\"", diags)
                    .unwrap_or_default();
                let resources = sf.strings("resources", "\"*\"", diags).unwrap_or_default();
                let principal_service = sf
                    .opt_string("principal_service", "\"ec2.amazonaws.com\"", diags)
                    .map(|s| s.node);
                let principal_aws = sf
                    .opt_string(
                        "principal_aws",
                        "\"arn:{partition}:iam::{caller_account}:root\"",
                        diags,
                    )
                    .map(|s| s.node);
                let when = sf.condition("when", lib, diags);
                let mut conditions = Vec::new();
                for c in &sf.blocks {
                    no_labels(c, diags);
                    let cf = fields(
                        "`condition`",
                        c.span,
                        &c.entries,
                        &["test", "variable", "values"],
                        &[],
                        false,
                        diags,
                    );
                    if let (Some(test), Some(variable), Some(values)) = (
                        cf.string("test", "\"StringEquals\"", diags),
                        cf.string("variable", "\"aws:ResourceTag/ManagedBy\"", diags),
                        cf.strings("values", "\"circleci\"", diags),
                    ) {
                        conditions.push(ConditionDef {
                            test: test.node,
                            variable: variable.node,
                            values,
                        });
                    }
                }
                statements.push(StatementDef {
                    sid: sid.node,
                    effect,
                    actions,
                    resources,
                    principal_service,
                    principal_aws,
                    conditions,
                    when,
                });
            }
            lib.policies.push(PolicyDef {
                name: name.node,
                file,
                description,
                statements,
            });
        }
        _ => unreachable!("only library kinds reach here"),
    }
}

pub(super) fn port_u16(p: u64, span: Span, diags: &mut Diagnostics) -> u16 {
    match u16::try_from(p) {
        Ok(p) => p,
        Err(_) => {
            diags.push(
                Diagnostic::error(Code::E0302, span, format!("port {p} is out of range"))
                    .label("ports are 0..65535")
                    .help("use a port between 0 and 65535"),
            );
            0
        }
    }
}
