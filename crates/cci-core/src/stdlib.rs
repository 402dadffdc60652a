//! The standard library: what the vendor guide knows, written in the language itself and
//! embedded in the binary. `cci-dsl --stdlib DIR` reads a directory instead (same files).

/// The embedded stdlib files, in load order.
pub const FILES: &[(&str, &str)] = &[
    (
        "stdlib/circleci-2.16/release.cci",
        include_str!("../../../stdlib/circleci-2.16/release.cci"),
    ),
    (
        "stdlib/circleci-2.16/aws.cci",
        include_str!("../../../stdlib/circleci-2.16/aws.cci"),
    ),
    (
        "stdlib/circleci-2.16/instance-types.cci",
        include_str!("../../../stdlib/circleci-2.16/instance-types.cci"),
    ),
    (
        "stdlib/circleci-2.16/sizing.cci",
        include_str!("../../../stdlib/circleci-2.16/sizing.cci"),
    ),
    (
        "stdlib/circleci-2.16/prices.cci",
        include_str!("../../../stdlib/circleci-2.16/prices.cci"),
    ),
    (
        "stdlib/circleci-2.16/ports.cci",
        include_str!("../../../stdlib/circleci-2.16/ports.cci"),
    ),
    (
        "stdlib/circleci-2.16/iam.cci",
        include_str!("../../../stdlib/circleci-2.16/iam.cci"),
    ),
];

/// The embedded stdlib as owned (name, text) pairs, for callers that want to change it.
pub fn embedded() -> Vec<(String, String)> {
    FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}
