//! The build isolation of the Nomad clients (issue 15, item 1), applied for real: the
//! generated circleci-build-isolation runs unmodified in a sandbox inside network namespaces
//! standing for a Nomad client with Docker 17.03's rules, its containers and the VPC
//! (tests/run/isolation.py). A container cannot reach the host's Nomad ports, the servers'
//! Nomad ports or the metadata service, and still reaches DNS, the internet and the services
//! box's build ports; the services box still reaches the client; a network Docker makes
//! later is caught through DOCKER-ISOLATION, and the script run again after Docker restarts
//! restores what the restart removed.

const COMMANDS: &[&str] = &["ip", "iptables", "unshare", "nsenter", "chroot"];

#[test]
fn build_containers_reach_neither_nomad_nor_the_metadata_service() {
    let Some(env_sh) = crate::installed_tool("MOTO_PYTHON", "the emulator's Python is") else {
        return;
    };
    if !crate::namespace_tools(COMMANDS, "the isolation test") {
        return;
    }
    crate::run_in_namespaces(
        &env_sh,
        "isolation.py",
        &["default.cci", "externalized.cci", "proxied.cci"],
    );
}
