//! The output templates, compiled lazily. Handlebars parses about ten bytes of template a
//! microsecond: compiling all of `stdlib/templates/` (47 KB) cost ~2 ms of every run, more
//! than checking a small site. A template is compiled on its first render and kept, so a
//! build compiles only the templates its site uses, a site with errors none, and a process
//! that builds many sites (the tests, the language server) each template once.

use super::{registry, EmitError, TEMPLATES};
use handlebars::{Context, Handlebars, Renderable, StringOutput, Template};
use std::sync::OnceLock;

/// The helpers' registry and, per entry of `TEMPLATES`, its compiled form once rendered.
pub struct Templates {
    registry: Handlebars<'static>,
    compiled: Vec<OnceLock<Result<Template, String>>>,
}

impl Templates {
    /// Nothing compiled yet.
    pub fn new() -> Self {
        Templates {
            registry: registry(),
            compiled: TEMPLATES.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// The template called `name`, compiled now if it was not before.
    fn get(&self, name: &str) -> Result<&Template, EmitError> {
        let i = TEMPLATES
            .iter()
            .position(|(n, _)| *n == name)
            .ok_or_else(|| EmitError(format!("template {name}: no such template")))?;
        self.compiled[i]
            .get_or_init(|| {
                Template::compile_with_name(TEMPLATES[i].1, name.to_string())
                    .map_err(|e| format!("template {name}: {e}"))
            })
            .as_ref()
            .map_err(|e| EmitError(e.clone()))
    }

    /// How many templates have been compiled so far.
    pub fn compiled(&self) -> usize {
        self.compiled.iter().filter(|c| c.get().is_some()).count()
    }

    /// Compiles every template, and says which does not compile (for the tests: a build
    /// compiles only those its site uses).
    pub fn compile_all(&self) -> Result<(), EmitError> {
        TEMPLATES
            .iter()
            .try_for_each(|(name, _)| self.get(name).map(|_| ()))
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

/// Renders a template, as `Handlebars::render_with_context` does for a registered one. The
/// context is moved into handlebars' (`render` would copy it: the port matrix of a site with
/// 20,000 rules is a context of 90 MB).
pub(super) fn render(
    t: &Templates,
    name: &str,
    ctx: serde_json::Value,
) -> Result<String, EmitError> {
    let template = t.get(name)?;
    let failed = |e: &dyn std::fmt::Display| EmitError(format!("template {name}: {e}"));
    let ctx = Context::from(ctx);
    let mut out = StringOutput::new();
    let mut rc = handlebars::RenderContext::new(template.name.as_ref());
    template
        .render(&t.registry, &ctx, &mut rc, &mut out)
        .map_err(|e| failed(&e))?;
    let mut text = out.into_string().map_err(|e| failed(&e))?;
    // Handlebars renders into an 8 KiB buffer: kept as is, a site's 20,000 rendered rules
    // would hold 160 MiB for 7 MiB of text.
    text.shrink_to_fit();
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_template_compiles() {
        let t = Templates::new();
        t.compile_all().unwrap();
        assert_eq!(t.compiled(), TEMPLATES.len());
    }

    #[test]
    fn a_template_is_compiled_on_its_first_render_only() {
        let t = Templates::new();
        assert_eq!(t.compiled(), 0);
        let ctx = || json!({ "release": { "terraform": "1.0" }, "proxy": false });
        let first = render(&t, "ci/drain_unit", ctx()).unwrap();
        assert_eq!(t.compiled(), 1);
        assert_eq!(render(&t, "ci/drain_unit", ctx()).unwrap(), first);
        assert_eq!(t.compiled(), 1);
        assert!(render(&t, "no/such", ctx()).is_err());
    }

    #[test]
    fn a_render_error_names_the_template_and_the_helper() {
        let t = Templates::new();
        let e = render(&t, "tf/ami", json!({})).unwrap_err();
        assert!(e.0.starts_with("template tf/ami: "), "{}", e.0);
    }
}
