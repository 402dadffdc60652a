//! The boots and the drain, run for real (issue 15, item 6): tests/run/boot.py builds the
//! site, boots the services box and then a Nomad client from their user-data, each in a
//! copy-on-write sandbox of this machine inside network namespaces, with shims for what would
//! change the machine or need the internet, a fake metadata service (IMDSv2 only) and Nomad
//! agent, the real AWS CLI against the AWS API emulator and, on a proxied site, a proxy that
//! is the only way to it. It checks: the release's key fingerprint and checksum stop a boot
//! whose downloads do not match, with boot-failed naming the step; both boots finish in
//! order with the pinned versions; Replicated's installer is retried and runs with umask 022;
//! the passphrase comes from SSM; the isolation is applied before Nomad starts; the drain waits
//! for the lifecycle state, drains, waits for the allocations and completes the lifecycle
//! action in the emulator; on a proxied site every unit that talks to the network has the
//! proxy.

const COMMANDS: &[&str] = &[
    "ip", "iptables", "unshare", "nsenter", "chroot", "gpg", "unzip", "jq",
];

#[test]
fn both_boots_and_the_drain_do_what_the_readme_says() {
    let Some(env_sh) = crate::installed_tool("AWS_CLI", "the AWS CLI and the emulator are") else {
        return;
    };
    if !crate::namespace_tools(COMMANDS, "the boot test") {
        return;
    }
    crate::run_in_namespaces(
        &env_sh,
        "boot.py",
        &["default.cci", "externalized.cci", "proxied.cci"],
    );
}
