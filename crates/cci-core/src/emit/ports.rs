//! `security-groups.json` (the EC2 API's `IpPermissions` shape) and `ports.md` (the port
//! matrix a reviewer reads: every flow, its purpose and the guide section it comes from).

use super::{render, EmitError, Input, Outputs, Templates};
use crate::ast::Protocol;
use crate::matrix::{endpoint_text, Matrix};
use crate::model::ports_text;
use crate::model::{EndpointRef, Rule};
use crate::network::{Direction, Peer, SgRule};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn emit(input: &Input, t: &Templates, out: &mut Outputs) -> Result<(), EmitError> {
    let net = input.net;
    let mut groups = Vec::new();
    for (g, rules) in net.rules_by_group() {
        let (ingress, egress): (Vec<&SgRule>, Vec<&SgRule>) = rules
            .into_iter()
            .partition(|r| r.direction == Direction::Ingress);
        groups.push(object([
            ("GroupName", json!(g.name)),
            ("Description", json!(g.description)),
            ("VpcId", json!(input.site.vpc)),
            ("IpPermissions", permissions(&ingress, input)),
            ("IpPermissionsEgress", permissions(&egress, input)),
        ]));
    }
    let doc = object([("SecurityGroups", Value::Array(groups))]);
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| EmitError(e.to_string()))?;
    text.push('\n');
    out.files.insert("security-groups.json".into(), text);

    let matrix = matrix_rows(input);
    let flows: Vec<Value> = net
        .flows
        .applied
        .iter()
        .map(|r| flow_row(r, input))
        .collect();
    let skipped: Vec<Value> = net
        .flows
        .skipped
        .iter()
        .map(|(r, why)| {
            let mut row = flow_row(r, input);
            row["why"] = json!(why);
            row["restore"] = json!(restore_line(r));
            row
        })
        .collect();
    let perms: Vec<Value> = net
        .rules
        .iter()
        .map(|r| {
            json!({
                "group": net.group_name(&r.group),
                "direction": match r.direction { Direction::Ingress => "in", Direction::Egress => "out" },
                "ports": ports_text(r.protocol, r.ports),
                "peer": peer_text(&r.peer, input),
                "reasons": r.reasons.len(),
            })
        })
        .collect();
    let md = render(
        t,
        "ports",
        object([
            ("source", json!(input.source_name)),
            ("site", json!(input.site.name)),
            ("release", json!(input.lib.release)),
            ("matrix_count", json!(matrix.len())),
            ("matrix", Value::Array(matrix)),
            ("flows", Value::Array(flows)),
            ("skipped", Value::Array(skipped)),
            ("permissions", Value::Array(perms)),
            ("permission_count", json!(net.rules.len())),
        ]),
    )?;
    out.files.insert("ports.md".into(), md);
    Ok(())
}

/// `IpRanges`, `Ipv6Ranges` and `UserIdGroupPairs` of one permission.
type Peers = (Vec<Value>, Vec<Value>, Vec<Value>);

/// Groups a group's rules by (protocol, ports) as the EC2 API does.
fn permissions(rules: &[&SgRule], input: &Input) -> Value {
    let mut by_key: BTreeMap<(String, Option<(u16, u16)>), Peers> = BTreeMap::new();
    for r in rules {
        let proto = match r.protocol {
            Protocol::All => "-1".to_string(),
            p => p.as_str().to_string(),
        };
        let entry = by_key.entry((proto, r.ports)).or_default();
        match &r.peer {
            Peer::Cidr(c @ ipnet::IpNet::V4(_)) => entry
                .0
                .push(json!({ "CidrIp": c.to_string(), "Description": r.description() })),
            Peer::Cidr(c @ ipnet::IpNet::V6(_)) => entry
                .1
                .push(json!({ "CidrIpv6": c.to_string(), "Description": r.description() })),
            Peer::Group(g) => {
                let name = input.net.group_name(g);
                entry
                    .2
                    .push(json!({ "GroupName": name, "Description": r.description() }))
            }
        }
    }
    let perms: Vec<Value> = by_key
        .into_iter()
        .map(|((proto, ports), (ranges, ranges6, pairs))| {
            let mut m = Map::new();
            m.insert("IpProtocol".into(), json!(proto));
            if let Some((a, b)) = ports {
                m.insert("FromPort".into(), json!(a));
                m.insert("ToPort".into(), json!(b));
            }
            m.insert("IpRanges".into(), Value::Array(ranges));
            if !ranges6.is_empty() {
                m.insert("Ipv6Ranges".into(), Value::Array(ranges6));
            }
            m.insert("UserIdGroupPairs".into(), Value::Array(pairs));
            Value::Object(m)
        })
        .collect();
    Value::Array(perms)
}

/// The one line a site adds to open a guide row the stdlib narrowed or left closed with
/// reasons (`when = never`): the row as a rule of the site's own. Empty for rows that open by
/// themselves when the site changes (an externalized service, vm-service, ...).
fn restore_line(r: &Rule) -> String {
    if r.when != crate::model::Condition::Never {
        return String::new();
    }
    let side = |e: &EndpointRef| match e {
        EndpointRef::Services => "services".to_string(),
        EndpointRef::AllFleets => "nomad".to_string(),
        EndpointRef::Vms => "vms".to_string(),
        EndpointRef::Fleet(n) | EndpointRef::External(n) | EndpointRef::Actor(n) => n.clone(),
        EndpointRef::Cidr(c) => c.to_string(),
    };
    let ports = match r.ports {
        None => String::new(),
        Some((a, b)) if a == b => format!(" {a}"),
        Some((a, b)) => format!(" {a}-{b}"),
    };
    format!(
        "allow {}{ports} from {} to {} \"{}\"",
        r.protocol.as_str(),
        side(&r.from),
        side(&r.to),
        r.purpose.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

fn peer_text(p: &Peer, input: &Input) -> String {
    match p {
        Peer::Group(g) => input.net.group_name(g).to_string(),
        Peer::Cidr(c) => c.to_string(),
    }
}

/// The port matrix's rows (`matrix.rs`), as ports.md's first table shows them.
fn matrix_rows(input: &Input) -> Vec<Value> {
    let m = Matrix::new(input.net, input.site);
    m.rows
        .iter()
        .map(|r| {
            let from = m.from(r);
            let ranges: Vec<String> = from.ranges.iter().map(|n| n.to_string()).collect();
            object([
                ("from", json!(from.name)),
                ("to", json!(m.to(r).name)),
                ("ports", json!(r.ports_text())),
                ("exposure", json!(from.exposure.as_str())),
                ("ranges", json!(ranges.join(", "))),
                ("purpose", json!(r.purposes.join("; "))),
            ])
        })
        .collect()
}

fn flow_row(r: &Rule, input: &Input) -> Value {
    json!({
        "from": endpoint_text(&r.from, input.site),
        "to": endpoint_text(&r.to, input.site),
        "ports": ports_text(r.protocol, r.ports),
        "purpose": r.purpose,
        "origin": r.origin,
        "decision": r.decision.clone().unwrap_or_default(),
    })
}

/// A JSON object that takes its values (`json!` would copy each one: for a site with many
/// rules these are the port matrix's tens of megabytes).
fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
