//! `cci-dsl graph --format svg` and `--view network`: through the binary on every example,
//! the SVG read back by a strict XML parser (roxmltree) and checked for every node and label;
//! the same bytes on a second run; the network view's DOT read by Graphviz where installed;
//! the default site's network view snapshotted in every format under snapshots/graph/.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// `cci-dsl graph SITE --format FORMAT --view VIEW`: stdout, after checking it exited 0.
fn graph(site: &Path, format: &str, view: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
        .args(["graph", "--format", format, "--view", view])
        .arg(site)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{} --format {format} --view {view}: {}",
        site.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The whole text of an element (a `<text>` may hold `<tspan>`s).
fn text_of(n: roxmltree::Node) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// What a drawing shows: the text of every `<text>`, and each `<g>` of a class by its
/// `data-` attributes (`data-id` of a node; `data-from`, `data-to` and the text of a label).
struct Drawn {
    texts: BTreeSet<String>,
    nodes: Vec<String>,
    edges: Vec<(String, String)>,
    labels: Vec<(String, String, String)>,
}

fn read_svg(svg: &str, what: &str) -> Drawn {
    let doc = roxmltree::Document::parse(svg)
        .unwrap_or_else(|e| panic!("{what}: not well-formed XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{what}: root element");
    assert_eq!(
        root.tag_name().namespace(),
        Some(SVG_NS),
        "{what}: namespace"
    );
    for attr in ["width", "height", "viewBox"] {
        assert!(
            root.attribute(attr).is_some(),
            "{what}: <svg> has no {attr}"
        );
    }
    let groups = |class: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name((SVG_NS, "g")) && n.attribute("class") == Some(class))
            .collect::<Vec<_>>()
    };
    let data = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or_default().to_string();
    Drawn {
        texts: doc
            .descendants()
            .filter(|n| n.has_tag_name((SVG_NS, "text")))
            .map(text_of)
            .collect(),
        nodes: groups("node").iter().map(|n| data(n, "data-id")).collect(),
        edges: groups("edge")
            .iter()
            .map(|n| (data(n, "data-from"), data(n, "data-to")))
            .collect(),
        labels: groups("edge-label")
            .iter()
            .map(|n| {
                let text = n
                    .children()
                    .find(|c| c.has_tag_name((SVG_NS, "text")))
                    .map(text_of)
                    .unwrap_or_default();
                (data(n, "data-from"), data(n, "data-to"), text)
            })
            .collect(),
    }
}

/// The nodes and edges `--format json` of the same view lists.
fn json_graph(site: &Path, view: &str) -> serde_json::Value {
    serde_json::from_str(&graph(site, "json", view)).expect("graph --format json is JSON")
}

fn strings(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect()
}

/// Every example's resource graph as SVG: one box per resource, its address as a text, but
/// one box for each security group's rules, which counts them; one edge per dependency between
/// the boxes; the same bytes twice.
#[test]
fn graph_svg_resources_of_every_example() {
    let is_rule = |a: &str| a.starts_with("aws_vpc_security_group_");
    let is_rules_box = |n: &str| n.ends_with(" rules") || n.ends_with(" rule");
    for site in crate::examples() {
        let what = format!("{} (resources)", site.display());
        let svg = graph(&site, "svg", "resources");
        let drawn = read_svg(&svg, &what);
        let json = json_graph(&site, "resources");
        let addresses = strings(&json["nodes"], "address");
        let (rules, others): (Vec<&String>, Vec<&String>) =
            addresses.iter().partition(|a| is_rule(a));
        let rule_boxes: Vec<&String> = drawn.nodes.iter().filter(|n| is_rules_box(n)).collect();
        let kept: Vec<&String> = drawn.nodes.iter().filter(|n| !is_rules_box(n)).collect();
        assert_eq!(
            kept, others,
            "{what}: a box for each resource but the rules"
        );
        assert!(!rules.is_empty() && !rule_boxes.is_empty(), "{what}");
        // `aws_security_group.nomad: 5 ingress + 10 egress rules`: the counts add up.
        let mut counted = 0;
        for b in &rule_boxes {
            let (group, counts) = b.split_once(": ").unwrap();
            assert!(others.iter().any(|a| a.as_str() == group), "{what}: {b}");
            let n: Vec<usize> = counts
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            counted += n.iter().sum::<usize>();
        }
        assert_eq!(
            counted,
            rules.len(),
            "{what}: rules counted in {rule_boxes:?}"
        );
        // The dependencies between resources that are not rules are drawn as they are.
        let json_edges: BTreeSet<(String, String)> = json["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap().to_string();
                (s("from"), s("to"))
            })
            .filter(|(a, b)| !is_rule(a) && !is_rule(b))
            .collect();
        let drawn_edges: BTreeSet<(String, String)> = drawn.edges.iter().cloned().collect();
        assert_eq!(
            drawn_edges.len(),
            drawn.edges.len(),
            "{what}: an edge twice"
        );
        let plain: BTreeSet<(String, String)> = drawn_edges
            .iter()
            .filter(|(_, b)| !is_rules_box(b))
            .cloned()
            .collect();
        assert_eq!(plain, json_edges, "{what}: edges");
        // Edges from a security group to rules that name it carry the rules' ports.
        let flow = |(from, to, ports): &(String, String, String)| {
            from.starts_with("aws_security_group.")
                && is_rules_box(to)
                && (ports.starts_with("in ") || ports.starts_with("out "))
                && ports.contains('/')
        };
        assert!(!drawn.labels.is_empty(), "{what}");
        assert!(drawn.labels.iter().all(flow), "{what}: {:?}", drawn.labels);
        assert_eq!(
            svg,
            graph(&site, "svg", "resources"),
            "{what}: not deterministic"
        );
    }
}

/// Every example's network view as SVG: one box per endpoint, one edge per (from, to) pair,
/// labelled with its ports; the same bytes twice.
#[test]
fn graph_svg_network_of_every_example() {
    for site in crate::examples() {
        let what = format!("{} (network)", site.display());
        let svg = graph(&site, "svg", "network");
        let drawn = read_svg(&svg, &what);
        let json = json_graph(&site, "network");
        let endpoints = strings(&json["nodes"], "id");
        assert!(endpoints.len() >= 5, "{what}: {endpoints:?}");
        for e in &endpoints {
            assert!(drawn.texts.contains(e), "{what}: no <text> for {e}");
        }
        assert_eq!(drawn.nodes, endpoints, "{what}: boxes");
        let links: Vec<(String, String, String)> = json["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let ports: Vec<&str> = e["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect();
                assert!(!ports.is_empty(), "{what}: an edge without ports");
                let s = |k: &str| e[k].as_str().unwrap().to_string();
                (s("from"), s("to"), ports.join(", "))
            })
            .collect();
        let pairs: BTreeSet<(&str, &str)> = links
            .iter()
            .map(|(f, t, _)| (f.as_str(), t.as_str()))
            .collect();
        assert_eq!(pairs.len(), links.len(), "{what}: one edge per (from, to)");
        assert_eq!(drawn.edges.len(), links.len(), "{what}: edges");
        assert_eq!(drawn.labels, links, "{what}: edge labels");
        for (_, _, ports) in &links {
            assert!(drawn.texts.contains(ports), "{what}: no <text> for {ports}");
        }
        assert_eq!(
            svg,
            graph(&site, "svg", "network"),
            "{what}: not deterministic"
        );
    }
}

/// The guide's admin console: admins reach the services box on 8800/tcp (and SSH, 22/tcp),
/// one edge with both ports merged, in every format of the network view.
#[test]
fn graph_svg_network_view_merges_the_ports_of_a_pair() {
    let site = crate::root().join("examples/default.cci");
    let drawn = read_svg(&graph(&site, "svg", "network"), "default.cci");
    let admins: Vec<&String> = drawn
        .labels
        .iter()
        .filter(|(f, t, _)| f == "admins" && t == "services")
        .map(|(_, _, text)| text)
        .collect();
    assert_eq!(admins, ["22/tcp, 8800/tcp"]);
    assert!(graph(&site, "dot", "network")
        .contains("\"admins\" -> \"services\" [label=\"22/tcp, 8800/tcp\"];"));
    let mermaid = graph(&site, "mermaid", "network");
    assert!(mermaid.contains("-->|\"22/tcp, 8800/tcp\"|"), "{mermaid}");
    let json = json_graph(&site, "network");
    let edge = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == "admins" && e["to"] == "services")
        .expect("admins -> services");
    assert_eq!(edge["ports"], serde_json::json!(["22/tcp", "8800/tcp"]));
    // Users reach it on five ports, merged in port order.
    assert!(drawn.labels.contains(&(
        "users".into(),
        "services".into(),
        "80/tcp, 443/tcp, 4434/tcp, 7171/tcp, 8081/tcp".into()
    )));
}

/// Actors are drawn with the ranges they stand for, in every format of the network view: the
/// site's own binding (`monitoring`, 10.20.0.0/16), the stdlib's (`aws_api`, any address), and
/// github.com's hook ranges it connects from apart from the any-address it is reached at.
#[test]
fn graph_svg_network_view_draws_actors_with_their_ranges() {
    let site = crate::root().join("examples/externalized.cci");
    let svg = graph(&site, "svg", "network");
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let note = |id: &str| -> Vec<String> {
        let node = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("node") && n.attribute("data-id") == Some(id))
            .unwrap_or_else(|| panic!("no box for {id}"));
        node.children()
            .filter(|c| c.attribute("class") == Some("note"))
            .map(text_of)
            .collect()
    };
    assert_eq!(note("monitoring"), ["10.20.0.0/16"]);
    assert_eq!(note("users"), ["10.0.0.0/8, 172.16.0.0/12"]);
    assert_eq!(note("aws_api"), ["0.0.0.0/0"]);
    assert_eq!(
        note("github"),
        [
            "from 192.30.252.0/22, 185.199.108.0/22, +2 more",
            "to 0.0.0.0/0"
        ]
    );
    assert!(
        note("services").is_empty(),
        "the site's machines have no ranges"
    );
    let dot = graph(&site, "dot", "network");
    assert!(
        dot.contains("\"monitoring\" [label=\"monitoring\\n10.20.0.0/16\", "),
        "{dot}"
    );
    let mermaid = graph(&site, "mermaid", "network");
    assert!(
        mermaid.contains("[\"monitoring<br/>10.20.0.0/16\"]"),
        "{mermaid}"
    );
    let json = json_graph(&site, "network");
    let monitoring = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "monitoring")
        .unwrap();
    assert_eq!(monitoring["ranges"], serde_json::json!(["10.20.0.0/16"]));
}

/// `--view resources` is the default, and keeps the output `build` writes.
#[test]
fn graph_svg_default_view_is_the_resource_graph() {
    let site = crate::root().join("examples/default.cci");
    let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
        .args(["graph", "--format", "dot"])
        .arg(&site)
        .output()
        .unwrap();
    assert!(o.status.success());
    let dot = String::from_utf8(o.stdout).unwrap();
    assert_eq!(dot, graph(&site, "dot", "resources"));
    let outputs = crate::build_file(&site).outputs.expect("builds");
    assert_eq!(Some(&dot), outputs.files.get("graph/resources.dot"));
    let bad = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
        .args(["graph", "--view", "ports"])
        .arg(&site)
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown view is a usage error"
    );
}

/// Graphviz reads the network view's DOT, clusters and labels included (skipped without it).
#[test]
fn graph_svg_network_dot_is_read_by_graphviz() {
    let dot = std::env::var("DOT").unwrap_or_else(|_| "dot".into());
    if Command::new(&dot).arg("-V").output().is_err() {
        let required = std::env::var("CCI_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
        assert!(!required, "graphviz required but `{dot}` does not run");
        eprintln!("SKIPPED: graphviz `dot` not installed (scripts/install-validators.sh)");
        return;
    }
    for site in crate::examples() {
        let text = graph(&site, "dot", "network");
        let mut child = Command::new(&dot)
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(text.as_bytes()).unwrap();
        }
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{}: dot says {}",
            site.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        // Graphviz's SVG has a DOCTYPE; its texts hold every endpoint and every label.
        let out = String::from_utf8(o.stdout).unwrap();
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(&out, options).unwrap();
        let texts: BTreeSet<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name((SVG_NS, "text")))
            .map(text_of)
            .collect();
        let json = json_graph(&site, "network");
        for e in strings(&json["nodes"], "id") {
            assert!(
                texts.contains(&e),
                "{}: graphviz drew no {e}",
                site.display()
            );
        }
        for e in json["edges"].as_array().unwrap() {
            let ports: Vec<&str> = e["ports"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            let label = ports.join(", ");
            assert!(
                texts.contains(&label),
                "{}: no label {label}",
                site.display()
            );
        }
    }
}

/// Generated sites (the same generator as `generated.rs`) draw in both views without a panic
/// from the layout, as SVG a strict parser reads, with a box for every node and no label on
/// another label or a box.
#[test]
fn graph_svg_of_generated_sites() {
    use cci_core::emit::graph_render::NetworkView;
    let lib = cci_core::stdlib::embedded();
    for seed in 0..6 {
        let text = crate::site_gen::site(&mut crate::generated::Seeded(seed));
        let b = cci_core::build("generated.cci", &text, &lib);
        let (Some(g), Some(net), Some(site)) = (&b.graph, &b.network, &b.compilation.site) else {
            panic!("seed {seed} does not build:\n{text}");
        };
        let svg = cci_picture::resources(g, &site.name);
        let drawn = read_svg(&svg, &format!("seed {seed} (resources)"));
        let view = cci_core::emit::graph_render::ResourceView::new(g);
        let found = collisions(&svg);
        assert!(
            found.is_empty(),
            "seed {seed}: labels collide:\n{}",
            found.join("\n")
        );
        assert_eq!(drawn.nodes.len(), view.nodes.len(), "seed {seed}");
        assert!(
            view.nodes.len() < g.order.len(),
            "seed {seed}: no rule collapsed"
        );
        let v = NetworkView::new(net, site);
        let svg = cci_picture::network(&v, &site.name);
        let drawn = read_svg(&svg, &format!("seed {seed} (network)"));
        let found = collisions(&svg);
        assert!(
            found.is_empty(),
            "seed {seed}: labels collide:\n{}",
            found.join("\n")
        );
        assert_eq!(drawn.nodes.len(), v.endpoints.len(), "seed {seed}");
        assert_eq!(drawn.labels.len(), v.links.len(), "seed {seed}");
    }
}

/// The default site's network view in every format, for review.
#[test]
fn graph_svg_network_view_snapshots() {
    let site = crate::root().join("examples/default.cci");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/graph");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for (format, ext) in [
            ("dot", "dot"),
            ("mermaid", "mmd"),
            ("json", "json"),
            ("svg", "svg"),
        ] {
            insta::assert_snapshot!(
                format!("default-network.{ext}"),
                graph(&site, format, "network")
            );
        }
    });
}

/// A box on the page: left, top, right, bottom.
type Extent = (f64, f64, f64, f64);

/// Labels or boxes: each one's text, and its extent.
type Extents = Vec<(String, Extent)>;

/// Where each edge label's text is and each box is, measured from the SVG as a viewer draws
/// it: a label's `<text>` is centred on its `x` with its baseline at `y`, in the writer's
/// monospace font (10 px, 0.6 em a character; 0.8 em above the baseline, 0.2 em below).
fn measured(svg: &str) -> (Extents, Extents) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let num = |n: roxmltree::Node, a: &str| -> f64 { n.attribute(a).unwrap().parse().unwrap() };
    let of_class = |class: &'static str| {
        doc.descendants()
            .filter(move |n| n.has_tag_name((SVG_NS, "g")) && n.attribute("class") == Some(class))
    };
    let labels = of_class("edge-label")
        .map(|g| {
            let t = g
                .children()
                .find(|c| c.has_tag_name((SVG_NS, "text")))
                .unwrap();
            let text = text_of(t);
            let (x, y, size) = (num(t, "x"), num(t, "y"), 10.0);
            let half = text.chars().count() as f64 * size * 0.6 / 2.0;
            (text, (x - half, y - 0.8 * size, x + half, y + 0.2 * size))
        })
        .collect();
    let boxes = of_class("node")
        .map(|g| {
            let r = g
                .children()
                .find(|c| c.has_tag_name((SVG_NS, "rect")))
                .unwrap();
            let (x, y) = (num(r, "x"), num(r, "y"));
            let extent = (x, y, x + num(r, "width"), y + num(r, "height"));
            (g.attribute("data-id").unwrap().to_string(), extent)
        })
        .collect();
    (labels, boxes)
}

/// Every pair of a label and another label or a box whose extents intersect.
fn collisions(svg: &str) -> Vec<String> {
    let (labels, boxes) = measured(svg);
    let meet = |a: &Extent, b: &Extent| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
    let mut found = Vec::new();
    for (i, (text, a)) in labels.iter().enumerate() {
        for (other, b) in labels[i + 1..].iter().chain(&boxes) {
            if meet(a, b) {
                found.push(format!("`{text}` {a:?} on `{other}` {b:?}"));
            }
        }
    }
    found
}

/// Labels do not collide, at the services hub where most edges meet or anywhere: measured on
/// the network view of every example and on the resource view of the default site and of
/// `externalized.cci` (the largest), no label's text overlaps another label or a box.
#[test]
fn graph_svg_labels_do_not_collide() {
    let mut drawn = Vec::new();
    for site in crate::examples() {
        drawn.push((
            format!("{} (network)", site.display()),
            graph(&site, "svg", "network"),
        ));
    }
    for name in ["default", "externalized"] {
        let site = crate::root().join(format!("examples/{name}.cci"));
        drawn.push((
            format!("{name}.cci (resources)"),
            graph(&site, "svg", "resources"),
        ));
    }
    let mut found = Vec::new();
    for (what, svg) in &drawn {
        let (labels, _) = measured(svg);
        assert!(labels.len() >= 2, "{what}: {} labels", labels.len());
        found.extend(collisions(svg).into_iter().map(|c| format!("{what}: {c}")));
    }
    assert!(found.is_empty(), "labels collide:\n{}", found.join("\n"));
    // The measure finds a collision where there is one.
    let (labels, _) = measured(&drawn[0].1);
    let planted = drawn[0].1.replacen(
        "<g class=\"edge-labels\" font-size=\"10\">\n",
        &format!(
            "<g class=\"edge-labels\" font-size=\"10\">\n<g class=\"edge-label\"><text x=\"{}\" y=\"{}\">x</text></g>\n",
            labels[0].1 .0 + 3.0,
            labels[0].1 .3 - 2.0
        ),
        1,
    );
    assert_eq!(collisions(&planted).len(), 1, "{planted}");
}

/// A rule more changes one line of the resource view's DOT: its group's rules node keeps its
/// name (`rules of aws_security_group.nomad`) and only its label counts one more.
#[test]
fn graph_svg_a_rule_more_changes_one_line_of_the_resource_dot() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site.cci");
    let text = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    std::fs::write(&site, &text).unwrap();
    let before = graph(&site, "dot", "resources");
    std::fs::write(
        &site,
        format!("{text}\nallow tcp 9100 from 10.20.0.0/16 to nomad \"node exporter\"\n"),
    )
    .unwrap();
    let after = graph(&site, "dot", "resources");
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(
        changed,
        [(
            "    \"rules of aws_security_group.nomad\" [label=\"aws_security_group.nomad: 5 ingress + 10 egress rules\"];",
            "    \"rules of aws_security_group.nomad\" [label=\"aws_security_group.nomad: 6 ingress + 10 egress rules\"];"
        )]
    );
}
