//! What becomes of each variable of the tfvars: carried into the site, carried with something
//! to do, or not carried, and why. By subject: [`aws`] (where the site runs), [`machines`] (the
//! services box and the Nomad clients), [`operations`] (teardown, DNS, the proxy); here, the
//! secrets, the name and what is left.

mod aws;
mod machines;
mod operations;

use crate::read::{is_placeholder, scalar, Importer};
use crate::write::bound_to_every_address;
use crate::write::{shown, Field, Site};
use crate::NoteKind;
use crate::DEFAULT_DAILY_ACTIVE_USERS;

pub(crate) use aws::aws;
pub(crate) use machines::{legacy, machines};
#[cfg(test)]
pub(crate) use operations::check_proxy_url;
pub(crate) use operations::{proxy, route, teardown};

/// Every variable enterprise-setup's main line declared, at any commit (variables.tf, and
/// circleci.tf / main.tf before December 2017).
pub(crate) const KNOWN: &[&str] = &[
    "aws_access_key",
    "aws_secret_key",
    "aws_region",
    "aws_vpc_id",
    "aws_subnet_id",
    "aws_ssh_key_name",
    "enable_govcloud",
    "circle_secret_passphrase",
    "services_ami",
    "services_instance_type",
    "builder_instance_type",
    "max_builders_count",
    "desired_builders_count",
    "legacy_builder_spot_price",
    "builder_image",
    "base_services_image",
    "enable_nomad",
    "nomad_client_instance_type",
    "max_clients_count",
    "prefix",
    "services_disable_api_termination",
    "services_delete_on_termination",
    "force_destroy_s3_bucket",
    "destroy_s3_bucket",
    "enable_route",
    "route_name",
    "route_zone_id",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "services_user_data_enabled",
    "ubuntu_ami",
    "enable_ansible_provisioning",
    "ansible_extra_vars",
];

pub(crate) const NO_CREDENTIALS: &str = "never copied or shown: use an instance profile or your AWS profile instead (the generated Terraform's provider takes the default credential chain: AWS_PROFILE, environment, instance profile)";
/// What becomes of CircleCI 1.0's builders in a site of `release`.
pub(crate) fn no_legacy(release: &str) -> String {
    format!("CircleCI 1.0 builders are not part of Server {release}'s model (2.0 builds run on the Nomad clients); nothing of them is carried")
}

pub(crate) fn credentials(im: &mut Importer) {
    for key in ["aws_access_key", "aws_secret_key"] {
        if im.set(key) {
            im.used.insert(key.to_string());
            im.note(NoteKind::NotCarried, key, NO_CREDENTIALS);
        }
    }
}

pub(crate) fn passphrase(im: &mut Importer) {
    const KEY: &str = "circle_secret_passphrase";
    let apply = "give it at apply time as TF_VAR_circle_secret_passphrase";
    let Some(value) = im.get(KEY) else {
        if !im.set(KEY) {
            im.note(
                NoteKind::Todo,
                KEY,
                format!("not in the tfvars: the site says `passphrase = secret`; {apply}"),
            );
        }
        return;
    };
    // Only facts about the value are used; the value itself goes nowhere.
    let text = scalar(&value).unwrap_or_default();
    let message = if is_placeholder(&text) {
        format!("`passphrase = secret`; the tfvars hold the template's placeholder, not a passphrase: choose one (letters and digits) and {apply}")
    } else if text.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("`passphrase = secret`; the value was not copied or shown: {apply} (the same value: CircleCI's stored secrets are encrypted with it)")
    } else {
        format!("`passphrase = secret`; the value was not copied or shown: {apply} (the same value: CircleCI's stored secrets are encrypted with it). It holds characters other than letters and digits, which the generated Terraform refuses (guide ch. 2, step 4)")
    };
    im.note(NoteKind::Todo, KEY, message);
}

pub(crate) fn name(im: &mut Importer, site: &mut Site) {
    const KEY: &str = "prefix";
    let default = im.lib.enterprise_setup.prefix.clone();
    let Some(prefix) = im.text(KEY) else {
        if !im.set(KEY) {
            im.note(
                NoteKind::Carried,
                KEY,
                format!("not in the tfvars; enterprise-setup's default `{default}` names the site"),
            );
        }
        site.name = Field::new(default, "");
        return;
    };
    match site_name(&prefix) {
        Some(n) if n == prefix => {
            im.note(NoteKind::Carried, KEY, "the site's name");
            site.name = Field::new(n, "");
        }
        Some(n) => {
            im.note(
                NoteKind::Carried,
                KEY,
                format!(
                    "`{}` becomes the site name `{n}` (lower-case letters, digits and `-`, starting with a letter, at most 32 characters)",
                    shown(&prefix)
                ),
            );
            site.name = Field::new(n, format!("enterprise-setup's prefix: {}", shown(&prefix)));
        }
        None => {
            im.note(
                NoteKind::Todo,
                KEY,
                format!("`{}` leaves no valid site name (lower-case letters, digits and `-`, starting with a letter): `{default}` used, enterprise-setup's default; rename it if you like", shown(&prefix)),
            );
            site.name = Field::new(default, "");
        }
    }
}

/// A site name from enterprise-setup's prefix: lower-case letters, digits and `-`, starting
/// with a letter, at most 32 characters (resolve's rule). `None` when nothing is left.
pub(crate) fn site_name(prefix: &str) -> Option<String> {
    let mut name = String::new();
    for c in prefix.trim().chars() {
        let c = c.to_ascii_lowercase();
        let c = match c {
            'a'..='z' | '0'..='9' => c,
            '-' | '_' | '.' | ' ' => '-',
            _ => continue,
        };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        if name.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        name.push(c);
    }
    let name: String = name.chars().take(32).collect();
    let name = name.trim_end_matches('-').to_string();
    (!name.is_empty()).then_some(name)
}

pub(crate) fn unknown(im: &mut Importer) {
    let names: Vec<String> = im
        .vars
        .iter()
        .map(|v| v.name.clone())
        .filter(|n| !KNOWN.contains(&n.as_str()))
        .collect();
    for n in names {
        im.note(
            NoteKind::NotCarried,
            &n,
            "not a variable of enterprise-setup (at any release): not carried, and its value is not shown",
        );
    }
    // Known variables no step looked at would be a bug here; say them rather than drop them.
    let missed: Vec<String> = im
        .vars
        .iter()
        .map(|v| v.name.clone())
        .filter(|n| {
            KNOWN.contains(&n.as_str())
                && !im
                    .notes
                    .iter()
                    .any(|(_, note)| note.variable.as_deref() == Some(n))
        })
        .collect();
    for n in missed {
        im.note(NoteKind::NotCarried, &n, "not carried");
    }
}

pub(crate) fn site_notes(im: &mut Importer, site: &Site) {
    let dau = DEFAULT_DAILY_ACTIVE_USERS;
    let (min, max) = site.count;
    im.site_note(
        NoteKind::Todo,
        format!("daily_active_users: enterprise-setup had no such setting; {dau} written (the guide's example): set your real number, it sizes the services box and the Nomad fleet"),
    );
    im.site_note(
        NoteKind::Todo,
        format!("fleet nomad {{ count = {min}..{max} }}: the guide's table for {dau} daily active users (enterprise-setup's group ran 0 to 2 clients, 1 wanted); set it for your number"),
    );
    let actors: Vec<String> = bound_to_every_address(im.lib)
        .iter()
        .map(|a| format!("`{a}`"))
        .collect();
    im.site_note(
        NoteKind::Todo,
        format!("actors: enterprise-setup opened SSH, the web app, the admin console and SSH into builds to every address; {} are bound to 0.0.0.0/0 to keep that, and `check` warns (W0411, W0427) until you narrow them to your ranges", actors.join(" and ")),
    );
    im.site_note(
        NoteKind::Todo,
        "github = github_com: enterprise-setup had no GitHub setting (it is chosen in the admin console); for GitHub Enterprise write enterprise(\"https://...\") and bind actors { github = [...] }",
    );
    im.site_note(
        NoteKind::Carried,
        "vm_service = true: enterprise-setup always made the security group of the machine executor's and remote Docker's VMs; set it to false if your jobs use neither",
    );
    im.site_note(
        NoteKind::Carried,
        format!(
            "disks: services {} GiB and Nomad clients {} GiB, enterprise-setup's root volumes",
            im.lib.enterprise_setup.services_disk_gib, im.lib.enterprise_setup.nomad_disk_gib
        ),
    );
    im.site_note(
        NoteKind::Todo,
        format!("the generated Terraform makes a new site named `{}`: it does not take over enterprise-setup's Terraform state or its resources (services box, bucket, security groups); plan the move of the data (guide ch. 3, backups)", site.name.value),
    );
}
