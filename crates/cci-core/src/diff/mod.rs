//! `cci-dsl diff OLD NEW`: what a change to a site does, for a reviewer: the flows it opens and
//! closes (with who, ports and how exposed), actors whose ranges change, machines resized or
//! re-imaged, fleets added, removed or rescaled with their capacity, the monthly cost, the
//! release's pins, and what Terraform will create, destroy, update or replace
//! ([`resources`]). Computed from two built sites; [`render`] writes it as Markdown or JSON.

pub mod render;
pub mod resources;

use crate::emit::Outputs;
use crate::matrix::{Exposure, Matrix};
use crate::model::{Site, Stdlib};
use crate::network::Network;
use crate::plan::{plan, Cost, FleetPlan, Plan};
use resources::ResourceChange;
use std::collections::BTreeMap;

/// One built site, as `diff` reads it.
pub struct Side<'a> {
    /// How the reader named it: a file, or `REV:path`.
    pub label: String,
    pub site: &'a Site,
    pub lib: &'a Stdlib,
    pub net: &'a Network,
    pub outputs: &'a Outputs,
}

/// A flow opened or closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowChange {
    pub opened: bool,
    pub from: String,
    pub to: String,
    pub ports: String,
    pub purposes: String,
    /// Who the flow lets in (the side where it exists).
    pub exposure: Exposure,
    /// The ranges `from` stands for, when it is an actor or a range.
    pub ranges: Vec<String>,
}

/// An actor (or range) in both sites whose ranges differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachChange {
    pub actor: String,
    pub old: Vec<String>,
    pub new: Vec<String>,
    pub old_exposure: Exposure,
    pub new_exposure: Exposure,
    /// The new site's flows from it.
    pub flows: usize,
}

/// A setting of one machine role that changes: `instance`, `disk`, `image`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineChange {
    /// `services` or `fleet NAME`.
    pub machine: String,
    pub what: &'static str,
    pub old: String,
    pub new: String,
}

/// A fleet's figures on one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetFigures {
    pub min: u64,
    pub max: u64,
    /// The default resource class's containers: (class, at min, at max).
    pub containers: Option<(String, u64, u64)>,
}

/// A fleet added, removed, or with other counts or capacity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetChange {
    pub fleet: String,
    pub old: Option<FleetFigures>,
    pub new: Option<FleetFigures>,
}

/// Monthly on-demand cost in millionths of a dollar, (at every fleet's minimum, at maximum);
/// `None` where the price table does not know the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostChange {
    pub old: Option<(u64, u64)>,
    pub new: Option<(u64, u64)>,
}

/// A version or image the release pins, changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinChange {
    pub pin: String,
    pub old: String,
    pub new: String,
}

/// Everything `diff` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteDiff {
    pub old: String,
    pub new: String,
    pub flows: Vec<FlowChange>,
    pub reach: Vec<ReachChange>,
    pub machines: Vec<MachineChange>,
    pub fleets: Vec<FleetChange>,
    pub cost: Option<CostChange>,
    pub pins: Vec<PinChange>,
    pub resources: Vec<ResourceChange>,
    /// Resources whose changed attributes Terraform ignores (their `lifecycle`), with them.
    pub ignored: Vec<(String, Vec<String>)>,
}

impl SiteDiff {
    /// Whether the two sites compile to the same outputs and the same plan.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
            && self.reach.is_empty()
            && self.machines.is_empty()
            && self.fleets.is_empty()
            && self.cost.is_none()
            && self.pins.is_empty()
            && self.resources.is_empty()
            && self.ignored.is_empty()
    }
}

/// What going from `old` to `new` does.
pub fn diff(old: &Side, new: &Side) -> SiteDiff {
    let (mo, mn) = (
        Matrix::new(old.net, old.site),
        Matrix::new(new.net, new.site),
    );
    let terraform = resources::changes(old.outputs, new.outputs, new.lib);
    let (po, pn) = (
        plan(old.site, old.lib, old.net),
        plan(new.site, new.lib, new.net),
    );
    SiteDiff {
        old: old.label.clone(),
        new: new.label.clone(),
        flows: flows(&mo, &mn),
        reach: reach(&mo, &mn),
        machines: machines(old.site, new.site),
        fleets: fleets(&po, &pn),
        cost: cost(&po, &pn),
        pins: pins(old, new),
        resources: terraform.resources,
        ignored: terraform.ignored,
    }
}

type FlowKey = (String, String, String);

fn flow_rows(m: &Matrix) -> BTreeMap<FlowKey, (String, Exposure, Vec<String>)> {
    m.rows
        .iter()
        .map(|r| {
            let from = m.from(r);
            let key = (from.name.clone(), m.to(r).name.clone(), r.ports_text());
            let ranges = from.ranges.iter().map(|n| n.to_string()).collect();
            (key, (r.purposes.join("; "), from.exposure, ranges))
        })
        .collect()
}

fn flows(old: &Matrix, new: &Matrix) -> Vec<FlowChange> {
    let (old, new) = (flow_rows(old), flow_rows(new));
    let change = |opened: bool, side: &BTreeMap<FlowKey, _>, other: &BTreeMap<FlowKey, _>| {
        side.iter()
            .filter(|(k, _)| !other.contains_key(*k))
            .map(
                |((from, to, ports), (purposes, exposure, ranges))| FlowChange {
                    opened,
                    from: from.clone(),
                    to: to.clone(),
                    ports: ports.clone(),
                    purposes: String::clone(purposes),
                    exposure: *exposure,
                    ranges: Vec::clone(ranges),
                },
            )
            .collect::<Vec<_>>()
    };
    let mut out = change(true, &new, &old);
    out.extend(change(false, &old, &new));
    out
}

fn reach(old: &Matrix, new: &Matrix) -> Vec<ReachChange> {
    let mut out = Vec::new();
    for (i, e) in new.endpoints.iter().enumerate() {
        let Some(before) = old.endpoints.iter().find(|o| o.name == e.name) else {
            continue;
        };
        if before.ranges == e.ranges {
            continue;
        }
        out.push(ReachChange {
            actor: e.name.clone(),
            old: before.ranges.iter().map(|n| n.to_string()).collect(),
            new: e.ranges.iter().map(|n| n.to_string()).collect(),
            old_exposure: before.exposure,
            new_exposure: e.exposure,
            flows: new.rows.iter().filter(|r| r.from == i).count(),
        });
    }
    out
}

fn machines(old: &Site, new: &Site) -> Vec<MachineChange> {
    let mut out = Vec::new();
    let mut role = |machine: String, o: (&str, u64, Option<&str>), n: (&str, u64, Option<&str>)| {
        let image = |a: Option<&str>| a.unwrap_or("the release's image").to_string();
        for (what, a, b) in [
            ("instance", o.0.to_string(), n.0.to_string()),
            ("disk", format!("{} GiB", o.1), format!("{} GiB", n.1)),
            ("image", image(o.2), image(n.2)),
        ] {
            if a != b {
                out.push(MachineChange {
                    machine: machine.clone(),
                    what,
                    old: a,
                    new: b,
                });
            }
        }
    };
    let (so, sn) = (&old.services, &new.services);
    role(
        "services".into(),
        (&so.instance.name, so.disk_gib, so.ami.as_deref()),
        (&sn.instance.name, sn.disk_gib, sn.ami.as_deref()),
    );
    for f in &new.fleets {
        if let Some(o) = old.fleets.iter().find(|o| o.name == f.name) {
            role(
                format!("fleet {}", f.name),
                (&o.instance.name, o.disk_gib, o.ami.as_deref()),
                (&f.instance.name, f.disk_gib, f.ami.as_deref()),
            );
        }
    }
    out
}

fn figures(f: &FleetPlan) -> FleetFigures {
    FleetFigures {
        min: f.min,
        max: f.max,
        containers: f.default_class.clone(),
    }
}

fn fleets(old: &Plan, new: &Plan) -> Vec<FleetChange> {
    let o: BTreeMap<&str, FleetFigures> = old
        .fleets
        .iter()
        .map(|f| (f.name.as_str(), figures(f)))
        .collect();
    let n: BTreeMap<&str, FleetFigures> = new
        .fleets
        .iter()
        .map(|f| (f.name.as_str(), figures(f)))
        .collect();
    let mut names: Vec<&str> = new.fleets.iter().map(|f| f.name.as_str()).collect();
    names.extend(
        old.fleets
            .iter()
            .map(|f| f.name.as_str())
            .filter(|x| !n.contains_key(x)),
    );
    names
        .into_iter()
        .filter(|x| o.get(x) != n.get(x))
        .map(|x| FleetChange {
            fleet: x.to_string(),
            old: o.get(x).cloned(),
            new: n.get(x).cloned(),
        })
        .collect()
}

fn cost(old: &Plan, new: &Plan) -> Option<CostChange> {
    let known = |c: &Cost| match c {
        Cost::Known {
            min_micros,
            max_micros,
            ..
        } => Some((*min_micros, *max_micros)),
        Cost::Unknown(_) => None,
    };
    let c = CostChange {
        old: known(&old.cost),
        new: known(&new.cost),
    };
    (c.old != c.new).then_some(c)
}

/// The versions and images the release pins (the stdlib), and each machine's own image.
fn pinned(s: &Side) -> Vec<(String, String)> {
    let lib = s.lib;
    vec![
        ("CircleCI Server release".into(), lib.release.clone()),
        (
            "OS image".into(),
            format!("{} (owner {})", lib.os.ami_name, lib.os.ami_owner),
        ),
        ("Nomad client".into(), lib.nomad.version.clone()),
        ("Replicated".into(), lib.replicated.version.clone()),
        (
            "docker-ce on services".into(),
            lib.services_machine.docker.clone(),
        ),
        (
            "docker-ce on Nomad clients".into(),
            lib.nomad_machine.docker.clone(),
        ),
    ]
}

fn pins(old: &Side, new: &Side) -> Vec<PinChange> {
    pinned(old)
        .into_iter()
        .zip(pinned(new))
        .filter(|(o, n)| o.1 != n.1)
        .map(|(o, n)| PinChange {
            pin: n.0,
            old: o.1,
            new: n.1,
        })
        .collect()
}
