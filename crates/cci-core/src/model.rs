//! The typed model: what `resolve` makes of the stdlib and the site once every name is bound
//! and every value has its type. Later stages (`check`, `graph`, `emit`) read only this.

mod boot;
mod rules;
mod site;
mod stdlib;

pub use crate::values::{human_bytes, is_private_range, ports_text, GIB};
pub use boot::{BuildIsolation, UserDataLimits};
pub use rules::{Condition, EndpointRef, Rule};
pub use site::{
    Backup, BoundActor, Dns, External, FileRef, Fleet, GitHub, Proxy, Services, Site, StateBackend,
    Tls,
};
pub use stdlib::{
    ActorDef, AwsLimits, ConditionDef, DockerRepository, EnterpriseSetup, ExternalDef,
    InstanceType, Machine, NomadClient, NomadCountRow, NomadRequirements, Os, OutputDef, PolicyDef,
    Prices, ProxyExceptions, Replicated, ResourceClass, SizingRow, StatementDef, Stdlib,
    TerraformResource,
};
