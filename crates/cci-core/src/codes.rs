//! Every diagnostic code, once. A code names exactly one kind of problem; `cci-dsl explain`
//! prints the long form written here.
//!
//! Ranges: E01xx syntax, E02xx names, E03xx types and values, E04xx the vendor guide's
//! requirements, E05xx the dependency graph, E06xx emission. W-codes are warnings: the
//! build still succeeds.

/// How bad a diagnostic is: errors stop the build, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// The pipeline stage that finds a problem, by the code's number (E01xx parse, E02xx and
/// E03xx resolve, E04xx check, E05xx graph, E06xx emit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Parse,
    Resolve,
    Check,
    Graph,
    Emit,
}

macro_rules! codes {
    ($( $name:ident, $title:literal, $explain:literal; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($name),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$name),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => stringify!($name)),* }
            }

            /// One line: what the problem is.
            pub fn title(self) -> &'static str {
                match self { $(Code::$name => $title),* }
            }

            /// The long form for `cci-dsl explain`, with `{figure}` where the stdlib's figure
            /// stands (filled in by `explain::explanation`).
            pub fn explanation_template(self) -> &'static str {
                match self { $(Code::$name => $explain),* }
            }
        }
    };
}

codes! {
    E0101, "syntax error",
        "The parser expected something else at this point. Blocks look like `name label { key = value }`,\nrules like `allow tcp 443 from users to services \"purpose\"`. The message says what was expected.";
    E0102, "unterminated string",
        "A string opened with `\"` has no closing quote on the same line.";
    E0103, "unclosed block",
        "A `{` has no matching `}` before the end of the file or the next top-level block.";
    E0104, "malformed literal",
        "A number, CIDR, IP address, size or range could not be read, e.g. `10.0.0.0/33`, `300.1.1.1`\nor `12 GBs`. Sizes take the units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB; bandwidths Mbps, Gbps.";
    E0105, "unknown protocol",
        "A rule's protocol is one of `tcp`, `udp`, `icmp` or `all` (every protocol, no ports).";
    E0106, "nesting too deep",
        "Blocks, lists and calls may sit inside each other at most {max_depth} levels deep. The language needs three\n(a policy's statement's condition); deeper input is refused before it can exhaust the stack.";
    E0107, "control character in a string",
        "A string holds a control character (a tab, an escape sequence, `\\n`), a bidirectional override\nor an invisible character (a zero-width space). Strings end up in outputs people and machines read —\nsecurity-group descriptions, ports.md, tags, user-data — where such a character would be replayed\nor hide what the text says, so a string is one line of printable text. Only `\\\"` and `\\\\` are escapes.";
    E0108, "a decision left open",
        "`cci-dsl init` and `cci-dsl import` write `# TODO(cci-dsl): ...` where the site needs a decision only its\noperator can make: the region, VPC and subnets (`init --region --vpc --subnet` fills them in), who the\nend users and administrators are, what an imported setting should become. Each such comment is an\nerror until it is decided: make the change the comment asks for, then delete the comment.";
    E0201, "unknown block",
        "Top-level blocks are `use`, `site`, `actors`, `services`, `fleet`, `external` and `allow`\n(the stdlib adds its own: `instance_type`, `services_sizing`, `nomad_requirements`, ...).";
    E0202, "unknown attribute",
        "The block does not take this attribute. The help lists the ones it does take.";
    E0203, "duplicate attribute",
        "An attribute is set twice in one block; the second would silently win, so it is an error.";
    E0204, "duplicate block",
        "A block that may appear once appears twice (`site`, `actors`, `services`), or two blocks share a name\n(two `fleet nomad`, two `external {external}`).";
    E0205, "missing attribute",
        "A required attribute is not set. The help shows a line to add.";
    E0206, "unknown endpoint",
        "The `from`/`to` of an `allow` rule names neither an actor ({actors}, ...),\na component (`services`, `nomad`, a fleet's name, an externalized service) nor a CIDR.";
    E0207, "unknown instance type",
        "The instance type is not in the stdlib's catalog ({stdlib}/instance-types.cci). Add it there with its\nvCPU, memory and network figures, or pick one that is.";
    E0208, "missing block",
        "A site needs `site`, `actors`, `services` and at least one `fleet` block.";
    E0209, "unknown library",
        "`use` names the standard library and CircleCI Server version the site targets, e.g. `use circleci/{release}`.";
    E0210, "unknown external service",
        "Only the services the guide allows to run outside the services box can be externalized (the stdlib's\n`externalizable` blocks, {stdlib}/release.cci): {externalizable_all}.";
    E0211, "unknown function",
        "Values like `github = enterprise(\"https://ghe.example.com\")` call a known constructor; this one is not known.";
    E0212, "unknown condition",
        "`when` takes `always`, `never`, `github_com`, `github_enterprise`, `external(name, ...)` or `embedded(name, ...)`.";
    E0213, "block name missing or extra",
        "Some blocks take one name (`fleet nomad { ... }`, `external {external} { ... }`, `actor users { ... }`), others\nnone (`services { ... }`, `actors { ... }`). The help shows the block's form.";
    E0214, "unknown actor",
        "An attribute of the stdlib names an actor (`reached_by = {reached_by}`, `advertised_to = {advertised_to}`) that no\n`actor` block declares.";
    E0215, "`vms` without vm-service",
        "A rule names `vms`, the VMs vm-service starts for machine executor and remote Docker jobs, in a site\nthat does not run vm-service. Set `vm_service = true` in the `site` block, or drop the rule.";
    E0216, "service not externalized",
        "A rule names an externalizable service ({externalizable}, ...) that this site runs on the\nservices box: it has no hosts to open. Declare it with `external NAME { hosts = [...] }`, or drop the rule.";
    E0217, "unknown machine role",
        "`machine` blocks describe the roles the compiler provisions: `machine services` and `machine nomad`.";
    E0218, "rule inside a block",
        "`allow` rules stand at the top level of a file, not inside `site`, `services` or another block.";
    E0219, "unknown GitHub kind",
        "`github` is `github_com` or `enterprise(\"https://ghe.example.com\")`.";
    W0220, "no `use` line",
        "A site names the standard library and CircleCI Server release it was written for (`use circleci/{release}`),\nso that a compiler carrying several releases compiles it against the right one.";
    E0301, "wrong type",
        "The value has the wrong type for this attribute, e.g. a string where a size (`100 GiB`) is expected.";
    E0302, "port out of range",
        "Ports are 0..65535 and a range's first port must not be above its last.";
    E0303, "invalid count range",
        "A fleet's `count` is a number or a range `min..max` with min <= max and max >= 1.";
    E0304, "malformed AWS id",
        "AWS ids have a known prefix and hexadecimal suffix: `vpc-0a1b2c3d`, `subnet-0a1b2c3d`, `ami-0123abcd`.";
    E0305, "unknown AWS region",
        "The region is not an AWS region known to the stdlib ({stdlib}/aws.cci).";
    E0306, "malformed URL",
        "A URL must be absolute, with an `http://` or `https://` scheme and a host.";
    E0307, "secret written into the site file",
        "The passphrase is a secret: the site says `passphrase = secret` and the value is given to Terraform at\napply time (TF_VAR_circle_secret_passphrase). It is stored in SSM Parameter Store and read at boot,\nso it never appears in an output file or in git.";
    E0308, "CIDR has host bits set",
        "In `10.0.0.1/8` the address has bits set beyond the prefix; AWS rejects it. Write the network address.";
    E0309, "value out of range",
        "A number is outside what the attribute accepts (disk sizes {volume_min}..{volume_max}, daily active users >= 1, ...).";
    E0310, "invalid name",
        "Names become parts of AWS resource names: lower-case letters, digits and `-`, starting with a letter, at most {max_name} characters.";
    E0311, "protocol and ports do not fit",
        "`tcp` and `udp` rules need ports; `all` and `icmp` rules take none.";
    E0312, "invalid S3 bucket name",
        "A bucket name has 3 to 63 lower-case letters, digits, `-` and `.`, starts and ends with a letter or digit.";
    E0313, "component bound as an actor",
        "`actors { ... }` binds who connects ({actors}, names of the site's own) to address ranges.\n`services`, `nomad` and externalized services are components: their addresses are AWS's or the `hosts` of\ntheir `external` block.";
    E0314, "wrong arguments",
        "A constructor got the wrong arguments: `enterprise` takes one URL string, `enterprise(\"https://ghe.example.com\")`.";
    E0315, "malformed checksum or fingerprint",
        "A SHA-256 checksum is 64 hexadecimal digits and a GPG key fingerprint 40, written without spaces.";
    E0317, "invalid DNS name",
        "A `dns` zone or record name, or a `tls` hostname, is not a DNS name: labels of 1 to 63 lower-case letters,\ndigits and `-` (not at either end), separated by dots, 253 characters in all. Write `zone = \"example.com\"`\nand `name = \"ci\"` for `ci.example.com`.";
    E0318, "invalid proxy setting",
        "A `proxy` URL is not `http://host:port` (or `https://`), or a `no_proxy` entry is not a host, domain or\naddress. The values are written into environment files, systemd units and shell scripts on every\nmachine, so only the characters of a URL are taken.";
    E0319, "proxy URL holds credentials",
        "A proxy URL with `user:password@` would be written into every machine's user-data, which anyone allowed\nto describe the instances can read. Let the proxy admit the site's machines by address (its subnet) instead.";
    E0320, "invalid backup schedule",
        "Data Lifecycle Manager takes snapshots every 1, 2, 3, 4, 6, 8, 12 or 24 hours, starting at a time of day\n(`HH:MM`, UTC), and keeps 1 to 1000 of them. Write `backup { every = 24  at = \"03:00\"  keep = 14 }`.";
    E0321, "malformed price",
        "A price of the stdlib's `prices` table is not a dollar amount: digits, a dot and at most six decimals,\nwritten as a string (`\"0.048\"`).";
    E0322, "subnets and their ranges do not match",
        "`subnet` lists each subnet once (the services box goes in the first, the fleets spread over all), and\n`subnet_ranges`, when given, has one CIDR block per subnet in the same order.";
    E0323, "invalid state backend",
        "`state { s3 { ... } }` writes Terraform's `backend \"s3\"` block: the bucket that keeps the state (required),\nthe object key inside it (default `circleci/<site>.tfstate`, no leading or trailing `/`), its region (default\nthe site's), and optionally a DynamoDB `lock_table` beside S3's own lock file and a KMS `kms_key`. `s3` is\nthe only backend the language writes.";
    E0329, "a tag named like a secret",
        "A tag's key names a secret (`password`, `token`, `db_pw`, ...). Tags are copied onto every resource,\nshown to anyone who may describe them and listed in the bill, so a secret in a tag is a secret\npublished. Tags are for cost allocation and ownership; the passphrase is `passphrase = secret`.";
    E0330, "a value that looks like a credential",
        "A string of the site is shaped like a credential: an AWS access key id or secret key, a GitHub token,\na PEM block, a long run of base64, or an address with `user:password@`. Every value of the site may\nreach an output — a rule's purpose is a security-group description, a tag is copied onto every\nresource, `ssh_key` is written into the Terraform — so it is refused where it is written, and shown\nmasked. (An e-mail address is not a credential.)";
    E0316, "passphrase is empty or not alphanumeric",
        "The guide: the passphrase is alpha numeric characters and cannot be empty.";
    E0401, "Nomad client has too few vCPUs",
        "The guide (Appendix, System Requirements, Nomad Clients) asks for at least {nomad_min_vcpu} cores per client; two are\nreserved for coordinating builds.";
    E0402, "Nomad client has too little memory",
        "The guide asks for at least {nomad_min_memory} of RAM per Nomad client; {nomad_reserved_memory} are reserved for coordinating builds.";
    E0403, "Nomad client disk too small",
        "The guide asks for at least {nomad_min_disk} of disk per Nomad client. EBS sizes are GiB; the stdlib reads the guide's\nGB as GiB (see {stdlib}/sizing.cci).";
    E0404, "Nomad client larger than supported",
        "The guide's maximum Nomad client is {nomad_max_vcpu} CPUs / {nomad_max_memory} RAM; larger machines need CircleCI's approval.";
    E0405, "services machine too small for the daily active users",
        "The guide's services sizing table (Appendix, System Requirements, Services Machine) gives CPU, RAM and\ndisk by daily active users. The instance or disk is below that row.";
    W0406, "services machine network below the sizing table",
        "The sizing table asks for {fast_nic} from {fast_nic_users} daily active users. The instance's network performance is lower\nor only bursts to that figure.";
    W0407, "Nomad fleet smaller than the guide recommends",
        "The guide's table of Nomad client counts by daily active users recommends more clients than the\nfleet's maximum. Builds will queue at peak.";
    E0409, "GitHub Enterprise address not bound",
        "With GitHub Enterprise the security groups need its addresses: bind them in `actors { github = [...] }`.";
    E0410, "actor not bound",
        "The guide's tables name end users and administrators; the site must say which addresses they are\n(`actors { {required_actors} }`).";
    W0411, "administrative port open to the internet",
        "An actor bound to 0.0.0.0/0, or a rule written with it, opens a port the stdlib opens to administrators\n(SSH, the admin console, the Nomad clients' admin API) to every address.";
    E0412, "externalized service without hosts",
        "An `external` block needs `hosts = [...]`: the addresses the services box connects to.";
    E0413, "private subnet without NAT",
        "The guide (ch. 2, Private Subnet Requirements): a private subnet for the builders must route outbound\ntraffic through a NAT gateway. Name it with `nat = nat-...` in the `aws` block; Terraform checks it is available.";
    W0414, "private subnet without the S3 endpoint",
        "The guide recommends the S3 VPC endpoint for private subnets: it speeds up S3 operations and takes them off\nthe NAT. Name it with `s3_endpoint = vpce-...`.";
    W0415, "github.com webhooks cannot reach a private services box",
        "github.com sends webhooks over the internet on ports 80 and 443. In a private subnet, put a public load\nbalancer in front of the services box (guide ch. 2), or use GitHub Enterprise inside the network.";
    W0416, "Nomad client network below the guide's minimum",
        "The guide asks for a {nomad_nic} NIC per Nomad client. Types with \"Moderate\" or \"Low\" networking fall short.";
    E0417, "services disk too small for the daily active users",
        "The guide's services sizing table gives the disk by daily active users ({smallest_disk} below {smallest_users} users up to\n{largest_disk} above {largest_users}, read as GiB). The services box holds the site's data: size it for the row.";
    E0418, "Nomad server address is a range",
        "Nomad clients join each external Nomad server by its address (`servers = [\"10.0.6.10:<port>\", ...]` in\ntheir configuration), so `external {servers}` lists single addresses, not ranges.";
    W0419, "output points at a port nobody may reach",
        "An address `terraform output` prints (stdlib `output` blocks: the install URL, the admin console, ssh)\npoints at a port of the services box that no rule opens to the actor it is printed for. Whoever\nopens it would time out. Open the port to that actor or change the output.";
    E0420, "Nomad clients cannot reach their servers' port",
        "Nomad clients join their servers (the services box, or `external {servers}`) on the servers' RPC\nport, the `port` of `{servers}`. No rule opens that port from the fleet to the servers, so no\nclient would ever join and no build would run. Open it, or correct the port.";
    E0422, "name AWS refuses",
        "A name this site gives an AWS resource is longer than AWS accepts (IAM roles {role_name_length} characters, instance\nprofiles {instance_profile_name_length}, S3 buckets {bucket_name_length}, security groups {security_group_name_length}, EC2 key pairs {key_name_length} ASCII characters). Names start with the\nsite's name: shorten it. The limits are the stdlib's `aws_limits` (aws.cci).";
    E0423, "tags AWS refuses",
        "AWS accepts at most {tags_per_resource} user tags per resource (the site's plus the three cci-dsl adds), keys of 1 to {tag_key_length}\ncharacters not starting with `aws:`, and values of at most {tag_value_length}.";
    W0424, "more security-group rules than AWS's default quota",
        "Each permission (ports.md) is one security-group rule, and AWS allows {rules_per_security_group} inbound and {rules_per_security_group} outbound rules\nper group by default. Apply fails past it unless the quota \"Inbound or outbound rules per security group\"\nis raised in Service Quotas (Amazon VPC); or write the site's rules as port ranges.";
    W0425, "more fleets than AWS's default quota of Auto Scaling groups",
        "Each fleet is one Auto Scaling group; AWS allows {autoscaling_groups} per region by default (Service Quotas, Amazon EC2\nAuto Scaling).";
    W0426, "fleets far beyond the guide's tables",
        "The site's fleets may grow far beyond the number of Nomad clients the guide's table gives for its daily\nactive users. Probably a typo in a count; if not, nothing to do.";
    W0427, "port open to the internet",
        "An actor bound to 0.0.0.0/0, or a rule written with it, opens a port of the site's machines to every\naddress. Said every time, so that a reviewer sees it; bind the actor to the ranges that need it if that\nwas not the intent.";
    W0428, "GitHub Enterprise over http",
        "The GitHub Enterprise address is http://: OAuth callbacks, tokens and webhooks would cross the network in\nclear text. Use the appliance's https:// address.";
    W0429, "disposable site",
        "`disposable = true` turns off what keeps a site's data through `terraform destroy`: the services box's\ntermination protection, its root volume (deleted with the box) and the bucket (deleted with every object\nand version). Right for a trial or a test site; for a site people use, remove it. The `teardown` output of\nevery site says what `destroy` leaves.";
    E0430, "a machine cannot reach the proxy",
        "Every machine of a site with a `proxy` downloads its packages, Docker, Nomad and Replicated through it at\nboot. The services box allows only the guide's outbound ports (80, 443, ...); a proxy on another port\nneeds a rule of the site's own: `allow tcp 3128 from services to 10.0.0.10 \"HTTP proxy\"` (Nomad clients\nmay already reach any port).";
    E0431, "cannot read a file the site names",
        "A `file(\"...\")` of the site could not be read. Paths are relative to the site file. Certificates and keys\nare read to be checked, never copied into the outputs.";
    E0432, "not a PEM certificate or key",
        "The guide (FAQ \"How do I verify TLS settings are failing?\"): keys in unencrypted PEM format, and the\ncertificate with its entire chain, each `-----BEGIN CERTIFICATE-----` block after the one it is issued\nby... in PEM. The file is DER, empty, or holds something else; the message says what was found.";
    E0433, "TLS key is encrypted",
        "The admin console takes an unencrypted PEM key (guide FAQ \"How do I verify TLS settings are failing?\").\nDecrypt a copy with `openssl pkey -in key.pem -out key-unencrypted.pem`, upload it, and keep it out of\nversion control.";
    E0434, "TLS key does not match the certificate",
        "The key's public half is not the one in the certificate: the server would fail every handshake. Usually\nthe key of another (older) certificate.";
    E0435, "certificate chain incomplete",
        "The certificate file must hold the entire chain of trust: the site's certificate, then the intermediate that\nissued it, then the one that issued that, and so on (guide FAQ \"How do I verify TLS settings are failing?\").\nWithout the intermediates, browsers and GitHub Enterprise's OAuth client fail (FAQ \"Why is Test GitHub\nAuthentication failing?\"). The root may be left out.";
    W0436, "self-signed certificate",
        "A self-signed certificate is trusted by no browser, and GitHub's OAuth callbacks and webhooks to it fail\nunless told to skip verification. Fine for a trial; use a certificate from your CA for a site people use.";
    E0437, "certificate expired or not yet valid",
        "A certificate of the chain is outside its validity period at the time of the check. The message names it\nand the date.";
    E0438, "certificate does not cover the site's name",
        "The site's certificate covers other names than the one users open (the `tls` block's `hostname`, or the\n`dns` record's name). The message lists the names it covers; wildcards cover exactly one label.";
    E0439, "subnets too small for the site",
        "The guide (ch. 2, Private Subnet Requirements): the subnet should be large enough to never exhaust the\naddresses. The site's `subnet_ranges` hold fewer instances (AWS keeps five addresses of each subnet) than\nthe services box plus every fleet at its maximum; Auto Scaling would fail to launch the rest.";
    W0440, "public address without an Elastic IP",
        "People reach the services box on its public address (the install and app URLs, the `dns` record), and\nAWS gives an instance a new public address each time it is stopped and started: the URLs and the record\nthen point at an address that is no longer the site's, or someone else's. `elastic_ip = true` in\n`services` gives the box a fixed one (an Elastic IP, which the outputs and the record use).";
    E0441, "state kept in the site's own bucket",
        "The Terraform state would go into the bucket this site creates for CircleCI's artifacts: the bucket must\nexist before `terraform init`, so the first apply cannot create it, `terraform destroy` would delete the\nstate with the bucket (or stop at it), and the services box's role may read and write every object in it,\nthe state included. Keep the state in a bucket of its own, created once per account.";
    W0421, "unused declaration",
        "Something is declared but nothing uses it (an actor no rule mentions, for instance).";
    E0501, "dependency cycle",
        "Resources depend on each other in a loop; Terraform cannot order them. The message names the loop.";
    E0601, "output could not be produced",
        "A template failed to render. This is a bug in cci-dsl or in an edited stdlib template.";
    E0602, "user-data over EC2's limit",
        "EC2 takes at most {user_data_kb} KB of user-data, counted before base64 (`user_data` in aws.cci). cci-dsl sends the\ncloud-init files gzipped (Terraform's base64gzip) and counts the gzipped bytes, with every value Terraform\nfills in at apply at its longest. Over the limit, launches fail. The help names the largest parts; what a site\nadds is mostly its `proxy`'s `no_proxy` list: a domain (`.example.com`) covers all its hosts.";
    W0603, "user-data near EC2's limit",
        "The gzipped user-data is above the warning line (`warn_above` in aws.cci) but within EC2's {user_data_kb} KB. cci-dsl's\ngzip and Terraform's differ by a few bytes, so a site this close may still be refused; shorten what it adds.";
}

impl Code {
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    pub fn stage(self) -> Stage {
        match &self.as_str()[1..3] {
            "01" => Stage::Parse,
            "02" | "03" => Stage::Resolve,
            "04" => Stage::Check,
            "05" => Stage::Graph,
            _ => Stage::Emit,
        }
    }

    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}
