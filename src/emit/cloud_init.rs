//! `cloud-init/*.yaml`: `#cloud-config` user-data. Scripts and units are templates of their
//! own, indented into `write_files` block scalars; values reach the scripts only through
//! single-quoted assignments in an env file.

use super::{render, shell_assign, EmitError, Input, Outputs};
use handlebars::Handlebars;
use serde_json::json;

pub fn emit(input: &Input, t: &Handlebars, out: &mut Outputs) -> Result<(), EmitError> {
    let site = input.site;
    let lib = input.lib;
    let names = super::terraform::site_names(site);
    let release = &lib.release;
    let version = |k: &str| lib.versions.get(k).cloned().unwrap_or_default();
    let base = json!({ "source": input.source_name, "site": site.name, "release": release });

    let ssm_name = format!("{}/passphrase", names.ssm_prefix);
    let site_env = [
        shell_assign("AWS_REGION", &site.region),
        shell_assign("PASSPHRASE_PARAMETER", &ssm_name),
        shell_assign("SHUTDOWN_QUEUE", &names.queue),
        shell_assign("S3_BUCKET", &site.bucket),
        shell_assign("SUBNET_ID", &site.subnet),
        shell_assign("VPC_ID", &site.vpc),
        // The VMs' group, looked up by name at boot (its id exists only after apply); empty
        // when the site does not run vm-service.
        shell_assign(
            "VM_SECURITY_GROUP_NAME",
            &if site.vm_service {
                format!("{}-vms", site.name)
            } else {
                String::new()
            },
        ),
        shell_assign("REPLICATED_VERSION", &version("replicated")),
    ]
    .join("\n");
    let setup = render(t, "ci/services_setup", &base)?;
    let services = render(
        t,
        "ci/services",
        &json!({
            "source": input.source_name, "site": site.name, "release": release,
            "ssm_name": ssm_name, "site_env": site_env, "setup_script": setup,
        }),
    )?;
    out.files
        .insert("cloud-init/services.yaml".into(), services);

    // `${services_private_ip}` is Terraform's (templatefile); nothing else in this file may
    // contain `${` or `%{`, which the tests check.
    let nomad_env = [
        shell_assign("NOMAD_VERSION", &version("nomad")),
        shell_assign("NOMAD_SERVERS", "${services_private_ip}:4647"),
    ]
    .join("\n");
    let nomad = render(
        t,
        "ci/nomad",
        &json!({
            "source": input.source_name, "site": site.name, "release": release,
            "nomad_env": nomad_env,
            "nomad_unit": render(t, "ci/nomad_unit", &base)?,
            "block_unit": render(t, "ci/block_unit", &base)?,
            "block_script": render(t, "ci/block_script", &base)?,
            "setup_script": render(t, "ci/nomad_setup", &base)?,
        }),
    )?;
    out.files
        .insert("cloud-init/nomad-client.yaml".into(), nomad);
    Ok(())
}
