//! The outputs of one build agree with each other: the security-group permissions in
//! `security-groups.json`, the rule resources in `terraform/security-groups.tf` and the
//! permission table of `ports.md` are the same set.

use std::collections::{BTreeMap, BTreeSet};

/// (group name, direction, protocol, first port, last port, peer): one permission.
type Permission = (String, String, String, String, String, String);

pub fn check(files: &BTreeMap<String, String>) -> Result<usize, String> {
    let json = from_json(&files["security-groups.json"])?;
    let tf = from_terraform(&files["terraform/security-groups.tf"])?;
    let md = from_port_matrix(&files["ports.md"])?;
    if json != tf {
        return Err(difference(
            "security-groups.json",
            &json,
            "security-groups.tf",
            &tf,
        ));
    }
    if json != md {
        return Err(difference("security-groups.json", &json, "ports.md", &md));
    }
    Ok(json.len())
}

fn difference(a: &str, x: &BTreeSet<Permission>, b: &str, y: &BTreeSet<Permission>) -> String {
    format!(
        "{a} and {b} disagree: only in {a}: {:?}; only in {b}: {:?}",
        x.difference(y).take(3).collect::<Vec<_>>(),
        y.difference(x).take(3).collect::<Vec<_>>()
    )
}

fn from_json(text: &str) -> Result<BTreeSet<Permission>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = BTreeSet::new();
    for g in doc["SecurityGroups"]
        .as_array()
        .ok_or("no SecurityGroups")?
    {
        let group = g["GroupName"].as_str().unwrap_or_default().to_string();
        for (key, dir) in [("IpPermissions", "in"), ("IpPermissionsEgress", "out")] {
            for p in g[key].as_array().ok_or("no permissions")? {
                let proto = p["IpProtocol"].as_str().unwrap_or_default().to_string();
                let (from, to) = (port(&p["FromPort"]), port(&p["ToPort"]));
                let peers = p["IpRanges"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r["CidrIp"].as_str().unwrap_or_default().to_string())
                    .chain(
                        p["Ipv6Ranges"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|r| r["CidrIpv6"].as_str().unwrap_or_default().to_string()),
                    )
                    .chain(
                        p["UserIdGroupPairs"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|r| r["GroupName"].as_str().unwrap_or_default().to_string()),
                    );
                for peer in peers {
                    out.insert((
                        group.clone(),
                        dir.into(),
                        proto.clone(),
                        from.clone(),
                        to.clone(),
                        peer,
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn port(v: &serde_json::Value) -> String {
    v.as_u64().map(|n| n.to_string()).unwrap_or_default()
}

/// Reads the rule resources (one attribute per line, `key = value`) of security-groups.tf.
fn from_terraform(text: &str) -> Result<BTreeSet<Permission>, String> {
    let mut names = BTreeMap::new();
    let mut out = BTreeSet::new();
    for block in text.split("\nresource ").skip(1) {
        let attrs: BTreeMap<&str, &str> = block
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')))
            .collect();
        let id = block.split('"').nth(3).unwrap_or_default();
        if block.starts_with("\"aws_security_group\"") {
            let prefix = attrs
                .get("name_prefix")
                .ok_or("a group without name_prefix")?;
            names.insert(id.to_string(), prefix.trim_end_matches('-').to_string());
        }
    }
    let group = |reference: &str| -> String {
        let id = reference
            .trim_start_matches("aws_security_group.")
            .trim_end_matches(".id");
        names.get(id).cloned().unwrap_or_else(|| id.to_string())
    };
    for block in text.split("\nresource ").skip(1) {
        let dir = if block.starts_with("\"aws_vpc_security_group_ingress_rule\"") {
            "in"
        } else if block.starts_with("\"aws_vpc_security_group_egress_rule\"") {
            "out"
        } else {
            continue;
        };
        let attrs: BTreeMap<&str, &str> = block
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')))
            .collect();
        let get = |k: &str| attrs.get(k).copied().unwrap_or_default().to_string();
        let peer = match attrs.get("cidr_ipv4").or(attrs.get("cidr_ipv6")) {
            Some(c) => c.to_string(),
            None => group(&get("referenced_security_group_id")),
        };
        out.insert((
            group(&get("security_group_id")),
            dir.into(),
            get("ip_protocol"),
            get("from_port"),
            get("to_port"),
            peer,
        ));
    }
    Ok(out)
}

/// Reads the permission table of ports.md: `| group | in | 80/tcp | peer | n |`.
fn from_port_matrix(text: &str) -> Result<BTreeSet<Permission>, String> {
    let table = text
        .split("## Security-group permissions")
        .nth(1)
        .ok_or("no permission table in ports.md")?;
    let mut out = BTreeSet::new();
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| group"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [group, dir, ports, peer, _] = cells[..] else {
            return Err(format!(
                "a row of ports.md with {} cells: {line}",
                cells.len()
            ));
        };
        let (range, proto) = match ports.split_once('/') {
            Some((r, p)) => (r, p),
            None => ("", ports),
        };
        let (from, to) = range.split_once('-').unwrap_or((range, range));
        let proto = if proto == "all" { "-1" } else { proto };
        out.insert((
            group.into(),
            dir.into(),
            proto.into(),
            from.into(),
            to.into(),
            peer.into(),
        ));
    }
    Ok(out)
}
