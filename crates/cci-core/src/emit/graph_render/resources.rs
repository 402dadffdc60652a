//! The resource view as the pictures draw it (DOT, Mermaid, SVG): one node per Terraform
//! resource, except that each security group's rules are one node (`aws_security_group.nomad:
//! 10 ingress + 11 egress rules`): a rule per permission is what Terraform needs, but drawn one
//! box each they were most of the picture (the network view shows who each opens to, and
//! `ports.md` each rule). The JSON of the view lists every resource.

use super::{resource_groups, Group};
use crate::ast::Protocol;
use crate::graph::{Node, Resource, ResourceGraph};
use crate::model::ports_text;
use crate::network::{Direction, Peer};
use std::collections::{BTreeMap, HashMap};

/// A node of the drawn resource view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    /// What DOT and Mermaid call the node: the resource's address, or `rules of GROUP`
    /// (`rules of aws_security_group.nomad`: no address starts so), which a rule more or less
    /// does not change.
    pub id: String,
    /// What it says: the resource's address, or the group's address and its rules counted.
    pub name: String,
    /// The `.tf` file it is in.
    pub file: &'static str,
    pub group: Group,
}

/// An edge from a resource to one that depends on it. From a security group to a group's
/// rules that name it, it says their ports: `in 4646-4648/tcp` (the rules' group accepts
/// them from the edge's), `out 3001/tcp, 4647/tcp` (it opens them to the edge's), both as
/// `in 4646-4648/tcp, out 3001/tcp` (no `;`, which ends a Mermaid statement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnEdge {
    /// Indices into [`ResourceView::nodes`].
    pub from: usize,
    pub to: usize,
    pub label: Option<String>,
}

/// The resource graph with each group's rules collapsed, in the graph's order (a group's
/// rules where its first rule was); edges in the graph's order, each (from, to) once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceView {
    pub nodes: Vec<Drawn>,
    pub edges: Vec<DrawnEdge>,
}

/// A group's rules counted by direction, while the view is built.
#[derive(Default)]
struct Count {
    ingress: usize,
    egress: usize,
}

impl ResourceView {
    pub fn new(g: &ResourceGraph) -> Self {
        let colours = resource_groups(g);
        // Each security group's address and colour, by Terraform id.
        let mut groups: HashMap<&str, (&str, Group)> = HashMap::new();
        for (n, colour) in g.nodes_in_order().zip(&colours) {
            if let Resource::SecurityGroup(sg) = &n.resource {
                groups.insert(&sg.id, (&n.address, *colour));
            }
        }
        let mut v = ResourceView::default();
        let mut at: HashMap<&str, (usize, &Node)> = HashMap::new();
        let mut rules_of: BTreeMap<&str, (usize, Count)> = BTreeMap::new();
        for (n, colour) in g.nodes_in_order().zip(colours) {
            let mut push = |name: String, group: Group| {
                v.nodes.push(Drawn {
                    id: name.clone(),
                    name,
                    file: n.file.name(),
                    group,
                });
                v.nodes.len() - 1
            };
            let i = match &n.resource {
                Resource::SgRule(rule) => {
                    let owner = groups.get(rule.group.as_str());
                    let (i, count) = rules_of.entry(&rule.group).or_insert_with(|| {
                        let colour = owner.map_or(colour, |o| o.1);
                        (push(String::new(), colour), Count::default())
                    });
                    match rule.direction {
                        Direction::Ingress => count.ingress += 1,
                        Direction::Egress => count.egress += 1,
                    }
                    *i
                }
                _ => push(n.address.clone(), colour),
            };
            at.insert(&n.address, (i, n));
        }
        for (id, (i, count)) in &rules_of {
            let owner = groups.get(id).map_or(*id, |o| o.0);
            let parts: Vec<String> = [(count.ingress, "ingress"), (count.egress, "egress")]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, word)| format!("{n} {word}"))
                .collect();
            let plural = if count.ingress + count.egress == 1 {
                ""
            } else {
                "s"
            };
            v.nodes[*i].id = format!("rules of {owner}");
            v.nodes[*i].name = format!("{owner}: {} rule{plural}", parts.join(" + "));
        }
        v.add_edges(g, &at);
        v
    }

    /// The graph's edges between the drawn nodes, each pair once, with the ports of the rules
    /// of a group's node that name the security group the edge comes from.
    fn add_edges(&mut self, g: &ResourceGraph, at: &HashMap<&str, (usize, &Node)>) {
        type Ports = Vec<(Direction, Option<(u16, u16)>, Protocol)>;
        let mut index: HashMap<(usize, usize), usize> = HashMap::new();
        let mut ports: Vec<Ports> = Vec::new();
        for (a, b) in g.edges() {
            let (Some(&(from, a)), Some(&(to, b))) = (at.get(a), at.get(b)) else {
                continue;
            };
            let k = *index.entry((from, to)).or_insert_with(|| {
                self.edges.push(DrawnEdge {
                    from,
                    to,
                    label: None,
                });
                ports.push(Vec::new());
                self.edges.len() - 1
            });
            if let (Resource::SecurityGroup(sg), Resource::SgRule(rule)) =
                (&a.resource, &b.resource)
            {
                if rule.peer == Peer::Group(sg.id.clone()) {
                    ports[k].push((rule.direction, rule.ports, rule.protocol));
                }
            }
        }
        for (edge, mut p) in self.edges.iter_mut().zip(ports) {
            p.sort_unstable();
            p.dedup();
            let side = |direction: Direction, word: &str| {
                let texts: Vec<String> = p
                    .iter()
                    .filter(|(d, ..)| *d == direction)
                    .map(|(_, range, proto)| ports_text(*proto, *range))
                    .collect();
                (!texts.is_empty()).then(|| format!("{word} {}", texts.join(", ")))
            };
            let sides: Vec<String> = [
                side(Direction::Ingress, "in"),
                side(Direction::Egress, "out"),
            ]
            .into_iter()
            .flatten()
            .collect();
            edge.label = (!sides.is_empty()).then(|| sides.join(", "));
        }
    }
}
