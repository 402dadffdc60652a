//! Valid sites, generated from a stream of choices: a seeded generator drives it in the test
//! suite (`outputs::generated_sites_build_and_their_outputs_agree`), the fuzzer's bytes in
//! `fuzz/fuzz_targets/site.rs`. Every site it writes must build without errors.

/// Where choices come from.
pub trait Choose {
    /// A number below `n` (n > 0).
    fn below(&mut self, n: usize) -> usize;

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn flip(&mut self) -> bool {
        self.below(2) == 1
    }
}

const FLEET_NAMES: &[&str] = &["nomad", "docker", "bigjobs", "arm", "gpuless"];
const EXTERNALS: &[&str] = &[
    "postgres",
    "mongodb",
    "redis",
    "rabbitmq",
    "vault",
    "nomad_servers",
    "mail_relay",
];

/// A site that must build: sizes within the guide's limits, actors bound, private subnets with
/// their NAT, externalized services with single-address hosts.
pub fn site(c: &mut impl Choose) -> String {
    let name = c.pick(&["acme", "bigco", "ci-1", "x"]);
    let region = c.pick(&["us-west-2", "us-east-1", "eu-central-1", "us-gov-west-1"]);
    let public_ip = c.flip();
    let enterprise = c.flip();
    let mut s = format!("use circleci/2.16\n\nsite \"{name}\" {{\n  aws {{\n");
    s += &format!("    region  = \"{region}\"\n    vpc     = vpc-0a1b2c3d\n    subnet  = subnet-0a1b2c3d\n    ssh_key = \"ops\"\n");
    if c.flip() {
        s += "    account = \"123456789012\"\n";
    }
    if !public_ip {
        s += "    public_ip   = false\n    nat         = nat-0a1b2c3d\n    s3_endpoint = vpce-0a1b2c3d\n";
    }
    s += "  }\n";
    let users = [10, 40, 150, 600, 3000, 9000][c.below(6)];
    s += &format!("  daily_active_users = {users}\n");
    s += if enterprise {
        "  github = enterprise(\"https://ghe.example.internal\")\n"
    } else {
        "  github = github_com\n"
    };
    s += "  passphrase = secret\n";
    if c.flip() {
        s += "  vm_service = true\n";
    }
    s += "}\n\nactors {\n";
    s += if c.flip() && public_ip {
        "  users  = [0.0.0.0/0, ::/0]\n"
    } else {
        "  users  = [10.0.0.0/8]\n"
    };
    // Monitoring from IPv6 too, half the time (cidr_ipv6 rules, Ipv6Ranges).
    s += if c.flip() {
        "  admins = [10.10.0.0/24]\n  monitoring = [10.20.0.0/16, fd00:20::/48]\n"
    } else {
        "  admins = [10.10.0.0/24]\n  monitoring = [10.20.0.0/16]\n"
    };
    if enterprise {
        s += "  github = [10.2.0.10]\n";
    }
    s += "}\n\n";
    // The largest catalog type holds every row of the sizing table.
    s += "services { instance = \"r5.24xlarge\"  disk = 2048 GiB }\n\n";
    let fleets = 1 + c.below(3);
    let mut names = Vec::new();
    for i in 0..fleets {
        let fleet = FLEET_NAMES[(c.below(FLEET_NAMES.len()) + i) % FLEET_NAMES.len()];
        if names.contains(&fleet) {
            continue;
        }
        names.push(fleet);
        let min = c.below(20);
        let max = min + 1 + c.below(40);
        let instance = c.pick(&["m4.2xlarge", "m5.4xlarge", "r5.4xlarge", "c5.9xlarge"]);
        s += &format!(
            "fleet {fleet} {{ instance = \"{instance}\"  count = {min}..{max}  disk = 200 GiB }}\n"
        );
    }
    s += "\n";
    for (i, e) in EXTERNALS.iter().enumerate() {
        if c.below(3) == 0 {
            let hosts: Vec<String> = (0..1 + c.below(3))
                .map(|h| format!("10.30.{i}.{}", 10 + h))
                .collect();
            s += &format!("external {e} {{ hosts = [{}] }}\n", hosts.join(", "));
        }
    }
    for _ in 0..c.below(6) {
        let port = 1024 + c.below(60000);
        let to = match c.below(3) {
            0 => "services".to_string(),
            1 => "nomad".to_string(),
            _ => names[c.below(names.len())].to_string(),
        };
        let proto = c.pick(&["tcp", "udp"]);
        s += &format!("allow {proto} {port} from monitoring to {to} \"exporter on {port}\"\n");
    }
    // The monitoring actor is always used, so no unused-actor warning hides a mistake.
    s += "allow tcp 9100 from monitoring to nomad \"node exporter\"\n";
    s
}
