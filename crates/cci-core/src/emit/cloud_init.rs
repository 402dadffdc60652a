//! `cloud-init/*.yaml`: `#cloud-config` user-data. Scripts and units are templates of their
//! own, indented into `write_files` block scalars; values reach the scripts only through
//! single-quoted assignments in an env file.
//!
//! Terraform reads both files with `templatefile`, to fill in what it learns at apply (the
//! bucket, the queue, the services box's address). So every literal value is escaped for
//! it (`${` → `$${`), and the only `${...}` left are the placeholders named here.

use super::{render, shell_assign, EmitError, Input, Outputs, Templates};
use crate::model::{Site, Stdlib};
use crate::names::Names;
use serde_json::{json, Value};

/// The placeholders Terraform fills in the services box's user-data, and the Terraform
/// expression each takes.
pub(super) fn services_user_data_vars(site: &Site) -> Vec<(&'static str, &'static str)> {
    vec![
        ("bucket", "aws_s3_bucket.circleci.id"),
        ("queue_url", "aws_sqs_queue.shutdown.url"),
        (
            "vm_security_group_id",
            if site.vm_service {
                "aws_security_group.vms.id"
            } else {
                "\"\""
            },
        ),
    ]
}

/// The placeholder Terraform fills in the Nomad clients' user-data when they join the Nomad
/// server on the services box.
pub const NOMAD_PLACEHOLDER: &str = "services_private_ip";

pub fn emit(input: &Input, t: &Templates, out: &mut Outputs) -> Result<(), EmitError> {
    let base = json!({
        "source": input.source_name,
        "site": input.site.name,
        "release": input.lib.release,
    });
    let boot_lib = render(t, "ci/boot_lib", base.clone())?;
    let services = services(input, t, &base, &boot_lib)?;
    out.files
        .insert("cloud-init/services.yaml".into(), services);
    let nomad = nomad_client(input, t, &base, &boot_lib)?;
    out.files
        .insert("cloud-init/nomad-client.yaml".into(), nomad);
    Ok(())
}

/// The services box's user-data: its settings, the shared boot functions, its setup script.
fn services(
    input: &Input,
    t: &Templates,
    base: &Value,
    boot_lib: &str,
) -> Result<String, EmitError> {
    let (site, lib) = (input.site, input.lib);
    let names = Names::new(site);
    let mut env = vec![
        literal("AWS_REGION", &site.region),
        literal("PASSPHRASE_PARAMETER", &names.passphrase_parameter()),
        placeholder("SQS_QUEUE_URL", "queue_url"),
        placeholder("S3_BUCKET", "bucket"),
        literal("SUBNET_ID", &site.subnet),
        // Empty when the site does not run vm-service.
        placeholder("VM_SECURITY_GROUP_ID", "vm_security_group_id"),
    ];
    env.extend(docker_env(lib, &lib.services_machine.docker));
    env.extend([
        literal("REPLICATED_VERSION", &lib.replicated.version),
        literal("REPLICATED_INSTALLER", &lib.replicated.installer),
    ]);
    render(
        t,
        "ci/services",
        json!({
            "source": input.source_name, "site": site.name, "release": lib.release,
            "ssm_name": names.passphrase_parameter(),
            "site_env": env.join("\n"),
            "proxy_env": proxy_env(site, lib, false),
            "boot_lib": boot_lib,
            "setup_script": render(t, "ci/services_setup", base.clone())?,
        }),
    )
}

/// The Nomad clients' user-data: settings, Nomad's client configuration, the units and
/// scripts that set the client up, keep builds from the metadata service and drain it.
fn nomad_client(
    input: &Input,
    t: &Templates,
    base: &Value,
    boot_lib: &str,
) -> Result<String, EmitError> {
    let (site, lib) = (input.site, input.lib);
    let nomad = &lib.nomad;
    let advertised_public = site.reaches_public_address(&nomad.advertised_to);
    // The clients join the Nomad server on the services box unless the site runs it outside.
    let join_services = site.external_nomad_servers(lib).is_none();
    let mut env = vec![literal("AWS_REGION", &site.region)];
    env.extend(docker_env(lib, &lib.nomad_machine.docker));
    env.extend([
        literal("NOMAD_VERSION", &nomad.version),
        literal("NOMAD_URL", &nomad.url),
        literal("NOMAD_SHA256", &nomad.sha256),
        literal("NOMAD_HTTP_PORT", &nomad.http_port.to_string()),
        literal(
            "ADVERTISE_PUBLIC_ADDRESS",
            if advertised_public { "yes" } else { "no" },
        ),
        literal("LIFECYCLE_HOOK", &Names::new(site).drain_hook()),
        literal(
            "DRAIN_TIMEOUT_SECONDS",
            &nomad.drain_timeout_seconds.to_string(),
        ),
    ]);
    env.extend(isolation_env(site, lib));
    let config = render(
        t,
        "ci/nomad_config",
        json!({
            "release": lib.release,
            "nomad_version": nomad.version,
            // The `hcl` helper escapes `${` for templatefile as it does for Terraform.
            "datacenter": nomad.datacenter,
            "node_class": nomad.node_class,
            "servers": nomad_servers(site, lib).join(", "),
        }),
    )?;
    render(
        t,
        "ci/nomad",
        json!({
            "source": input.source_name, "site": site.name, "release": lib.release,
            "join_services": join_services,
            "nomad_env": env.join("\n"),
            "proxy_env": proxy_env(site, lib, join_services),
            "nomad_config": config,
            "boot_lib": boot_lib,
            "nomad_unit": render(t, "ci/nomad_unit", json!({ "release": lib.release, "proxy": site.proxy.is_some() }))?,
            "isolation_unit": render(t, "ci/isolation_unit", base.clone())?,
            "isolation_script": render(t, "ci/isolation_script", base.clone())?,
            "drain_unit": render(t, "ci/drain_unit", json!({ "proxy": site.proxy.is_some() }))?,
            "drain_script": render(t, "ci/drain_script", base.clone())?,
            "setup_script": render(t, "ci/nomad_setup", base.clone())?,
        }),
    )
}

/// The Nomad servers the clients join, as quoted `address:port` strings: the services box
/// (its private address, filled in by Terraform), or the site's external Nomad servers.
fn nomad_servers(site: &Site, lib: &Stdlib) -> Vec<String> {
    let default_port = lib.nomad_servers().map_or(0, |d| d.default_port);
    match site.external_nomad_servers(lib) {
        None => vec![format!("\"${{{NOMAD_PLACEHOLDER}}}:{default_port}\"")],
        Some(ext) => ext
            .hosts
            .iter()
            .map(|h| format!("\"{}:{}\"", h.addr(), ext.port))
            .collect(),
    }
}

/// What the build isolation script reads: the bridges, Nomad's ports, the servers (the
/// services box's address, filled in by Terraform, or the site's external Nomad servers), the
/// blocked ranges, the resolver and Docker's chains.
fn isolation_env(site: &Site, lib: &Stdlib) -> Vec<String> {
    let iso = &lib.build_isolation;
    let servers = match site.external_nomad_servers(lib) {
        None => placeholder("ISOLATION_SERVERS", NOMAD_PLACEHOLDER),
        Some(ext) => {
            let hosts: Vec<String> = ext.hosts.iter().map(|h| h.addr().to_string()).collect();
            literal("ISOLATION_SERVERS", &hosts.join(" "))
        }
    };
    let blocked: Vec<String> = iso.blocked.iter().map(|n| n.to_string()).collect();
    let resolver = iso.resolver.map(|a| a.to_string()).unwrap_or_default();
    vec![
        literal("ISOLATION_BRIDGES", &iso.bridges.join(" ")),
        literal(
            "ISOLATION_NOMAD_PORTS",
            &format!("{}:{}", iso.nomad_ports.0, iso.nomad_ports.1),
        ),
        servers,
        literal("ISOLATION_BLOCKED", &blocked.join(" ")),
        literal("ISOLATION_RESOLVER", &resolver),
        literal("ISOLATION_DOCKER_CHAINS", &iso.docker_chains.join(" ")),
    ]
}

/// `/etc/circleci/proxy.env` of a site with a `proxy`: the proxies, and the exceptions known
/// before boot (the stdlib's, the S3 endpoint's, the site's own); boot.sh's `setup_proxy` adds
/// the machine's address and its VPC's ranges, and on Nomad clients the services box.
fn proxy_env(site: &Site, lib: &Stdlib, services_placeholder: bool) -> Option<String> {
    let proxy = site.proxy.as_ref()?;
    let ex = &lib.proxy_exceptions;
    let mut no_proxy: Vec<String> = ex.always.clone();
    if site.s3_endpoint.is_some() {
        no_proxy.extend(
            ex.with_s3_endpoint
                .iter()
                .map(|h| h.replace("{region}", &site.region)),
        );
    }
    no_proxy.extend(proxy.no_proxy.iter().cloned());
    let mut seen = std::collections::BTreeSet::new();
    no_proxy.retain(|h| seen.insert(h.clone()));
    let mut lines = vec![
        literal("PROXY_HTTP", proxy.http.as_deref().unwrap_or_default()),
        literal("PROXY_HTTPS", proxy.https.as_deref().unwrap_or_default()),
        literal("PROXY_NO_PROXY", &no_proxy.join(",")),
    ];
    if services_placeholder {
        lines.push(placeholder("PROXY_SERVICES_ADDRESS", NOMAD_PLACEHOLDER));
    }
    Some(lines.join("\n"))
}

/// The Docker a role installs and where from (boot.sh's install_docker reads these).
fn docker_env(lib: &Stdlib, docker_version: &str) -> Vec<String> {
    let d = &lib.docker;
    vec![
        literal("DOCKER_VERSION", docker_version),
        literal("DOCKER_REPOSITORY", &d.repository),
        literal("DOCKER_CHANNEL", &d.channel),
        literal("DOCKER_KEY_URL", &d.key_url),
        literal("DOCKER_KEY_FINGERPRINT", &d.key_fingerprint),
    ]
}

/// `NAME='value'` with the value kept literal through Terraform's templatefile.
fn literal(name: &str, value: &str) -> String {
    shell_assign(name, &escape_for_templatefile(value))
}

/// `NAME='${placeholder}'`, filled in by Terraform's templatefile.
fn placeholder(name: &str, placeholder: &str) -> String {
    format!("{name}='${{{placeholder}}}'")
}

/// Text that Terraform's templatefile reproduces as it is.
fn escape_for_templatefile(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}
