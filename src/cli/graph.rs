//! `cci-dsl graph SITE [--format dot|mermaid|json|svg] [--view resources|network]`: the
//! resource graph, or the port matrix as a graph; SVG drawn by `cci-picture`.

use super::args::{Cli, GraphFormat, GraphView};
use super::{load_stdlib, print_output, read_site, report, world};
use cci_core::emit::graph_render::{render, Format, NetworkView, View};
use cci_core::output::fs::named_file_reader;
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    cli: &Cli,
    site: &Path,
    format: GraphFormat,
    view: GraphView,
) -> Result<ExitCode, String> {
    let (name, text) = read_site(site)?;
    let read = named_file_reader(site);
    let b = cci_core::build_in(&name, &text, &load_stdlib(cli)?, &world(&read));
    let failed = report(cli, &b.compilation.diagnostics, &b.compilation.sources);
    let (Some(g), Some(s), Some(net), false) = (&b.graph, &b.compilation.site, &b.network, failed)
    else {
        return Ok(ExitCode::from(1));
    };
    let view = match view {
        GraphView::Resources => View::Resources,
        GraphView::Network => View::Network,
    };
    let drawn = match (format, view) {
        (GraphFormat::Svg, View::Resources) => cci_picture::resources(g, &s.name),
        (GraphFormat::Svg, View::Network) => {
            cci_picture::network(&NetworkView::new(net, s), &s.name)
        }
        (GraphFormat::Dot, view) => render(view, Format::Dot, g, net, s),
        (GraphFormat::Mermaid, view) => render(view, Format::Mermaid, g, net, s),
        (GraphFormat::Json, view) => render(view, Format::Json, g, net, s),
    };
    let format = match format {
        GraphFormat::Dot => "dot",
        GraphFormat::Mermaid => "mermaid",
        GraphFormat::Json => "json",
        GraphFormat::Svg => "svg",
    };
    print_output(cli, "graph", format, None, &drawn);
    Ok(ExitCode::SUCCESS)
}
