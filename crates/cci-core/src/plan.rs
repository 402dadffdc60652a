//! `cci-dsl plan`: what a checked site will hold, from the stdlib's data alone: containers per
//! Nomad client and fleet at each resource class (the guide: each client reserves two CPUs and
//! 4 GB, the rest runs builds), the services box against the guide's sizing row, the fleets
//! against the guide's client count, the monthly on-demand cost where the price table knows the
//! region, and the port matrix. Plain data; [`text`] and [`json`] render it.

use crate::matrix::Matrix;
use crate::model::{Fleet, InstanceType, Site, Stdlib};
use crate::network::Network;
use serde_json::{json, Value};

const GIB: u64 = 1 << 30;

/// Everything `plan` reports.
pub struct Plan {
    pub site: String,
    pub release: String,
    pub region: String,
    pub daily_active_users: u64,
    pub services: ServicesPlan,
    pub reserved_vcpu: u64,
    pub reserved_memory_gib: u64,
    pub fleets: Vec<FleetPlan>,
    /// The guide's recommended client count for the users: (row, min, max; `None` = open).
    pub recommended_clients: Option<(String, u64, Option<u64>)>,
    /// The clients all fleets may run: (sum of minimums, sum of maximums).
    pub clients: (u64, u64),
    pub cost: Cost,
    pub ports: Vec<PortRow>,
}

pub struct ServicesPlan {
    pub instance: String,
    pub vcpu: u64,
    pub memory_gib: u64,
    pub disk_gib: u64,
    /// The guide's sizing row for the users: (label, cores, RAM GiB, disk GiB, NIC Mbps).
    pub row: Option<(String, u64, u64, u64, u64)>,
    /// What falls short of the row; empty when it meets it.
    pub short_of: Vec<String>,
}

pub struct FleetPlan {
    pub name: String,
    pub instance: String,
    pub vcpu: u64,
    pub memory_gib: u64,
    pub min: u64,
    pub max: u64,
    /// Containers one client runs at each resource class, in the stdlib's order.
    pub per_client: Vec<(String, u64)>,
    /// The default class's containers for the whole fleet: (at min, at max).
    pub default_class: Option<(String, u64, u64)>,
}

/// Monthly on-demand cost in millionths of a dollar: (at every fleet's minimum, at maximum).
pub enum Cost {
    Known {
        min_micros: u64,
        max_micros: u64,
        hours_per_month: u64,
    },
    /// Why not: the region or an instance family is not in the price table.
    Unknown(String),
}

pub struct PortRow {
    pub from: String,
    pub to: String,
    pub ports: String,
    pub purpose: String,
}

pub fn plan(site: &Site, lib: &Stdlib, net: &Network) -> Plan {
    let req = &lib.nomad_requirements;
    let fleets: Vec<FleetPlan> = site.fleets.iter().map(|f| fleet(f, lib)).collect();
    let clients = site.fleets.iter().fold((0u64, 0u64), |(a, b), f| {
        (a.saturating_add(f.min), b.saturating_add(f.max))
    });
    Plan {
        site: site.name.clone(),
        release: lib.release.clone(),
        region: site.region.clone(),
        daily_active_users: site.daily_active_users,
        services: services(site, lib),
        reserved_vcpu: req.reserved_vcpu,
        reserved_memory_gib: req.reserved_memory_bytes / GIB,
        fleets,
        recommended_clients: lib
            .count_row(site.daily_active_users)
            .map(|r| (r.label.clone(), r.clients_min, r.clients_max)),
        clients,
        cost: cost(site, lib),
        ports: port_rows(site, net),
    }
}

/// The port matrix's rows (computed once, by [`Matrix`]), as the table prints them.
fn port_rows(site: &Site, net: &Network) -> Vec<PortRow> {
    let m = Matrix::new(net, site);
    m.rows
        .iter()
        .map(|r| PortRow {
            from: m.from(r).name.clone(),
            to: m.to(r).name.clone(),
            ports: r.ports_text(),
            purpose: r.purposes.join("; "),
        })
        .collect()
}

fn services(site: &Site, lib: &Stdlib) -> ServicesPlan {
    let s = &site.services;
    let row = lib.sizing_row(site.daily_active_users);
    let mut short_of = Vec::new();
    if let Some(r) = row {
        if s.instance.vcpu < r.cpu {
            short_of.push(format!("{} of {} cores", s.instance.vcpu, r.cpu));
        }
        if s.instance.memory_bytes < r.memory_bytes {
            short_of.push(format!(
                "{} of {} GiB RAM",
                s.instance.memory_bytes / GIB,
                r.memory_bytes / GIB
            ));
        }
        if s.disk_gib.saturating_mul(GIB) < r.disk_bytes {
            short_of.push(format!("{} of {} GiB disk", s.disk_gib, r.disk_bytes / GIB));
        }
        if s.instance.network_mbps < r.nic_mbps {
            short_of.push(format!(
                "{} of {} Mbps network",
                s.instance.network_mbps, r.nic_mbps
            ));
        }
    }
    ServicesPlan {
        instance: s.instance.name.clone(),
        vcpu: s.instance.vcpu,
        memory_gib: s.instance.memory_bytes / GIB,
        disk_gib: s.disk_gib,
        row: row.map(|r| {
            (
                r.label.clone(),
                r.cpu,
                r.memory_bytes / GIB,
                r.disk_bytes / GIB,
                r.nic_mbps,
            )
        }),
        short_of,
    }
}

/// Containers one client of this type runs at a class: what is left after the reservation,
/// divided by the class, the smaller of CPU and memory.
pub fn containers(t: &InstanceType, vcpu: u64, memory_bytes: u64, lib: &Stdlib) -> u64 {
    let req = &lib.nomad_requirements;
    let cpu = t.vcpu.saturating_sub(req.reserved_vcpu) / vcpu.max(1);
    let mem = t.memory_bytes.saturating_sub(req.reserved_memory_bytes) / memory_bytes.max(1);
    cpu.min(mem)
}

fn fleet(f: &Fleet, lib: &Stdlib) -> FleetPlan {
    let per_client: Vec<(String, u64)> = lib
        .resource_classes
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                containers(&f.instance, c.vcpu, c.memory_bytes, lib),
            )
        })
        .collect();
    let default_class = lib.resource_classes.iter().find(|c| c.default).map(|c| {
        let n = containers(&f.instance, c.vcpu, c.memory_bytes, lib);
        (
            c.name.clone(),
            n.saturating_mul(f.min),
            n.saturating_mul(f.max),
        )
    });
    FleetPlan {
        name: f.name.clone(),
        instance: f.instance.name.clone(),
        vcpu: f.instance.vcpu,
        memory_gib: f.instance.memory_bytes / GIB,
        min: f.min,
        max: f.max,
        per_client,
        default_class,
    }
}

/// One machine's month: its instance by the hour, its gp3 volume by the GiB.
fn monthly(t: &InstanceType, disk_gib: u64, lib: &Stdlib) -> Result<u64, String> {
    let p = lib.prices.as_ref().ok_or("the stdlib has no price table")?;
    let family = t.name.split('.').next().unwrap_or_default();
    let rate = p
        .per_vcpu_hour_micros
        .get(family)
        .ok_or_else(|| format!("{} is not in the price table", t.name))?;
    Ok(rate
        .saturating_mul(t.vcpu)
        .saturating_mul(p.hours_per_month)
        .saturating_add(disk_gib.saturating_mul(p.gp3_per_gib_month_micros)))
}

fn cost(site: &Site, lib: &Stdlib) -> Cost {
    let known = |site: &Site| -> Result<Cost, String> {
        let p = lib.prices.as_ref().ok_or("the stdlib has no price table")?;
        if !p.regions.contains(&site.region) {
            return Err(format!(
                "no prices for {} in the stdlib (it has {})",
                site.region,
                p.regions.join(", ")
            ));
        }
        let services = monthly(&site.services.instance, site.services.disk_gib, lib)?;
        let (mut min, mut max) = (services, services);
        for f in &site.fleets {
            let one = monthly(&f.instance, f.disk_gib, lib)?;
            min = min.saturating_add(one.saturating_mul(f.min));
            max = max.saturating_add(one.saturating_mul(f.max));
        }
        Ok(Cost::Known {
            min_micros: min,
            max_micros: max,
            hours_per_month: p.hours_per_month,
        })
    };
    known(site).unwrap_or_else(Cost::Unknown)
}

/// Dollars, rounded to the cent: `1,234.56`.
pub fn dollars(micros: u64) -> String {
    let cents = micros.saturating_add(5_000) / 10_000;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", cents % 100)
}

/// The table for a terminal `width` columns wide: the last column of each table wraps at
/// spaces to fit (a word longer than the room left stays whole).
pub fn text(p: &Plan, width: usize) -> String {
    let mut out = format!(
        "Site {} (CircleCI Server {}), {}, {} daily active users\n\n",
        p.site, p.release, p.region, p.daily_active_users
    );
    let s = &p.services;
    out += &format!(
        "Services box: {} ({} vCPU, {} GiB), {} GiB disk\n",
        s.instance, s.vcpu, s.memory_gib, s.disk_gib
    );
    if let Some((label, cpu, ram, disk, nic)) = &s.row {
        let verdict = if s.short_of.is_empty() {
            "meets it".to_string()
        } else {
            format!("short: {}", s.short_of.join(", "))
        };
        out += &prose(
            &format!(
                "  the guide for {label} users: {cpu} cores, {ram} GiB, {disk} GiB disk, {nic} Mbps: {verdict}\n"
            ),
            width,
        );
    }
    out += &prose(
        &format!(
            "\nNomad clients: each reserves {} vCPU and {} GiB for coordinating builds (guide ch. 1); the rest runs containers\n  (under each resource class: the containers of that class one client runs)\n",
            p.reserved_vcpu, p.reserved_memory_gib
        ),
        width,
    );
    out += &fleet_table(p, width);
    if let Some((label, min, max)) = &p.recommended_clients {
        let max_text = max.map_or("or more".to_string(), |m| format!("to {m}"));
        out += &prose(
            &format!(
                "  the guide for {label} users: {min} {max_text} clients; the fleets run {} to {}\n",
                p.clients.0, p.clients.1
            ),
            width,
        );
    }
    out += "\n";
    let cost = match &p.cost {
        Cost::Known {
            min_micros,
            max_micros,
            hours_per_month,
        } => format!(
            "Monthly on-demand cost ({hours_per_month} h, instances and gp3 volumes): ${} with every fleet at its minimum, ${} at its maximum\n",
            dollars(*min_micros),
            dollars(*max_micros)
        ),
        Cost::Unknown(why) => format!("Monthly cost: unknown, {why}\n"),
    };
    out += &prose(&cost, width);
    out += &format!("\nPort matrix ({} flows):\n", p.ports.len());
    out += &table(
        &["from", "to", "ports", "purpose"],
        p.ports
            .iter()
            .map(|r| {
                vec![
                    r.from.clone(),
                    r.to.clone(),
                    r.ports.clone(),
                    r.purpose.clone(),
                ]
            })
            .collect(),
        width,
    );
    out
}

fn fleet_table(p: &Plan, width: usize) -> String {
    let classes: Vec<String> = p
        .fleets
        .first()
        .map(|f| f.per_client.iter().map(|(c, _)| c.clone()).collect())
        .unwrap_or_default();
    let mut header = vec!["fleet".to_string(), "instance".into(), "clients".into()];
    header.extend(classes.iter().cloned());
    header.push("fleet runs".into());
    let rows = p
        .fleets
        .iter()
        .map(|f| {
            let mut row = vec![
                f.name.clone(),
                format!("{} ({} vCPU, {} GiB)", f.instance, f.vcpu, f.memory_gib),
                format!("{}..{}", f.min, f.max),
            ];
            row.extend(f.per_client.iter().map(|(_, n)| n.to_string()));
            row.push(
                f.default_class
                    .as_ref()
                    .map_or(String::new(), |(c, a, b)| format!("{a}..{b} {c}")),
            );
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(&header, rows, width)
}

/// Columns padded to their widest cell; while the table is wider than `width`, its widest
/// column wraps at spaces a character narrower (never narrower than its longest word).
fn table(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
    let cells: Vec<Vec<&str>> = std::iter::once(header.to_vec())
        .chain(rows.iter().map(|r| r.iter().map(String::as_str).collect()))
        .collect();
    let longest = |column: usize, of: fn(&str) -> usize| {
        cells
            .iter()
            .filter_map(|r| r.get(column))
            .map(|c| of(c))
            .max()
            .unwrap_or(0)
    };
    let mut widths: Vec<usize> = (0..header.len())
        .map(|i| longest(i, |c| c.chars().count()))
        .collect();
    let least: Vec<usize> = (0..header.len())
        .map(|i| {
            longest(i, |c| {
                c.split(' ').map(|w| w.chars().count()).max().unwrap_or(0)
            })
        })
        .collect();
    // The two-space indent and the two spaces between columns.
    while 2 * widths.len() + widths.iter().sum::<usize>() > width {
        let Some(i) = (0..widths.len())
            .filter(|&i| widths[i] > least[i])
            .max_by_key(|&i| (widths[i], i))
        else {
            break;
        };
        widths[i] -= 1;
    }
    let mut out = String::new();
    for row in &cells {
        let parts: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(|(c, &w)| wrapped(c, w))
            .collect();
        for n in 0..parts.iter().map(Vec::len).max().unwrap_or(0) {
            let line: Vec<String> = parts
                .iter()
                .zip(&widths)
                .map(|(p, w)| format!("{:<w$}", p.get(n).map_or("", String::as_str)))
                .collect();
            out += &format!("  {}\n", line.join("  ").trim_end());
        }
    }
    out
}

/// Prose lines fitted to `width`: each line broken at spaces, its continuation indented two
/// more than the line.
fn prose(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let indent = body.len() - body.trim_start().len();
        let room = width.saturating_sub(indent + 2).max(20);
        for (i, part) in wrapped(body.trim_start(), room).iter().enumerate() {
            let pad = if i == 0 { indent } else { indent + 2 };
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&" ".repeat(pad));
            out.push_str(part);
        }
        out.push_str(end);
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrapped(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let current = lines.last_mut().expect("one line at least");
        if current.is_empty() {
            current.push_str(word);
        } else if current.chars().count() + 1 + word.chars().count() <= width {
            current.push(' ');
            current.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    lines
}

/// The same, for tools (documented in the README).
pub fn json(p: &Plan) -> Value {
    let s = &p.services;
    json!({
        "version": crate::display::JSON_VERSION,
        "type": "plan",
        "site": p.site,
        "release": p.release,
        "region": p.region,
        "daily_active_users": p.daily_active_users,
        "services": {
            "instance": s.instance,
            "vcpu": s.vcpu,
            "memory_gib": s.memory_gib,
            "disk_gib": s.disk_gib,
            "guide_row": s.row.as_ref().map(|(label, cpu, ram, disk, nic)| json!({
                "users": label, "cores": cpu, "memory_gib": ram, "disk_gib": disk, "nic_mbps": nic,
            })),
            "short_of": s.short_of,
        },
        "nomad_reserved": { "vcpu": p.reserved_vcpu, "memory_gib": p.reserved_memory_gib },
        "fleets": p.fleets.iter().map(|f| json!({
            "name": f.name,
            "instance": f.instance,
            "vcpu": f.vcpu,
            "memory_gib": f.memory_gib,
            "clients": { "min": f.min, "max": f.max },
            "containers_per_client": f.per_client.iter().map(|(c, n)| (c.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "default_class": f.default_class.as_ref().map(|(c, a, b)| json!({ "class": c, "containers_min": a, "containers_max": b })),
        })).collect::<Vec<_>>(),
        "clients": {
            "min": p.clients.0,
            "max": p.clients.1,
            "guide": p.recommended_clients.as_ref().map(|(label, min, max)| json!({ "users": label, "min": min, "max": max })),
        },
        "monthly_cost_usd": match &p.cost {
            Cost::Known { min_micros, max_micros, hours_per_month } => json!({
                "min": dollars(*min_micros).replace(',', ""),
                "max": dollars(*max_micros).replace(',', ""),
                "hours_per_month": hours_per_month,
            }),
            Cost::Unknown(why) => json!({ "unknown": why }),
        },
        "ports": p.ports.iter().map(|r| json!({
            "from": r.from, "to": r.to, "ports": r.ports, "purpose": r.purpose,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::dollars;

    #[test]
    fn dollars_are_rounded_to_the_cent_and_grouped() {
        assert_eq!(dollars(0), "0.00");
        assert_eq!(dollars(1_234_565_000), "1,234.57");
        assert_eq!(dollars(96_000), "0.10");
        assert_eq!(dollars(999_999_994_999), "999,999.99");
    }
}
