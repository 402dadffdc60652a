//! `cargo bench`: wall time of each pipeline entry point on the examples and on a large
//! synthetic site, and the process's peak memory. Prints numbers; asserts nothing.

use std::time::{Duration, Instant};

fn time<T>(iterations: u32, mut f: impl FnMut() -> T) -> Duration {
    // One warm-up run.
    std::hint::black_box(f());
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(f());
    }
    start.elapsed() / iterations
}

/// A site far larger than any real one: many fleets, actors and rules of its own.
fn large_site(fleets: usize, rules: usize) -> String {
    let mut s = String::from(
        "use circleci/2.16\nsite \"huge\" {\n  aws { region = \"us-east-1\"  vpc = vpc-0a1b2c3d  subnet = subnet-0a1b2c3d  ssh_key = \"ops\" }\n  daily_active_users = 4000\n  github = github_com\n  passphrase = secret\n}\nactors {\n  users = [10.0.0.0/8]\n  admins = [10.1.0.0/24]\n",
    );
    for i in 0..rules {
        s.push_str(&format!(
            "  team{i} = [10.{}.{}.0/24]\n",
            100 + i / 250,
            i % 250
        ));
    }
    s.push_str("}\nservices { instance = \"r5.8xlarge\"  disk = 1 TiB }\n");
    for i in 0..fleets {
        s.push_str(&format!(
            "fleet f{i} {{ instance = \"m5.4xlarge\"  count = 1..20  disk = 200 GiB }}\n"
        ));
    }
    for i in 0..rules {
        s.push_str(&format!(
            "allow tcp {} from team{i} to nomad \"exporter {i}\"\n",
            9000 + i
        ));
    }
    s
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let lib = cci_core::stdlib::embedded();
    let root = env!("CARGO_MANIFEST_DIR");
    println!(
        "{:<42} {:>12} {:>10} {:>10}",
        "case", "time/run", "resources", "out KiB"
    );
    let mut examples: Vec<_> = std::fs::read_dir(format!("{root}/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    examples.sort();
    for p in &examples {
        let text = std::fs::read_to_string(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let t_check = time(50, || cci_core::compile(&name, &text, &lib));
        let t_build = time(50, || cci_core::build(&name, &text, &lib));
        let b = cci_core::build(&name, &text, &lib);
        let nodes = b.graph.as_ref().map_or(0, |g| g.graph.node_count());
        let bytes: usize = b
            .outputs
            .as_ref()
            .map_or(0, |o| o.files.values().map(String::len).sum());
        println!(
            "{:<42} {:>10.2?} {:>10} {:>10}",
            format!("check {name}"),
            t_check,
            "",
            ""
        );
        println!(
            "{:<42} {:>10.2?} {:>10} {:>10}",
            format!("build {name}"),
            t_build,
            nodes,
            bytes / 1024
        );
    }
    for (fleets, rules) in [(10, 100), (50, 1000)] {
        let text = large_site(fleets, rules);
        let b = cci_core::build("huge.cci", &text, &lib);
        assert!(
            b.outputs.is_some(),
            "{}",
            cci_core::diagnostics::render(
                &b.compilation.diagnostics,
                &b.compilation.sources,
                cci_core::diagnostics::Style::Plain
            )
        );
        let nodes = b.graph.as_ref().map_or(0, |g| g.graph.node_count());
        let bytes: usize = b
            .outputs
            .as_ref()
            .map_or(0, |o| o.files.values().map(String::len).sum());
        let t = time(3, || cci_core::build("huge.cci", &text, &lib));
        println!(
            "{:<42} {:>10.2?} {:>10} {:>10}",
            format!("build synthetic: {fleets} fleets, {rules} rules"),
            t,
            nodes,
            bytes / 1024
        );
    }
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak resident memory of the benchmark process: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
}
