//! What hovering a name shows, in Markdown: a fleet's machines, count and disk, the services
//! box, an actor's ranges and meaning, an external service, an instance type's size, a code's
//! title and explanation, a block kind's or an attribute's entry in the language reference.
//! Facts come from the compiled site and the stdlib (none is written here); while the site
//! does not compile, a declaration is shown as written.

use super::target::{Name, Target};
use super::tree::{self, Decl};
use super::Context;
use cci_core::model::InstanceType;
use cci_core::values::human_bytes;
use std::fmt::Display;

pub(super) fn hover(target: &Target, cx: &Context) -> Option<String> {
    match target {
        Target::Name(n) => name(n, cx),
        Target::BlockKind(path) if path.last().is_some_and(|k| k == "instance_type") => {
            Some(cx.docs.instance_types.clone()).filter(|s| !s.is_empty())
        }
        Target::BlockKind(path) => {
            let b = cx.docs.block(path)?;
            let mut s = format!("**`{}`**\n\n{}", b.syntax, b.what);
            for a in &b.attrs {
                let required = if a.required { ", required" } else { "" };
                s += &format!("\n- `{}`: {}{required}", a.name, a.ty);
            }
            Some(s)
        }
        Target::Attribute(path, key) => {
            let b = cx.docs.block(path)?;
            let a = b.attrs.iter().find(|a| a.name == *key)?;
            let required = if a.required { "required" } else { "optional" };
            let mut s = format!(
                "**`{key}`** in `{}`: {}, {required}; for example `{}`",
                b.syntax, a.ty, a.example
            );
            if !a.note.is_empty() {
                s += &format!("\n\n{}", a.note);
            }
            Some(s)
        }
        Target::Code(c) => Some(format!(
            "**{}**: {}\n\n{}",
            c.as_str(),
            c.title(),
            cci_core::explain::explanation(*c, cx.lib)
        )),
        Target::Rule => Some(cx.docs.rules.clone()).filter(|s| !s.is_empty()),
    }
}

fn name(n: &Name, cx: &Context) -> Option<String> {
    match n {
        Name::Fleet(f) => fleet(f, cx),
        Name::AllFleets => {
            let names: Vec<String> = cx
                .decls
                .iter()
                .filter(|d| d.kind == Decl::Fleet)
                .map(|d| format!("`{}`", d.name))
                .collect();
            Some(format!(
                "**`nomad`**: every fleet of Nomad clients ({})",
                listed(&names)
            ))
        }
        Name::Services => Some(match cx.site {
            Some(s) => format!(
                "**services**: the services box, {}, {} GiB disk{}",
                machine(&s.services.instance),
                s.services.disk_gib,
                if s.services.elastic_ip {
                    ", a fixed public address (Elastic IP)"
                } else {
                    ""
                }
            ),
            None => "**services**: the services box".into(),
        }),
        Name::Vms => Some(format!(
            "**`vms`**: vm-service's machines (machine executor, remote Docker){}",
            match cx.site {
                Some(s) if !s.vm_service => "; this site does not run vm-service",
                _ => "",
            }
        )),
        Name::External(x) => external(x, cx),
        Name::Actor(a) => actor(a, cx),
        Name::InstanceType(t) => Some(instance_type(t, cx)),
    }
}

/// An instance type as a machine line: `m4.2xlarge (8 vCPU, 32 GiB)`.
fn machine(t: &InstanceType) -> String {
    format!(
        "{} ({} vCPU, {})",
        t.name,
        t.vcpu,
        human_bytes(t.memory_bytes)
    )
}

fn instance_type(name: &str, cx: &Context) -> String {
    let Some(t) = cx.lib.instance_types.get(name) else {
        return format!("**`{name}`**: not an instance type of the catalog or of this site");
    };
    let declared = cx
        .decls
        .iter()
        .any(|d| d.kind == Decl::InstanceType && d.name == name);
    format!(
        "**{}**: {} vCPU, {} memory, network \"{}\" ({} Mbps{}); {}",
        t.name,
        t.vcpu,
        human_bytes(t.memory_bytes),
        t.network,
        t.network_mbps,
        if t.network_burst { ", bursting" } else { "" },
        if declared {
            "declared by this site"
        } else {
            "from the stdlib's catalog"
        }
    )
}

fn fleet(name: &str, cx: &Context) -> Option<String> {
    if let Some(f) = cx
        .site
        .and_then(|s| s.fleets.iter().find(|f| f.name == name))
    {
        let count = if f.min == f.max {
            format!("{} clients", f.min)
        } else {
            format!("{} to {} clients", f.min, f.max)
        };
        let mut s = format!(
            "**fleet `{name}`**: Nomad clients on {}, {count}, {} GiB disk each",
            machine(&f.instance),
            f.disk_gib
        );
        if let Some(ami) = &f.ami {
            s += &format!(", image `{ami}`");
        }
        return Some(s);
    }
    let d = cx
        .decls
        .iter()
        .find(|d| d.kind == Decl::Fleet && d.name == name)?;
    Some(format!(
        "**fleet `{name}`**: {} (as written: the site does not compile yet)",
        as_written(&d.node)
    ))
}

fn external(name: &str, cx: &Context) -> Option<String> {
    let def = cx.lib.externals.get(name);
    let here = cx.site.and_then(|s| s.externals.get(name));
    let declared = cx
        .decls
        .iter()
        .find(|d| d.kind == Decl::External && d.name == name);
    let what = def.map_or("not a service the stdlib can externalize".into(), |d| {
        format!("{} (usual port {})", d.description, d.default_port)
    });
    let status = match (here, declared) {
        (Some(x), _) => format!(
            "externalized here: {}, port {}",
            listed(&x.hosts),
            x.port
        ),
        (None, Some(d)) => format!("declared here: {}", as_written(&d.node)),
        (None, None) => format!(
            "runs on the services box in this site; `external {name} {{ hosts = [...] }}` moves it out (guide ch. 2)"
        ),
    };
    Some(format!("**external `{name}`**: {what}; {status}"))
}

fn actor(name: &str, cx: &Context) -> Option<String> {
    let def = cx.lib.actors.get(name);
    let what = def.map_or("an actor of this site's own".to_string(), |a| {
        a.description.clone()
    });
    let bound = cx.site.and_then(|s| s.actors.get(name));
    let ranges = match bound {
        Some(b) if b.bound_at.is_some() => format!("bound here to {}", listed(&b.sources)),
        Some(b) => format!(
            "not bound here; the stdlib's ranges: from {}, to {}",
            listed(&b.sources),
            listed(&b.destinations)
        ),
        None => match cx
            .decls
            .iter()
            .find(|d| d.kind == Decl::Actor && d.name == name)
        {
            Some(d) => format!(
                "bound here to {}",
                tree::value_text(&d.node).unwrap_or_default()
            ),
            None => "not bound here".into(),
        },
    };
    Some(format!("**actor `{name}`**: {what}; {ranges}"))
}

/// A block's attributes as written: `instance = "m4.2xlarge", count = 1..5`.
fn as_written(block: &cci_core::parse::SyntaxNode) -> String {
    let attrs: Vec<String> = tree::attrs(block)
        .filter_map(|(k, a)| Some(format!("`{k} = {}`", tree::value_text(&a)?)))
        .collect();
    if attrs.is_empty() {
        "no attributes".into()
    } else {
        attrs.join(", ")
    }
}

/// At most twelve items, then how many more.
fn listed<T: Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    let mut s: Vec<String> = items.iter().take(12).map(ToString::to_string).collect();
    if items.len() > 12 {
        s.push(format!("and {} more", items.len() - 12));
    }
    s.join(", ")
}
