//! What Terraform will do to each generated resource when the outputs change: create, destroy,
//! update in place (stopping the instance, for some attributes) or replace. Read from the
//! Terraform files cci-dsl wrote (its own layout: a `resource "TYPE" "NAME" {` line, the
//! attributes two spaces in, nested blocks four, `}` in column 0) and the stdlib's
//! `terraform_resource` table of the attributes the AWS provider replaces a resource for.

use crate::emit::Outputs;
use crate::model::Stdlib;
use std::collections::{BTreeMap, BTreeSet};

/// What happens to one resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Destroy,
    /// Updated in place; `stops`: the instance is stopped for it.
    Update {
        stops: bool,
    },
    /// Destroyed and created again; `because`: the attributes (or the replaced resource they
    /// refer to) that force it.
    Replace {
        because: Vec<String>,
    },
}

/// One resource Terraform will change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceChange {
    /// `TYPE.NAME`, as `terraform plan` names it.
    pub address: String,
    pub action: Action,
    /// The attributes whose text changed (`block.attribute` inside a nested block).
    pub changed: Vec<String>,
}

/// A resource's attributes: key (`block.attribute` in nested blocks) → its text.
type Attributes = BTreeMap<String, String>;

/// Every `resource` block of the Terraform files, by address; the `provider` block is kept
/// under `provider.NAME` (its `default_tags` reach every tagged resource).
fn resources(outputs: &Outputs) -> BTreeMap<String, Attributes> {
    let mut all = BTreeMap::new();
    for (path, text) in &outputs.files {
        if !(path.starts_with("terraform/") && path.ends_with(".tf")) {
            continue;
        }
        let mut current: Option<(String, Vec<&str>)> = None;
        for line in text.lines() {
            if let Some((address, body)) = current.as_mut() {
                if line == "}" {
                    all.insert(std::mem::take(address), attributes(body));
                    current = None;
                } else {
                    body.push(line);
                }
            } else if let Some(address) = resource_header(line).or_else(|| provider_header(line)) {
                current = Some((address, Vec::new()));
            }
        }
    }
    all
}

/// `resource "aws_instance" "services" {` → `aws_instance.services`.
fn resource_header(line: &str) -> Option<String> {
    let rest = line.strip_prefix("resource \"")?.strip_suffix(" {")?;
    let (kind, name) = rest.split_once("\" \"")?;
    Some(format!("{kind}.{}", name.strip_suffix('"')?))
}

/// `provider "aws" {` → `provider.aws`.
fn provider_header(line: &str) -> Option<String> {
    let name = line.strip_prefix("provider \"")?.strip_suffix("\" {")?;
    Some(format!("provider.{name}"))
}

/// The attributes a resource's `lifecycle { ignore_changes = [...] }` names.
fn ignored(attrs: &Attributes) -> Vec<String> {
    let Some(text) = attrs.get("lifecycle.ignore_changes") else {
        return Vec::new();
    };
    let list = text.split_once('[').map_or("", |(_, l)| l);
    list.split([',', ']', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// Whether a change to `key` is one Terraform acts on: not a meta-argument (`lifecycle`,
/// `depends_on`) and not an attribute the resource ignores changes of.
fn acted_on(key: &str, ignore: &[String]) -> bool {
    let top = key.split('.').next().unwrap_or_default();
    top != "lifecycle" && top != "depends_on" && !ignore.iter().any(|i| i == top || i == key)
}

/// The entries of a resource's body: each line two spaces in starts one (its continuation
/// lines belong to it); a nested block's entries four spaces in are keyed `block.attribute`.
fn attributes(body: &[&str]) -> Attributes {
    let mut out = Attributes::new();
    let mut top: Option<String> = None;
    let mut nested: Option<String> = None;
    for line in body {
        let indent = line.len() - line.trim_start().len();
        let word: String = line
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let key = if indent == 2 && !word.is_empty() {
            top = Some(word.clone());
            nested = None;
            Some(word)
        } else if indent == 4 && !word.is_empty() && top.is_some() {
            let k = format!("{}.{word}", top.as_deref().unwrap_or_default());
            nested = Some(k.clone());
            Some(k)
        } else {
            None
        };
        let into = key.or_else(|| nested.clone()).or_else(|| top.clone());
        if let Some(k) = into {
            let entry = out.entry(k).or_default();
            entry.push_str(line.trim());
            entry.push('\n');
        }
    }
    // A nested block's own line (`root_block_device {`) says nothing its entries do not.
    let blocks: BTreeSet<String> = out
        .keys()
        .filter_map(|k| k.split_once('.').map(|(b, _)| b.to_string()))
        .collect();
    for b in blocks {
        out.remove(&b);
    }
    out
}

/// What Terraform will do, going from the old outputs to the new: the resources it changes,
/// and those whose changed attributes it ignores (`lifecycle { ignore_changes }`), with them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TerraformChanges {
    pub resources: Vec<ResourceChange>,
    pub ignored: Vec<(String, Vec<String>)>,
}

/// What Terraform will do to each resource, going from the old outputs to the new.
pub fn changes(old: &Outputs, new: &Outputs, lib: &Stdlib) -> TerraformChanges {
    let (old, new) = (resources(old), resources(new));
    let mut out = TerraformChanges::default();
    for (address, attrs) in new.iter().filter(|(a, _)| !a.starts_with("provider.")) {
        let Some(before) = old.get(address) else {
            out.resources.push(created(address));
            continue;
        };
        let differ: BTreeSet<&String> = before
            .keys()
            .chain(attrs.keys())
            .filter(|k| before.get(*k) != attrs.get(*k))
            .collect();
        let ignore = ignored(attrs);
        let (changed, skipped): (Vec<String>, Vec<String>) = differ
            .into_iter()
            .cloned()
            .partition(|k| acted_on(k, &ignore));
        // What changed but is ignored by the resource's own lifecycle (not a meta-argument).
        let ignored: Vec<String> = skipped.into_iter().filter(|k| acted_on(k, &[])).collect();
        if !changed.is_empty() {
            out.resources.push(classify(address, changed, lib));
        } else if !ignored.is_empty() {
            out.ignored.push((address.clone(), ignored));
        }
    }
    for address in old
        .keys()
        .filter(|a| !new.contains_key(*a) && !a.starts_with("provider."))
    {
        out.resources.push(ResourceChange {
            address: address.clone(),
            action: Action::Destroy,
            changed: Vec::new(),
        });
    }
    default_tags(&mut out.resources, &old, &new, lib);
    cascade(&mut out.resources, &new, lib);
    updates_follow(&mut out.resources, &new, lib);
    out.resources.sort();
    out
}

/// A change to the provider's `default_tags` updates every tagged resource in place (its
/// `tags_all`), besides what else changes.
fn default_tags(
    out: &mut Vec<ResourceChange>,
    old: &BTreeMap<String, Attributes>,
    new: &BTreeMap<String, Attributes>,
    lib: &Stdlib,
) {
    let tags = |side: &BTreeMap<String, Attributes>| -> Vec<String> {
        side.iter()
            .filter(|(a, _)| a.starts_with("provider."))
            .flat_map(|(_, attrs)| attrs.iter())
            .filter(|(k, _)| k.starts_with("default_tags"))
            .map(|(k, v)| format!("{k}{v}"))
            .collect()
    };
    if tags(old) == tags(new) {
        return;
    }
    for address in new.keys().filter(|a| old.contains_key(*a)) {
        let kind = address.split('.').next().unwrap_or_default();
        if !lib.terraform_resources.get(kind).is_some_and(|t| t.tagged) {
            continue;
        }
        match out.iter_mut().find(|c| &c.address == address) {
            Some(c) => c.changed.push("tags_all".into()),
            None => out.push(ResourceChange {
                address: address.clone(),
                action: Action::Update { stops: false },
                changed: vec!["tags_all".into()],
            }),
        }
    }
}

fn created(address: &str) -> ResourceChange {
    ResourceChange {
        address: address.to_string(),
        action: Action::Create,
        changed: Vec::new(),
    }
}

/// Replace when a changed attribute is one the provider replaces the type for, else update.
fn classify(address: &str, changed: Vec<String>, lib: &Stdlib) -> ResourceChange {
    let kind = address.split('.').next().unwrap_or_default();
    let table = lib.terraform_resources.get(kind);
    let forced: Vec<String> = changed
        .iter()
        .filter(|k| table.is_none_or(|t| t.replaced_when.contains(k)))
        .cloned()
        .collect();
    let action = if forced.is_empty() {
        let stops = changed
            .iter()
            .any(|k| table.is_some_and(|t| t.stops.contains(k)));
        Action::Update { stops }
    } else {
        Action::Replace { because: forced }
    };
    ResourceChange {
        address: address.to_string(),
        action,
        changed,
    }
}

/// A resource whose replace-forcing attribute refers to a resource being replaced (or
/// destroyed and created under the same address) gets an unknown value there at plan time,
/// so it is replaced too; repeated until nothing more is.
fn cascade(out: &mut Vec<ResourceChange>, new: &BTreeMap<String, Attributes>, lib: &Stdlib) {
    loop {
        let replaced: BTreeSet<String> = out
            .iter()
            .filter(|c| matches!(c.action, Action::Replace { .. }))
            .map(|c| c.address.clone())
            .collect();
        let mut more = Vec::new();
        for (address, attrs) in new {
            if replaced.contains(address)
                || out
                    .iter()
                    .any(|c| &c.address == address && c.action == Action::Create)
            {
                continue;
            }
            let kind = address.split('.').next().unwrap_or_default();
            let Some(table) = lib.terraform_resources.get(kind) else {
                continue;
            };
            let because: Vec<String> = table
                .replaced_when
                .iter()
                .filter_map(|k| attrs.get(k).map(|text| (k, text)))
                .filter_map(|(k, text)| {
                    replaced
                        .iter()
                        .find(|r| refers_to(text, r))
                        .map(|r| format!("{k} (refers to {r}, replaced)"))
                })
                .collect();
            if !because.is_empty() {
                more.push((address.clone(), because));
            }
        }
        if more.is_empty() {
            return;
        }
        for (address, because) in more {
            out.retain(|c| c.address != address);
            let changed = vec![because[0].split(' ').next().unwrap_or_default().to_string()];
            out.push(ResourceChange {
                address,
                action: Action::Replace { because },
                changed,
            });
        }
    }
}

/// A resource left unchanged that refers to an attribute an update changes (a launch
/// template's `latest_version`, of a template updated in place) is updated too; repeated until
/// nothing more is.
fn updates_follow(out: &mut Vec<ResourceChange>, new: &BTreeMap<String, Attributes>, lib: &Stdlib) {
    loop {
        let moving: Vec<String> = out
            .iter()
            .filter(|c| matches!(c.action, Action::Update { .. }))
            .flat_map(|c| {
                let kind = c.address.split('.').next().unwrap_or_default();
                let table = lib.terraform_resources.get(kind);
                table
                    .map(|t| t.new_on_update.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |a| format!("{}.{a}", c.address))
            })
            .collect();
        let mut more = Vec::new();
        for (address, attrs) in new
            .iter()
            .filter(|(a, _)| !out.iter().any(|c| &c.address == *a))
        {
            let changed: Vec<String> = attrs
                .iter()
                .filter(|(_, text)| moving.iter().any(|m| refers_to_value(text, m)))
                .map(|(k, _)| k.clone())
                .collect();
            if !changed.is_empty() {
                more.push(classify(address, changed, lib));
            }
        }
        if more.is_empty() {
            return;
        }
        out.extend(more);
    }
}

/// Whether an attribute's text names `value` (`TYPE.NAME.ATTR`), not a longer name.
fn refers_to_value(text: &str, value: &str) -> bool {
    let name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(value).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + value.len()..].chars().next();
        !before.is_some_and(|c| name(c) || c == '.') && !after.is_some_and(name)
    })
}

/// Whether an attribute's text refers to the resource at `address` (`TYPE.NAME.` followed by
/// an attribute).
fn refers_to(text: &str, address: &str) -> bool {
    let needle = format!("{address}.");
    text.match_indices(&needle).any(|(i, _)| {
        i == 0
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(tf: &str) -> Outputs {
        Outputs {
            files: [("terraform/main.tf".to_string(), tf.to_string())].into(),
        }
    }

    fn lib() -> Stdlib {
        let mut lib = Stdlib::default();
        lib.terraform_resources.insert(
            "aws_security_group".into(),
            crate::model::TerraformResource {
                replaced_when: vec!["description".into()],
                stops: vec![],
                new_on_update: vec![],
                tagged: true,
            },
        );
        lib.terraform_resources.insert(
            "aws_vpc_security_group_ingress_rule".into(),
            crate::model::TerraformResource {
                replaced_when: vec!["security_group_id".into()],
                stops: vec![],
                new_on_update: vec![],
                tagged: true,
            },
        );
        lib
    }

    /// A launch template updated in place writes a new version: the group launching its
    /// `latest_version` is updated with it (found by the emulator: `terraform plan` did so).
    #[test]
    fn what_refers_to_a_new_version_is_updated_with_it() {
        let mut lib = lib();
        lib.terraform_resources.insert(
            "aws_launch_template".into(),
            crate::model::TerraformResource {
                replaced_when: vec!["name_prefix".into()],
                new_on_update: vec!["latest_version".into()],
                ..Default::default()
            },
        );
        lib.terraform_resources.insert(
            "aws_autoscaling_group".into(),
            crate::model::TerraformResource {
                replaced_when: vec!["name_prefix".into()],
                ..Default::default()
            },
        );
        let old = "resource \"aws_launch_template\" \"f\" {\n  instance_type = \"m4.large\"\n}\n\nresource \"aws_autoscaling_group\" \"f\" {\n  launch_template {\n    version = aws_launch_template.f.latest_version\n  }\n}\n\nresource \"aws_autoscaling_group\" \"g\" {\n  launch_template {\n    version = aws_launch_template.f.latest_version_x\n  }\n}\n";
        let new = old.replace("m4.large", "m5.large");
        let c = changes(&outputs(old), &outputs(&new), &lib).resources;
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.address.as_str(), &c.action, c.changed.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "aws_autoscaling_group.f",
                    &Action::Update { stops: false },
                    vec!["launch_template.version".to_string()]
                ),
                (
                    "aws_launch_template.f",
                    &Action::Update { stops: false },
                    vec!["instance_type".to_string()]
                ),
            ]
        );
    }

    const OLD: &str = "resource \"aws_security_group\" \"a\" {\n  description = \"x\"\n  tags = {\n    Name = \"a\"\n  }\n}\n\nresource \"aws_vpc_security_group_ingress_rule\" \"r\" {\n  security_group_id = aws_security_group.a.id\n  from_port         = 80\n}\n";

    #[test]
    fn a_changed_tag_is_an_update_and_a_new_description_replaces_and_cascades() {
        let tagged = OLD.replace("Name = \"a\"", "Name = \"b\"");
        let c = changes(&outputs(OLD), &outputs(&tagged), &lib()).resources;
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].action, Action::Update { stops: false });
        assert_eq!(c[0].changed, ["tags.Name"]);

        let described = OLD.replace("description = \"x\"", "description = \"y\"");
        let c = changes(&outputs(OLD), &outputs(&described), &lib()).resources;
        let addresses: Vec<_> = c.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "aws_security_group.a",
                "aws_vpc_security_group_ingress_rule.r"
            ]
        );
        assert!(c.iter().all(|c| matches!(c.action, Action::Replace { .. })));
    }

    #[test]
    fn a_port_change_updates_the_rule_and_a_renamed_rule_is_destroyed_and_created() {
        let c = changes(
            &outputs(OLD),
            &outputs(&OLD.replace("= 80", "= 81")),
            &lib(),
        )
        .resources;
        assert_eq!(c[0].action, Action::Update { stops: false });
        let renamed = OLD.replace("\"r\"", "\"s\"");
        let c = changes(&outputs(OLD), &outputs(&renamed), &lib()).resources;
        let got: Vec<_> = c.iter().map(|c| (c.address.as_str(), &c.action)).collect();
        assert_eq!(
            got,
            [
                ("aws_vpc_security_group_ingress_rule.r", &Action::Destroy),
                ("aws_vpc_security_group_ingress_rule.s", &Action::Create)
            ]
        );
    }

    #[test]
    fn what_a_lifecycle_ignores_is_said_apart_and_default_tags_update_every_tagged_resource() {
        let ignoring = OLD.replace(
            "  description = \"x\"\n",
            "  description = \"x\"\n  ami = \"img1\"\n  lifecycle {\n    ignore_changes = [ami]\n  }\n",
        );
        let t = changes(
            &outputs(&ignoring),
            &outputs(&ignoring.replace("img1", "img2")),
            &lib(),
        );
        assert!(t.resources.is_empty(), "{t:?}");
        assert_eq!(
            t.ignored,
            [("aws_security_group.a".to_string(), vec!["ami".to_string()])]
        );
        // Only depends_on changed: nothing at all.
        let t = changes(
            &outputs(OLD),
            &outputs(&OLD.replace("  from_port", "  depends_on = [x]\n  from_port")),
            &lib(),
        );
        assert_eq!(t, TerraformChanges::default());

        let provider = |team: &str| {
            format!("provider \"aws\" {{\n  default_tags {{\n    tags = {{\n      team = \"{team}\"\n    }}\n  }}\n}}\n\n{OLD}")
        };
        let t = changes(&outputs(&provider("a")), &outputs(&provider("b")), &lib());
        let got: Vec<_> = t
            .resources
            .iter()
            .map(|c| (c.address.as_str(), c.changed.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("aws_security_group.a", vec!["tags_all".to_string()]),
                (
                    "aws_vpc_security_group_ingress_rule.r",
                    vec!["tags_all".to_string()]
                )
            ]
        );
    }
}
