//! The stdlib against the guide: every row of the guide's port tables is in the stdlib,
//! every row that applies to a non-externalized install is in the default site's security
//! groups with its purpose, the sizing tables have no gaps or overlaps, and the outputs
//! follow the stdlib's data with no Rust change.

use cci_core::model::{Condition, EndpointRef};
use cci_core::network::Direction;

/// The guide's port-table rows, transcribed independently of the stdlib:
/// `table | protocol | ports | purpose` (chapter 1 tables and the appendix, Server Ports).
const GUIDE_ROWS: &str = "
guide ch. 1, Services Instance|tcp|80|HTTP/HTTPS Traffic
guide ch. 1, Services Instance|tcp|443|HTTP/HTTPS Traffic
guide ch. 1, Services Instance|tcp|4434|HTTP/HTTPS Traffic
guide ch. 1, Services Instance|tcp|22|SSH
guide ch. 1, Services Instance|tcp|8800|Admin Console
guide ch. 1, Services Instance|all|-|Internal Communication
guide ch. 1, Services Instance|tcp|80|Incoming Webhooks
guide ch. 1, Services Instance|tcp|443|Incoming Webhooks
guide ch. 1, Nomad Clients|tcp|64535-65535|SSH into builds
guide ch. 1, Nomad Clients|tcp|80|CCI API Access
guide ch. 1, Nomad Clients|tcp|443|CCI API Access
guide ch. 1, Nomad Clients|tcp|22|SSH
guide ch. 1, Nomad Clients|all|-|Internal Comms
guide ch. 1, Nomad Clients|all|-|Internal Comms
guide ch. 1, GitHub|tcp|22|Git Access
guide ch. 1, GitHub|tcp|80|API Access
guide ch. 1, GitHub|tcp|443|API Access
guide appendix, Services Machine|tcp|80|HTTP web app traffic
guide appendix, Services Machine|tcp|443|HTTPS web app traffic
guide appendix, Services Machine|tcp|7171|Artifacts access
guide appendix, Services Machine|tcp|8081|Artifacts access
guide appendix, Services Machine|tcp|22|SSH
guide appendix, Services Machine|tcp|8800|Admin console
guide appendix, Services Machine|udp|8125|Metrics
guide appendix, Services Machine|tcp|4647|Internal communication
guide appendix, Services Machine|tcp|8585|Internal communication
guide appendix, Services Machine|tcp|7171|Internal communication
guide appendix, Services Machine|tcp|3001|Internal communication
guide appendix, Services Machine|tcp|80|Webhooks / API access
guide appendix, Services Machine|tcp|443|Webhooks / API access
guide appendix, Services Machine|tcp|80|API access
guide appendix, Services Machine|tcp|443|API access
guide appendix, Services Machine|tcp|5432|PostgreSQL database connection
guide appendix, Services Machine|tcp|27017|MongoDB database connection
guide appendix, Services Machine|tcp|5672|RabbitMQ connection
guide appendix, Services Machine|tcp|6379|Redis connection
guide appendix, Services Machine|tcp|4647|Nomad Server connection
guide appendix, Services Machine|tcp|443|Metrics
guide appendix, Nomad Clients|tcp|64535-65535|SSH into builds feature
guide appendix, Nomad Clients|tcp|80|CircleCI Admin API access
guide appendix, Nomad Clients|tcp|443|CircleCI Admin API access
guide appendix, Nomad Clients|tcp|22|SSH
guide appendix, Nomad Clients|tcp|22|Download Code From Github
guide appendix, Nomad Clients|tcp|4647|Internal communication
guide appendix, Nomad Clients|tcp|8585|Internal communication
guide appendix, Nomad Clients|tcp|7171|Internal communication
guide appendix, Nomad Clients|tcp|3001|Internal communication
guide appendix, Nomad Clients|tcp|443|Artifacts storage
guide appendix, Nomad Clients|udp|53|DNS resolution
guide appendix, GitHub|tcp|22|Git access
guide appendix, GitHub|tcp|80|API access
guide appendix, GitHub|tcp|443|API access
guide appendix, GitHub|tcp|80|Webhooks / API access
guide appendix, GitHub|tcp|443|Webhooks / API access
guide appendix, PostgreSQL Servers|tcp|5432|PostgreSQL replication
guide appendix, MongoDB Servers|tcp|27017|MongoDB replication
guide appendix, RabbitMQ Servers|tcp|5672|RabbitMQ connection
guide appendix, RabbitMQ Servers|tcp|5672|RabbitMQ mirroring
guide appendix, Redis Servers|tcp|6379|Redis connection
guide appendix, Redis Servers|tcp|6379|Redis replication
guide appendix, Nomad Servers|tcp|4646|Nomad Server connection
guide appendix, Nomad Servers|tcp|4647|Nomad Server connection
guide appendix, Nomad Servers|tcp|4648|Nomad Servers internal communication
";

fn stdlib() -> cci_core::model::Stdlib {
    let c = cci_core::compile(
        "site.cci",
        &std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap(),
        &cci_core::stdlib::embedded(),
    );
    assert!(!c.has_errors(), "{}", crate::rendered(&c));
    c.stdlib
}

fn ports_of(spec: &str) -> Option<(u16, u16)> {
    match spec {
        "-" => None,
        s => Some(match s.split_once('-') {
            Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
            None => (s.parse().unwrap(), s.parse().unwrap()),
        }),
    }
}

#[test]
fn every_row_of_the_guides_port_tables_is_in_the_stdlib() {
    let lib = stdlib();
    let mut missing = Vec::new();
    for line in GUIDE_ROWS.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        let (table, proto, ports, purpose) = (f[0], f[1], ports_of(f[2]), f[3]);
        let found = lib.rules.iter().any(|r| {
            r.origin.starts_with(table)
                && r.purpose.starts_with(purpose)
                && ((r.protocol.as_str() == proto && r.ports == ports)
                    // Chapter 1's "all traffic" rows may be narrowed, saying so.
                    || (proto == "all" && r.decision.as_deref().is_some_and(|d| d.contains("narrowed") || d.contains("not opened"))))
        });
        if !found {
            missing.push(line);
        }
    }
    assert!(
        missing.is_empty(),
        "guide rows missing from the stdlib:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_guide_rule_for_a_non_externalized_install_is_in_the_default_sites_security_groups() {
    let b = crate::build_file(&crate::root().join("examples/default.cci"));
    let net = b.network.as_ref().expect("network planned");
    let site = b.compilation.site.as_ref().unwrap();
    assert!(
        site.externals.is_empty(),
        "the default site externalizes nothing"
    );
    let mut checked = 0;
    for rule in b
        .compilation
        .stdlib
        .rules
        .iter()
        .filter(|r| r.origin.starts_with("guide"))
    {
        let applies = matches!(
            rule.when,
            Condition::Always | Condition::GithubCom | Condition::Embedded(_)
        );
        if !applies {
            // Not opened here: the port matrix must say why.
            assert!(
                matches!(
                    rule.when,
                    Condition::External(_) | Condition::GithubEnterprise
                ) || rule.decision.is_some(),
                "{} {:?} is never opened and says not why",
                rule.purpose,
                rule.ports
            );
            let md = &b.outputs.as_ref().unwrap().files["ports.md"];
            assert!(
                md.contains(&rule.purpose),
                "ports.md does not list `{}`",
                rule.purpose
            );
            continue;
        }
        // The groups the flow reaches (ingress) and leaves (egress).
        let groups = |e: &EndpointRef| -> Vec<String> {
            match e {
                EndpointRef::Services => vec!["services".into()],
                // Every fleet's clients hold the shared Nomad group.
                EndpointRef::AllFleets if !site.fleets.is_empty() => vec!["nomad".into()],
                _ => vec![],
            }
        };
        let mut wanted: Vec<(String, Direction)> = groups(&rule.to)
            .into_iter()
            .map(|g| (g, Direction::Ingress))
            .collect();
        wanted.extend(
            groups(&rule.from)
                .into_iter()
                .map(|g| (g, Direction::Egress)),
        );
        assert!(
            !wanted.is_empty(),
            "{} touches no managed group",
            rule.purpose
        );
        for (group, dir) in wanted {
            let present = net.rules.iter().any(|p| {
                p.group == group
                    && p.direction == dir
                    && p.protocol == rule.protocol
                    && p.ports == rule.ports
                    && p.reasons
                        .iter()
                        .any(|r| r.purpose == rule.purpose && r.origin == rule.origin)
            });
            assert!(
                present,
                "`{}` ({} {:?}, {}) is not on {group} {dir:?}",
                rule.purpose, rule.protocol, rule.ports, rule.origin
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} permissions checked");
    // And its purpose reaches the description Terraform writes.
    let sg = &b.outputs.as_ref().unwrap().files["terraform/security-groups.tf"];
    assert!(sg.contains("Admin console (guide appendix, Services Machine)"));
    assert!(sg.contains("SSH into builds feature (guide appendix, Nomad Clients)"));
}

#[test]
fn no_ingress_from_the_whole_internet_in_the_default_site() {
    let b = crate::build_file(&crate::root().join("examples/default.cci"));
    for p in &b.network.unwrap().rules {
        if p.direction == Direction::Ingress {
            if let cci_core::network::Peer::Cidr(c) = p.peer {
                assert_ne!(c.prefix_len(), 0, "{} is open to the internet", p.tf_name());
            }
        }
    }
}

#[test]
fn the_sizing_tables_cover_every_user_count_exactly_once() {
    let lib = stdlib();
    for users in 1..=20_000u64 {
        let rows = lib
            .services_sizing
            .iter()
            .filter(|r| users >= r.users_first && r.users_last.is_none_or(|l| users <= l))
            .count();
        assert_eq!(rows, 1, "{users} users fall in {rows} services sizing rows");
        let rows = lib
            .nomad_counts
            .iter()
            .filter(|r| users >= r.users_first && r.users_last.is_none_or(|l| users <= l))
            .count();
        assert_eq!(rows, 1, "{users} users fall in {rows} Nomad count rows");
    }
    // The guide's ambiguous bounds, as decided in stdlib/circleci-2.16/sizing.cci.
    assert_eq!(lib.sizing_row(250).unwrap().label, "50-250");
    assert_eq!(lib.sizing_row(5000).unwrap().label, "1001-5000");
    assert_eq!(lib.sizing_row(5001).unwrap().label, "5000+");
    assert_eq!(lib.count_row(250).unwrap().clients_min, 5);
    assert_eq!(lib.count_row(3000).unwrap().clients_min, 15);
}

/// The instance types the stdlib names outside its catalog (the machines' recommended type,
/// enterprise-setup's defaults, the types helps suggest) are in the catalog: they are read as
/// strings, before the catalog is.
#[test]
fn every_instance_type_the_stdlib_names_is_in_its_catalog() {
    let lib = stdlib();
    let named = [
        &lib.services_machine.instance,
        &lib.nomad_machine.instance,
        &lib.enterprise_setup.services_instance,
        &lib.enterprise_setup.nomad_instance,
    ]
    .into_iter();
    let mut checked = 0;
    for t in named {
        assert!(
            lib.instance_types.contains_key(t),
            "`{t}` is not in the catalog"
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} types named");
    assert!(lib.nomad_servers().is_some(), "nomad_client's servers");
    assert!(lib.administrators().is_some(), "an administrative actor");
}

#[test]
fn the_instance_catalog_covers_the_required_families() {
    let lib = stdlib();
    for family in ["m4", "m5", "c5", "r5", "t3"] {
        let n = lib
            .instance_types
            .keys()
            .filter(|k| k.starts_with(&format!("{family}.")))
            .count();
        assert!(n >= 5, "{family}: {n} types");
    }
    let m4 = &lib.instance_types["m4.2xlarge"];
    assert_eq!(
        (m4.vcpu, m4.memory_bytes),
        (8, 32 << 30),
        "the guide's m4.2xlarge: 8 vCPUs, 32GB"
    );
}

#[test]
fn changing_a_port_in_the_stdlib_changes_the_outputs() {
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let mut lib = cci_core::stdlib::embedded();
    let mut edits = 0;
    for (_, text) in lib.iter_mut() {
        let new = text.replace("allow tcp 8800 from admins", "allow tcp 8801 from admins");
        edits += text.matches("allow tcp 8800 from admins").count();
        *text = new;
    }
    assert!(edits >= 2, "both admin-console rows changed");
    let b = cci_core::build("site.cci", &site, &lib);
    let out = b.outputs.expect("builds");
    let sg = &out.files["terraform/security-groups.tf"];
    assert!(sg.contains("from_port         = 8801"));
    assert!(!sg.contains("= 8800"));
    assert!(out.files["ports.md"].contains("8801/tcp"));
    let json = &out.files["security-groups.json"];
    assert!(json.contains("\"FromPort\": 8801") && !json.contains("8800"));
}

/// The installer policy is close to AWS's 6,144-character limit for managed policies; the
/// longest names (a 32-character site in GovCloud with an account id) must still fit.
#[test]
fn the_iam_policies_fit_awss_size_limit_for_the_longest_names() {
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci"))
        .unwrap()
        .replace("site \"acme\"", "site \"abcdefghijklmnopqrstuvwxyz-12345\"")
        .replace(
            "region  = \"us-west-2\"",
            "region  = \"us-gov-west-1\"\n    account = \"123456789012\"",
        );
    let b = cci_core::build("long.cci", &site, &cci_core::stdlib::embedded());
    let out = b
        .outputs
        .unwrap_or_else(|| panic!("{}", crate::rendered(&b.compilation)));
    for (file, text) in out.files.iter().filter(|(f, _)| f.starts_with("iam/")) {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let size = serde_json::to_string(&v).unwrap().len();
        assert!(
            size <= cci_core::emit::iam::POLICY_SIZE_LIMIT,
            "{file}: {size} characters"
        );
        assert!(
            !text.contains("arn:aws:"),
            "{file}: GovCloud ARNs use the aws-us-gov partition"
        );
    }
}

/// The services and Nomad groups reference each other (4647 in, 4646-4648 out); the rules are
/// resources of their own, so the graph has no cycle and both groups come before their rules.
#[test]
fn groups_that_reference_each_other_make_no_cycle() {
    let b = crate::build_file(&crate::root().join("examples/default.cci"));
    let net = b.network.as_ref().unwrap();
    let refers = |from: &str, to: &str| {
        net.rules
            .iter()
            .any(|r| r.group == from && r.peer == cci_core::network::Peer::Group(to.into()))
    };
    assert!(refers("services", "nomad") && refers("nomad", "services"));
    let g = b.graph.as_ref().unwrap();
    assert_eq!(
        g.order.len(),
        g.graph.node_count(),
        "every resource is ordered"
    );
    let pos = |addr: &str| g.nodes_in_order().position(|n| n.address == addr).unwrap();
    let rule = "aws_vpc_security_group_ingress_rule.services_in_tcp_4647_nomad";
    assert!(pos("aws_security_group.services") < pos(rule));
    assert!(pos("aws_security_group.nomad") < pos(rule));
    assert!(b
        .compilation
        .diagnostics
        .iter()
        .all(|d| d.code != cci_core::codes::Code::E0501));
}

/// The names a help puts in backticks after `after`.
fn named_after<'a>(help: &'a str, after: &str) -> Vec<&'a str> {
    let rest = help.split_once(after).map_or("", |(_, r)| r);
    rest.split('`').skip(1).step_by(2).collect()
}

/// For each row of the services sizing table, a services box far too small gets a help whose
/// every suggested type meets the whole row (vCPUs, memory, sustained network), and a
/// possible fix naming the first of them.
#[test]
fn every_type_a_sizing_help_suggests_meets_its_row() {
    let lib = stdlib();
    let default = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    assert!(lib.services_sizing.len() >= 5);
    for row in &lib.services_sizing {
        let site = default
            .replace(
                "daily_active_users = 40",
                &format!("daily_active_users = {}", row.users_first.max(1)),
            )
            .replacen("instance = \"m4.2xlarge\"", "instance = \"t3.nano\"", 1);
        let c = cci_core::compile("s.cci", &site, &cci_core::stdlib::embedded());
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code == cci_core::codes::Code::E0405);
        let d = d.unwrap_or_else(|| panic!("row `{}`: no E0405", row.label));
        let help = d.help.as_deref().unwrap();
        let named = named_after(help, "catalog:");
        assert!(!named.is_empty(), "row `{}`: {help}", row.label);
        for n in &named {
            let t = &lib.instance_types[*n];
            assert!(
                t.vcpu >= row.cpu
                    && t.memory_bytes >= row.memory_bytes
                    && t.network_mbps >= row.nic_mbps,
                "row `{}` ({} vCPUs, {} bytes, {} Mbps): `{n}` has {} vCPUs, {} bytes, {} Mbps",
                row.label,
                row.cpu,
                row.memory_bytes,
                row.nic_mbps,
                t.vcpu,
                t.memory_bytes,
                t.network_mbps
            );
        }
        assert_eq!(d.suggestions[0].replacement, format!("\"{}\"", named[0]));
    }
}

/// A Nomad client below the minimum is told the smallest types within the guide's minimum and
/// maximum.
#[test]
fn every_type_a_nomad_help_suggests_is_a_valid_client() {
    let lib = stdlib();
    let req = &lib.nomad_requirements;
    let default = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let site = default.replace(
        "instance = \"m4.2xlarge\"\n  count",
        "instance = \"t3.nano\"\n  count",
    );
    let c = cci_core::compile("s.cci", &site, &cci_core::stdlib::embedded());
    let mut seen = 0;
    for d in c.diagnostics.iter().filter(|d| {
        matches!(
            d.code,
            cci_core::codes::Code::E0401 | cci_core::codes::Code::E0402
        )
    }) {
        for n in named_after(d.help.as_deref().unwrap(), "catalog:") {
            let t = &lib.instance_types[n];
            assert!(t.vcpu >= req.min_vcpu && t.vcpu <= req.max_vcpu, "{n}");
            assert!(
                t.memory_bytes >= req.min_memory_bytes && t.memory_bytes <= req.max_memory_bytes,
                "{n}"
            );
            assert!(t.network_mbps >= req.nic_mbps, "{n}");
            seen += 1;
        }
    }
    assert!(seen >= 2, "{seen} types suggested");
}
