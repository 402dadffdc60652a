//! A [`SiteDiff`] as Markdown to paste into a pull request, or as JSON (`--format json`, the
//! schema in docs/message-format.md: `"version": 1`, `"type": "diff"`).

use super::resources::{Action, ResourceChange};
use super::{FleetFigures, SiteDiff};
use crate::plan::dollars;
use serde_json::{json, Value};
use std::fmt::Write as _;

use crate::display::JSON_VERSION;

/// Markdown: a heading, then a section per kind of change that happened.
pub fn text(d: &SiteDiff) -> String {
    let mut out = format!("## cci-dsl diff: {} → {}\n\n", d.old, d.new);
    if d.is_empty() {
        out.push_str("No change: both compile to the same outputs.\n");
        return out;
    }
    flows(&mut out, d);
    machines(&mut out, d);
    if let Some(c) = &d.cost {
        let range = |r: Option<(u64, u64)>| match r {
            Some((a, b)) if a == b => format!("${}", dollars(a)),
            Some((a, b)) => format!("${} to ${}", dollars(a), dollars(b)),
            None => "not known".to_string(),
        };
        let _ = writeln!(
            out,
            "**Monthly on-demand cost** (every fleet at its minimum to its maximum): {} → {}\n",
            range(c.old),
            range(c.new)
        );
    }
    if !d.pins.is_empty() {
        out.push_str("**Pins**\n");
        for p in &d.pins {
            let _ = writeln!(out, "- {}: `{}` → `{}`", p.pin, p.old, p.new);
        }
        out.push('\n');
    }
    terraform(&mut out, &d.resources);
    for (address, attrs) in &d.ignored {
        let _ = writeln!(
            out,
            "- `{address}`: {} changes, but Terraform ignores it (`lifecycle {{ ignore_changes }}`): the running machine keeps what it has until it is replaced (`terraform apply -replace={address}`)",
            attrs.join(", ")
        );
    }
    out
}

fn flows(out: &mut String, d: &SiteDiff) {
    for (opened, title) in [(true, "Flows opened"), (false, "Flows closed")] {
        let rows: Vec<_> = d.flows.iter().filter(|f| f.opened == opened).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "**{title} ({})**", rows.len());
        for f in rows {
            let ranges = if f.ranges.is_empty() {
                String::new()
            } else {
                format!(": {}", f.ranges.join(", "))
            };
            let _ = writeln!(
                out,
                "- `{}` from **{}** ({}{ranges}) to **{}**: {}",
                f.ports,
                f.from,
                f.exposure.as_str(),
                f.to,
                f.purposes
            );
        }
        out.push('\n');
    }
    if !d.reach.is_empty() {
        out.push_str("**Who reaches the site**\n");
        for r in &d.reach {
            let _ = writeln!(
                out,
                "- **{}**: {} ({}) → {} ({}), through {} flow{}",
                r.actor,
                r.old.join(", "),
                r.old_exposure.as_str(),
                r.new.join(", "),
                r.new_exposure.as_str(),
                r.flows,
                if r.flows == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
    }
}

fn machines(out: &mut String, d: &SiteDiff) {
    if !d.machines.is_empty() {
        out.push_str("**Machines**\n");
        for m in &d.machines {
            let _ = writeln!(out, "- {} {}: {} → {}", m.machine, m.what, m.old, m.new);
        }
        out.push('\n');
    }
    if d.fleets.is_empty() {
        return;
    }
    out.push_str("**Fleets**\n");
    let figures = |f: &FleetFigures| {
        let mut s = format!("{} to {} clients", f.min, f.max);
        if let Some((class, lo, hi)) = &f.containers {
            let _ = write!(s, ", {lo} to {hi} `{class}` containers");
        }
        s
    };
    for f in &d.fleets {
        let what = match (&f.old, &f.new) {
            (None, Some(n)) => format!("added: {}", figures(n)),
            (Some(o), None) => format!("removed (was {})", figures(o)),
            (Some(o), Some(n)) => format!("{} → {}", figures(o), figures(n)),
            (None, None) => continue,
        };
        let _ = writeln!(out, "- fleet {}: {what}", f.fleet);
    }
    out.push('\n');
}

/// What Terraform will do: counts, then each replaced, updated, created and destroyed
/// resource.
fn terraform(out: &mut String, changes: &[ResourceChange]) {
    if changes.is_empty() {
        out.push_str("**Terraform**: no resource changes.\n");
        return;
    }
    let count = |f: &dyn Fn(&Action) -> bool| changes.iter().filter(|c| f(&c.action)).count();
    let stops = count(&|a| matches!(a, Action::Update { stops: true }));
    let _ = writeln!(
        out,
        "**Terraform**: {} to create, {} to update in place{}, {} to replace, {} to destroy",
        count(&|a| *a == Action::Create),
        count(&|a| matches!(a, Action::Update { .. })),
        if stops > 0 {
            format!(" ({stops} stopping the instance)")
        } else {
            String::new()
        },
        count(&|a| matches!(a, Action::Replace { .. })),
        count(&|a| *a == Action::Destroy),
    );
    for c in changes {
        let line = match &c.action {
            Action::Replace { because } => {
                format!("- replace `{}` because {}", c.address, because.join(", "))
            }
            Action::Update { stops } => format!(
                "- update `{}` ({}){}",
                c.address,
                c.changed.join(", "),
                if *stops {
                    ", stopping the instance"
                } else {
                    ""
                }
            ),
            Action::Create => format!("- create `{}`", c.address),
            Action::Destroy => format!("- destroy `{}`", c.address),
        };
        out.push_str(&line);
        out.push('\n');
    }
}

/// The same as JSON: one object, `kind` and `version` first.
pub fn json(d: &SiteDiff) -> Value {
    let figures = |f: &Option<FleetFigures>| {
        f.as_ref().map(|f| {
            json!({
                "min": f.min,
                "max": f.max,
                "containers": f.containers.as_ref().map(|(class, lo, hi)| json!({ "class": class, "at_min": lo, "at_max": hi })),
            })
        })
    };
    let resources: Vec<Value> = d
        .resources
        .iter()
        .map(|c| {
            let (action, because, stops) = match &c.action {
                Action::Create => ("create", vec![], false),
                Action::Destroy => ("destroy", vec![], false),
                Action::Update { stops } => ("update", vec![], *stops),
                Action::Replace { because } => ("replace", because.clone(), false),
            };
            json!({ "address": c.address, "action": action, "changed": c.changed, "because": because, "stops_instance": stops })
        })
        .collect();
    let money =
        |r: Option<(u64, u64)>| r.map(|(a, b)| json!({ "min_usd_micros": a, "max_usd_micros": b }));
    json!({
        "version": JSON_VERSION,
        "type": "diff",
        "old": d.old,
        "new": d.new,
        "changed": !d.is_empty(),
        "flows": d.flows.iter().map(|f| json!({
            "change": if f.opened { "opened" } else { "closed" },
            "from": f.from, "to": f.to, "ports": f.ports, "purposes": f.purposes,
            "exposure": f.exposure.as_str(), "ranges": f.ranges,
        })).collect::<Vec<_>>(),
        "reach": d.reach.iter().map(|r| json!({
            "actor": r.actor, "old": r.old, "new": r.new,
            "old_exposure": r.old_exposure.as_str(), "new_exposure": r.new_exposure.as_str(),
            "flows": r.flows,
        })).collect::<Vec<_>>(),
        "machines": d.machines.iter().map(|m| json!({ "machine": m.machine, "what": m.what, "old": m.old, "new": m.new })).collect::<Vec<_>>(),
        "fleets": d.fleets.iter().map(|f| json!({ "fleet": f.fleet, "old": figures(&f.old), "new": figures(&f.new) })).collect::<Vec<_>>(),
        "cost": d.cost.as_ref().map(|c| json!({ "old": money(c.old), "new": money(c.new) })),
        "pins": d.pins.iter().map(|p| json!({ "pin": p.pin, "old": p.old, "new": p.new })).collect::<Vec<_>>(),
        "resources": resources,
        "ignored": d.ignored.iter().map(|(a, attrs)| json!({ "address": a, "changed": attrs })).collect::<Vec<_>>(),
    })
}
