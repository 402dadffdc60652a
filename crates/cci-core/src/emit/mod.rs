//! Emission: the typed model, the security-group plan and the dependency graph become the
//! output files, as text, in memory. Every text output comes from a handlebars template kept
//! in `stdlib/templates/` and embedded in the binary; values reach templates only through
//! escaping helpers for their target (`hcl`, `indent`), never raw.

mod cloud_init;
pub mod graph_render;
pub mod hcl;
pub mod iam;
pub mod ports;
mod templates;
mod terraform;
pub mod user_data;

use crate::diagnostics::Diagnostics;
use crate::graph::ResourceGraph;
use crate::model::{Site, Stdlib};
use crate::network::Network;
use handlebars::Handlebars;
use std::collections::BTreeMap;
use templates::render;
pub use templates::Templates;

/// Everything a build writes: relative path to contents. Sorted, so output is stable. (The
/// core writes every file but `graph/network.svg`, which `cci_picture::draw_into` adds.)
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    pub files: BTreeMap<String, String>,
}

/// What the emitters read.
pub struct Input<'a> {
    pub site: &'a Site,
    pub lib: &'a Stdlib,
    pub net: &'a Network,
    pub graph: &'a ResourceGraph,
    /// The site file's name without its directories, for generated-by headers.
    pub source_name: &'a str,
}

/// An emission failure: a template that does not render. A bug, reported as E0601.
#[derive(Debug, Clone, PartialEq)]
pub struct EmitError(pub String);

/// Renders every output with the templates (see [`templates`]); what AWS would refuse of
/// them (user-data too large) goes into `diags`.
pub fn emit(input: &Input, t: &Templates, diags: &mut Diagnostics) -> Result<Outputs, EmitError> {
    let mut out = Outputs::default();
    terraform::emit(input, t, &mut out)?;
    iam::emit(input, &mut out)?;
    ports::emit(input, t, &mut out)?;
    cloud_init::emit(input, t, &mut out)?;
    out.files.insert(
        "graph/resources.dot".into(),
        graph_render::dot(input.graph, &input.site.name),
    );
    out.files.insert(
        "graph/resources.mmd".into(),
        graph_render::mermaid(input.graph),
    );
    // The network view; its SVG (`graph/network.svg`) is laid out by the `cci-picture` crate,
    // which the command line's `build` calls (`cci_picture::draw_into`).
    let network = graph_render::NetworkView::new(input.net, input.site);
    out.files
        .insert("graph/network.dot".into(), network.dot(&input.site.name));
    out.files
        .insert("graph/network.mmd".into(), network.mermaid());
    user_data::check(input.site, input.lib, &out, diags);
    Ok(out)
}

/// The templates, embedded from `stdlib/templates/`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "tf/header",
        include_str!("../../../../stdlib/templates/terraform/header.hbs"),
    ),
    (
        "tf/versions",
        include_str!("../../../../stdlib/templates/terraform/versions.hbs"),
    ),
    (
        "tf/variable_passphrase",
        include_str!("../../../../stdlib/templates/terraform/variable_passphrase.hbs"),
    ),
    (
        "tf/ssm_passphrase",
        include_str!("../../../../stdlib/templates/terraform/ssm_passphrase.hbs"),
    ),
    (
        "tf/ami",
        include_str!("../../../../stdlib/templates/terraform/ami.hbs"),
    ),
    (
        "tf/own_image",
        include_str!("../../../../stdlib/templates/terraform/own_image.hbs"),
    ),
    (
        "tf/caller_identity",
        include_str!("../../../../stdlib/templates/terraform/caller_identity.hbs"),
    ),
    (
        "tf/bucket_cors",
        include_str!("../../../../stdlib/templates/terraform/bucket_cors.hbs"),
    ),
    (
        "tf/security_group",
        include_str!("../../../../stdlib/templates/terraform/security_group.hbs"),
    ),
    (
        "tf/sg_rule",
        include_str!("../../../../stdlib/templates/terraform/sg_rule.hbs"),
    ),
    (
        "tf/moved",
        include_str!("../../../../stdlib/templates/terraform/moved.hbs"),
    ),
    (
        "tf/bucket",
        include_str!("../../../../stdlib/templates/terraform/bucket.hbs"),
    ),
    (
        "tf/bucket_encryption",
        include_str!("../../../../stdlib/templates/terraform/bucket_encryption.hbs"),
    ),
    (
        "tf/bucket_public_access_block",
        include_str!("../../../../stdlib/templates/terraform/bucket_public_access_block.hbs"),
    ),
    (
        "tf/bucket_versioning",
        include_str!("../../../../stdlib/templates/terraform/bucket_versioning.hbs"),
    ),
    (
        "tf/bucket_ownership",
        include_str!("../../../../stdlib/templates/terraform/bucket_ownership.hbs"),
    ),
    (
        "tf/bucket_lifecycle",
        include_str!("../../../../stdlib/templates/terraform/bucket_lifecycle.hbs"),
    ),
    (
        "tf/queue",
        include_str!("../../../../stdlib/templates/terraform/queue.hbs"),
    ),
    (
        "tf/iam_role",
        include_str!("../../../../stdlib/templates/terraform/iam_role.hbs"),
    ),
    (
        "tf/iam_role_policy",
        include_str!("../../../../stdlib/templates/terraform/iam_role_policy.hbs"),
    ),
    (
        "tf/instance_profile",
        include_str!("../../../../stdlib/templates/terraform/instance_profile.hbs"),
    ),
    (
        "tf/services_instance",
        include_str!("../../../../stdlib/templates/terraform/services_instance.hbs"),
    ),
    (
        "tf/launch_template",
        include_str!("../../../../stdlib/templates/terraform/launch_template.hbs"),
    ),
    (
        "tf/autoscaling_group",
        include_str!("../../../../stdlib/templates/terraform/autoscaling_group.hbs"),
    ),
    (
        "tf/lifecycle_hook",
        include_str!("../../../../stdlib/templates/terraform/lifecycle_hook.hbs"),
    ),
    (
        "tf/outputs",
        include_str!("../../../../stdlib/templates/terraform/outputs.hbs"),
    ),
    (
        "tf/dlm_policy",
        include_str!("../../../../stdlib/templates/terraform/dlm_policy.hbs"),
    ),
    (
        "tf/elastic_ip",
        include_str!("../../../../stdlib/templates/terraform/elastic_ip.hbs"),
    ),
    (
        "tf/dns_record",
        include_str!("../../../../stdlib/templates/terraform/dns_record.hbs"),
    ),
    (
        "tf/network_checks",
        include_str!("../../../../stdlib/templates/terraform/network_checks.hbs"),
    ),
    (
        "ci/services",
        include_str!("../../../../stdlib/templates/cloud-init/services.yaml.hbs"),
    ),
    (
        "ci/services_setup",
        include_str!("../../../../stdlib/templates/cloud-init/services-setup.sh.hbs"),
    ),
    (
        "ci/nomad",
        include_str!("../../../../stdlib/templates/cloud-init/nomad-client.yaml.hbs"),
    ),
    (
        "ci/nomad_setup",
        include_str!("../../../../stdlib/templates/cloud-init/nomad-setup.sh.hbs"),
    ),
    (
        "ci/boot_lib",
        include_str!("../../../../stdlib/templates/cloud-init/boot-lib.sh.hbs"),
    ),
    (
        "ci/nomad_config",
        include_str!("../../../../stdlib/templates/cloud-init/nomad-client.hcl.hbs"),
    ),
    (
        "ci/drain_script",
        include_str!("../../../../stdlib/templates/cloud-init/nomad-drain.sh.hbs"),
    ),
    (
        "ci/drain_unit",
        include_str!("../../../../stdlib/templates/cloud-init/nomad-drain.service.hbs"),
    ),
    (
        "ci/nomad_unit",
        include_str!("../../../../stdlib/templates/cloud-init/nomad.service.hbs"),
    ),
    (
        "ci/isolation_unit",
        include_str!("../../../../stdlib/templates/cloud-init/build-isolation.service.hbs"),
    ),
    (
        "ci/isolation_script",
        include_str!("../../../../stdlib/templates/cloud-init/build-isolation.sh.hbs"),
    ),
    (
        "ports",
        include_str!("../../../../stdlib/templates/ports.md.hbs"),
    ),
];

/// The registry the templates render in: strict, no HTML escaping, our helpers. It holds no
/// template: [`Templates`] compiles each on its first render.
fn registry() -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    // Nothing is HTML; each value goes through the helper for its target instead.
    h.register_escape_fn(handlebars::no_escape);
    for (name, helper) in HELPERS {
        h.register_helper(name, Box::new(Escape(name, *helper)));
    }
    h.register_helper("indent", Box::new(indent_helper));
    h
}

/// This process's templates, each compiled on its first render and kept (a build compiles
/// only those its site uses; a process that builds many sites compiles each once).
pub fn templates() -> &'static Templates {
    static T: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
    T.get_or_init(Templates::new)
}

/// How a helper turns a value into text for its target, or says why it cannot.
pub type EscapeFn = fn(&serde_json::Value) -> Result<String, String>;

/// The helpers through which every value reaches a template, one per target syntax. A value
/// of the wrong kind for its target is a template bug, reported as E0601, never written.
/// (`indent` places a block the emitter built, already escaped, into a YAML block scalar.)
pub const HELPERS: &[(&str, EscapeFn)] = &[
    // A quoted HCL string.
    ("hcl", |v| text(v).map(hcl::string)),
    // The inside of a quoted HCL string (a message that names values).
    ("hcl_in", |v| text(v).map(hcl::string_body)),
    // An HCL map key.
    ("hcl_key", |v| text(v).map(hcl::key)),
    // A Terraform expression the emitter built (a reference, a string it escaped).
    ("expr", |v| text(v).and_then(expr)),
    // A Terraform name or label part: letters, digits, `_`.
    ("ident", |v| {
        text(v).and_then(|s| checked(s, "a name", |c| c.is_ascii_alphanumeric() || c == '_'))
    }),
    // A file name in a path the template spells out.
    ("file", |v| {
        text(v).and_then(|s| {
            checked(s, "a file name", |c| {
                c.is_ascii_alphanumeric() || "._-".contains(c)
            })
        })
    }),
    // A whole number.
    ("num", |v| {
        v.as_u64()
            .map(|n| n.to_string())
            .ok_or_else(|| format!("expected a number, got {v}"))
    }),
    // `true` or `false`.
    ("bool", |v| {
        v.as_bool()
            .map(|b| b.to_string())
            .ok_or_else(|| format!("expected a boolean, got {v}"))
    }),
    // Text in a `#` comment of HCL, YAML or shell: one line, no control characters.
    ("comment", |v| {
        text(v).map(|s| {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        })
    }),
    // A Markdown table cell.
    ("md", |v| {
        text(v).map(|s| s.replace('|', "\\|").replace(['\n', '\r'], " "))
    }),
];

fn text(v: &serde_json::Value) -> Result<&str, String> {
    v.as_str()
        .ok_or_else(|| format!("expected a string, got {v}"))
}

fn checked(s: &str, what: &str, ok: impl Fn(char) -> bool) -> Result<String, String> {
    if !s.is_empty() && s.chars().all(ok) {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not {what}"))
    }
}

/// An expression the emitter built: one line, quotes balanced (a user's value inside it went
/// through `hcl::string`, which escapes quotes).
fn expr(s: &str) -> Result<String, String> {
    let mut quotes = 0;
    let mut escaped = false;
    for c in s.chars() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quotes += 1,
            c if c.is_control() => return Err(format!("`{s}` spans lines")),
            _ => {}
        }
        escaped = false;
    }
    if s.is_empty() || quotes % 2 == 1 {
        return Err(format!("`{s}` is not a whole expression"));
    }
    Ok(s.to_string())
}

/// A helper of [`HELPERS`]: its name and how it turns a value into text.
struct Escape(
    &'static str,
    fn(&serde_json::Value) -> Result<String, String>,
);

impl handlebars::HelperDef for Escape {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &handlebars::Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        let v = h
            .param(0)
            .ok_or(handlebars::RenderErrorReason::ParamNotFoundForIndex(
                self.0, 0,
            ))?
            .value();
        let s = (self.1)(v).map_err(|e| {
            handlebars::RenderErrorReason::Other(format!("{{{{{} ...}}}}: {e}", self.0))
        })?;
        out.write(&s)?;
        Ok(())
    }
}

handlebars::handlebars_helper!(indent_helper: |text: str, n: u64| indent(text, n as usize));

/// Indents each non-empty line; the result has no trailing newline (the template has it).
pub fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.trim_end_matches('\n')
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `VAR='value'` with the value single-quoted for the shell.
pub fn shell_assign(name: &str, value: &str) -> String {
    format!("{name}='{}'", value.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::HELPERS;
    use serde_json::json;

    fn apply(helper: &str, v: serde_json::Value) -> Result<String, String> {
        let (_, f) = HELPERS.iter().find(|(n, _)| *n == helper).unwrap();
        f(&v)
    }

    #[test]
    fn each_helper_escapes_for_its_target_or_refuses() {
        assert_eq!(apply("hcl", json!("a\"${b}")).unwrap(), "\"a\\\"$${b}\"");
        assert_eq!(
            apply("hcl_in", json!("nat-1 \"x\"")).unwrap(),
            "nat-1 \\\"x\\\""
        );
        assert_eq!(apply("comment", json!("a\nb\rc")).unwrap(), "a b c");
        assert_eq!(apply("md", json!("a|b\nc")).unwrap(), "a\\|b c");
        assert_eq!(
            apply("ident", json!("nomad_docker")).unwrap(),
            "nomad_docker"
        );
        assert!(apply("ident", json!("a b")).is_err());
        assert!(apply("ident", json!("x\" { evil")).is_err());
        assert_eq!(
            apply("file", json!("ec2-assume-role.json")).unwrap(),
            "ec2-assume-role.json"
        );
        assert!(apply("file", json!("../secret")).is_err());
        assert_eq!(apply("num", json!(42)).unwrap(), "42");
        assert!(apply("num", json!("42")).is_err());
        assert_eq!(apply("bool", json!(true)).unwrap(), "true");
        assert!(apply("bool", json!("true")).is_err());
        assert!(apply("expr", json!("data.aws_ami.os.id")).is_ok());
        assert!(apply("expr", json!("\"circleci-${data.x.y}\"")).is_ok());
        assert!(apply("expr", json!("\"unclosed")).is_err());
        assert!(apply("expr", json!("a\nb")).is_err());
        assert!(apply("hcl", json!(1)).is_err(), "a number is not a string");
    }
}
