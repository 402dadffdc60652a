//! Emission: the typed model, the security-group plan and the dependency graph become the
//! output files, as text, in memory. Every text output comes from a handlebars template kept
//! in `stdlib/templates/` and embedded in the binary; values reach templates only through
//! escaping helpers for their target (`hcl`, `indent`), never raw.

mod cloud_init;
pub mod graph_render;
pub mod hcl;
pub mod iam;
mod ports;
mod terraform;

use crate::graph::ResourceGraph;
use crate::model::{Site, Stdlib};
use crate::network::Network;
use handlebars::Handlebars;
use std::collections::BTreeMap;

/// Everything a build writes: relative path to contents. Sorted, so output is stable.
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
    /// The site file's name as the user gave it, for generated-by headers.
    pub source_name: &'a str,
}

/// An emission failure: a template that does not render. A bug, reported as E0601.
#[derive(Debug, Clone, PartialEq)]
pub struct EmitError(pub String);

pub fn emit(input: &Input) -> Result<Outputs, EmitError> {
    let t = templates()?;
    let mut out = Outputs::default();
    terraform::emit(input, &t, &mut out)?;
    iam::emit(input, &mut out)?;
    ports::emit(input, &t, &mut out)?;
    cloud_init::emit(input, &t, &mut out)?;
    out.files.insert(
        "graph/resources.dot".into(),
        graph_render::dot(input.graph, &input.site.name),
    );
    out.files.insert(
        "graph/resources.mmd".into(),
        graph_render::mermaid(input.graph),
    );
    Ok(out)
}

/// The templates, embedded from `stdlib/templates/`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "tf/header",
        include_str!("../../stdlib/templates/terraform/header.hbs"),
    ),
    (
        "tf/versions",
        include_str!("../../stdlib/templates/terraform/versions.hbs"),
    ),
    (
        "tf/variable_passphrase",
        include_str!("../../stdlib/templates/terraform/variable_passphrase.hbs"),
    ),
    (
        "tf/ssm_passphrase",
        include_str!("../../stdlib/templates/terraform/ssm_passphrase.hbs"),
    ),
    (
        "tf/ami",
        include_str!("../../stdlib/templates/terraform/ami.hbs"),
    ),
    (
        "tf/caller_identity",
        include_str!("../../stdlib/templates/terraform/caller_identity.hbs"),
    ),
    (
        "tf/bucket_cors",
        include_str!("../../stdlib/templates/terraform/bucket_cors.hbs"),
    ),
    (
        "tf/security_group",
        include_str!("../../stdlib/templates/terraform/security_group.hbs"),
    ),
    (
        "tf/sg_rule",
        include_str!("../../stdlib/templates/terraform/sg_rule.hbs"),
    ),
    (
        "tf/bucket",
        include_str!("../../stdlib/templates/terraform/bucket.hbs"),
    ),
    (
        "tf/bucket_encryption",
        include_str!("../../stdlib/templates/terraform/bucket_encryption.hbs"),
    ),
    (
        "tf/bucket_public_access_block",
        include_str!("../../stdlib/templates/terraform/bucket_public_access_block.hbs"),
    ),
    (
        "tf/bucket_versioning",
        include_str!("../../stdlib/templates/terraform/bucket_versioning.hbs"),
    ),
    (
        "tf/bucket_ownership",
        include_str!("../../stdlib/templates/terraform/bucket_ownership.hbs"),
    ),
    (
        "tf/bucket_lifecycle",
        include_str!("../../stdlib/templates/terraform/bucket_lifecycle.hbs"),
    ),
    (
        "tf/queue",
        include_str!("../../stdlib/templates/terraform/queue.hbs"),
    ),
    (
        "tf/iam_role",
        include_str!("../../stdlib/templates/terraform/iam_role.hbs"),
    ),
    (
        "tf/iam_role_policy",
        include_str!("../../stdlib/templates/terraform/iam_role_policy.hbs"),
    ),
    (
        "tf/instance_profile",
        include_str!("../../stdlib/templates/terraform/instance_profile.hbs"),
    ),
    (
        "tf/services_instance",
        include_str!("../../stdlib/templates/terraform/services_instance.hbs"),
    ),
    (
        "tf/launch_template",
        include_str!("../../stdlib/templates/terraform/launch_template.hbs"),
    ),
    (
        "tf/autoscaling_group",
        include_str!("../../stdlib/templates/terraform/autoscaling_group.hbs"),
    ),
    (
        "tf/lifecycle_hook",
        include_str!("../../stdlib/templates/terraform/lifecycle_hook.hbs"),
    ),
    (
        "tf/outputs",
        include_str!("../../stdlib/templates/terraform/outputs.hbs"),
    ),
    (
        "tf/network_checks",
        include_str!("../../stdlib/templates/terraform/network_checks.hbs"),
    ),
    (
        "ci/services",
        include_str!("../../stdlib/templates/cloud-init/services.yaml.hbs"),
    ),
    (
        "ci/services_setup",
        include_str!("../../stdlib/templates/cloud-init/services-setup.sh.hbs"),
    ),
    (
        "ci/nomad",
        include_str!("../../stdlib/templates/cloud-init/nomad-client.yaml.hbs"),
    ),
    (
        "ci/nomad_setup",
        include_str!("../../stdlib/templates/cloud-init/nomad-setup.sh.hbs"),
    ),
    (
        "ci/boot_lib",
        include_str!("../../stdlib/templates/cloud-init/boot-lib.sh.hbs"),
    ),
    (
        "ci/nomad_config",
        include_str!("../../stdlib/templates/cloud-init/nomad-client.hcl.hbs"),
    ),
    (
        "ci/drain_script",
        include_str!("../../stdlib/templates/cloud-init/nomad-drain.sh.hbs"),
    ),
    (
        "ci/drain_unit",
        include_str!("../../stdlib/templates/cloud-init/nomad-drain.service.hbs"),
    ),
    (
        "ci/nomad_unit",
        include_str!("../../stdlib/templates/cloud-init/nomad.service.hbs"),
    ),
    (
        "ci/block_unit",
        include_str!("../../stdlib/templates/cloud-init/metadata-block.service.hbs"),
    ),
    (
        "ci/block_script",
        include_str!("../../stdlib/templates/cloud-init/metadata-block.sh.hbs"),
    ),
    ("ports", include_str!("../../stdlib/templates/ports.md.hbs")),
];

fn templates() -> Result<Handlebars<'static>, EmitError> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    // Nothing is HTML; each value goes through the helper for its target instead.
    h.register_escape_fn(handlebars::no_escape);
    h.register_helper("hcl", Box::new(hcl_helper));
    h.register_helper("hcl_key", Box::new(hcl_key_helper));
    h.register_helper("indent", Box::new(indent_helper));
    h.register_helper("md", Box::new(md_helper));
    for (name, text) in TEMPLATES {
        h.register_template_string(name, *text)
            .map_err(|e| EmitError(format!("template {name}: {e}")))?;
    }
    Ok(h)
}

fn render(h: &Handlebars, name: &str, ctx: &serde_json::Value) -> Result<String, EmitError> {
    h.render(name, ctx)
        .map_err(|e| EmitError(format!("template {name}: {e}")))
}

// The escaping helpers. Each takes a string (strict: anything else is a template bug).
handlebars::handlebars_helper!(hcl_helper: |s: str| hcl::string(s));
handlebars::handlebars_helper!(hcl_key_helper: |s: str| hcl::key(s));
handlebars::handlebars_helper!(indent_helper: |text: str, n: u64| indent(text, n as usize));
handlebars::handlebars_helper!(md_helper: |s: str| s.replace('|', "\\|").replace('\n', " "));

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
