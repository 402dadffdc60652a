//! The names this site's resources get in AWS, shared by the Terraform, the IAM documents and
//! the user-data, so that a name and every reference to it are built in one place.
//!
//! IAM is global to an account, so every name starts with the site's name; two sites in one
//! account must have different names.

use crate::model::Site;

/// Terraform's name of the services box's security group.
pub const SERVICES_GROUP: &str = "services";
/// Terraform's name of the security group every Nomad client holds, whatever its fleet.
pub const NOMAD_GROUP: &str = "nomad";
/// Terraform's name of the security group of the VMs vm-service starts.
pub const VMS_GROUP: &str = "vms";

/// Terraform's name of a fleet's launch template, Auto Scaling group and lifecycle hook: the
/// fleet's own name (only fleets have resources of those types, so it is unique).
pub fn fleet_id(fleet: &str) -> String {
    fleet.to_string()
}

/// Terraform's name of a fleet's resources of a type the site also has: its own security
/// group (beside `nomad`, `services`, ...) and its image lookup (beside `os`).
pub fn fleet_qualified_id(fleet: &str) -> String {
    format!("nomad_{fleet}")
}

/// What cci-dsl before 2026-12 named a fleet's launch template, group and hook; `moved.tf`
/// moves a state that has them, so a fleet is renamed in place, not replaced.
pub fn legacy_fleet_id(fleet: &str) -> String {
    format!("nomad_{fleet}")
}

/// The `name_prefix` of a security group named `name` (Terraform appends a unique suffix).
pub fn group_prefix(name: &str) -> String {
    format!("{name}-")
}

/// Terraform's name of the security group for an externalized service's servers.
pub fn external_group(service: &str) -> String {
    format!("ext_{service}")
}

/// AWS names of one site's resources.
#[derive(Clone, Debug)]
pub struct Names {
    site: String,
}

/// Terraform's account id of the account it applies to (`data.aws_caller_identity`).
pub const CALLER_ACCOUNT_ID: &str = "data.aws_caller_identity.current.account_id";

/// What Terraform's `templatefile` replaces with the caller's account id in `iam/` documents.
pub const ACCOUNT_ID_PLACEHOLDER: &str = "${account_id}";

impl Names {
    pub fn new(site: &Site) -> Self {
        Names {
            site: site.name.clone(),
        }
    }

    pub fn services_role(&self) -> String {
        format!("{}-circleci-services", self.site)
    }

    pub fn nomad_role(&self) -> String {
        format!("{}-circleci-nomad", self.site)
    }

    /// The role Data Lifecycle Manager takes to snapshot the services box.
    pub fn backup_role(&self) -> String {
        format!("{}-circleci-backup", self.site)
    }

    /// AWS names (prefixes) of the security groups.
    pub fn services_group(&self) -> String {
        format!("{}-services", self.site)
    }

    pub fn nomad_group(&self) -> String {
        format!("{}-nomad", self.site)
    }

    pub fn vms_group(&self) -> String {
        format!("{}-vms", self.site)
    }

    pub fn external_group(&self, service: &str) -> String {
        format!("{}-{}", self.site, service.replace('_', "-"))
    }

    /// The services box's `Name` tag.
    pub fn services_instance(&self) -> String {
        format!("{}-circleci-services", self.site)
    }

    pub fn shutdown_queue(&self) -> String {
        format!("{}-circleci-nomad-shutdown", self.site)
    }

    /// The SSM path under which the site's parameters live.
    pub fn ssm_prefix(&self) -> String {
        format!("/circleci/{}", self.site)
    }

    pub fn passphrase_parameter(&self) -> String {
        format!("{}/passphrase", self.ssm_prefix())
    }

    /// A fleet's name in AWS (`Name` tags); fleet names may hold `_`, AWS names here do not.
    pub fn fleet(&self, fleet: &str) -> String {
        format!("{}-nomad-{}", self.site, fleet.replace('_', "-"))
    }

    /// The prefix of a fleet's launch template and Auto Scaling group names (AWS appends a
    /// unique suffix, so a replacement can be created before the old one is gone).
    pub fn fleet_prefix(&self, fleet: &str) -> String {
        format!("{}-", self.fleet(fleet))
    }

    /// The Nomad clients' scale-in lifecycle hook; the same name in every fleet's group, so
    /// the drain script needs no per-fleet setting.
    pub fn drain_hook(&self) -> String {
        format!("{}-nomad-drain", self.site)
    }

    /// The bucket name when the site does not give one: the site and its account, unique
    /// across accounts as S3 needs. `account` is the site's `account`, if any (emit's
    /// `bucket_hcl` passes Terraform's caller identity when the site gives none).
    pub fn derived_bucket(&self, account: &str) -> String {
        format!("circleci-{}-{account}", self.site)
    }

    /// The bucket's name in IAM documents: an account id not given is matched by twelve `?`
    /// (exactly twelve characters, so no other site's bucket name fits the pattern).
    pub fn bucket_pattern(&self, site: &Site) -> String {
        match (&site.bucket, &site.account) {
            (Some(b), _) => b.clone(),
            (None, Some(account)) => self.derived_bucket(account),
            (None, None) => self.derived_bucket(&"?".repeat(12)),
        }
    }
}
