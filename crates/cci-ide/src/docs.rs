//! What the editor says about block kinds and attributes, read from the language reference
//! (`resolve::language_reference`, generated from the schemas the resolver checks against),
//! so a hover and a completion say what `docs/language.md` says and cannot drift from it.

use cci_core::model::Stdlib;

/// A block kind: where it is written, how, what it is, its attributes.
#[derive(Clone, Debug)]
pub struct BlockDoc {
    /// The kinds of the blocks it is written in, then its own: `["site", "aws"]`.
    pub path: Vec<String>,
    /// How it is written: `site { aws { ... } }`.
    pub syntax: String,
    pub what: String,
    pub attrs: Vec<AttrDoc>,
}

/// One attribute, as the reference's table gives it.
#[derive(Clone, Debug)]
pub struct AttrDoc {
    pub name: String,
    pub ty: String,
    pub required: bool,
    pub example: String,
    pub note: String,
}

/// The reference, read once.
#[derive(Clone, Debug, Default)]
pub struct Docs {
    pub blocks: Vec<BlockDoc>,
    /// The `allow` rule's form and meaning.
    pub rules: String,
    /// How `instance` is read, and how a site declares a type of its own.
    pub instance_types: String,
}

impl Docs {
    pub fn new(lib: &Stdlib) -> Docs {
        Docs::from_reference(&cci_core::resolve::language_reference(lib))
    }

    /// Reads the reference's sections: `` ## `syntax` `` headings with their paragraph and
    /// attribute table, and the rules' and instance types' sections.
    pub fn from_reference(md: &str) -> Docs {
        let mut docs = Docs::default();
        for section in md.split("\n## ").skip(1) {
            let (heading, body) = section.split_once('\n').unwrap_or((section, ""));
            let paragraphs: Vec<&str> = body
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            let first = paragraphs.first().copied().unwrap_or_default().to_string();
            match heading.trim() {
                "Rules" => docs.rules = paragraphs.join("\n\n"),
                "Instance types" => docs.instance_types = first,
                h if h.starts_with('`') => docs.blocks.extend(block(h, first, body)),
                _ => {}
            }
        }
        docs
    }

    /// The block kind at this path (`["site", "aws"]`); a kind written where it does not
    /// belong is found by its own name when that is unique.
    pub fn block(&self, path: &[String]) -> Option<&BlockDoc> {
        if let Some(b) = self.blocks.iter().find(|b| b.path == path) {
            return Some(b);
        }
        let last = path.last()?;
        let mut same = self.blocks.iter().filter(|b| b.path.last() == Some(last));
        match (same.next(), same.next()) {
            (Some(b), None) => Some(b),
            _ => None,
        }
    }

    /// The kinds written directly inside the block at `path` (the top level: `[]`).
    pub fn children(&self, path: &[String]) -> impl Iterator<Item = &BlockDoc> {
        let path = path.to_vec();
        self.blocks
            .iter()
            .filter(move |b| b.path.len() == path.len() + 1 && b.path.starts_with(&path))
    }
}

/// A block's section: `` `site { aws { ... } }` `` or `` `tags { KEY = "value" ... }` (in `site`) ``.
fn block(heading: &str, what: String, body: &str) -> Option<BlockDoc> {
    let mut parts = heading.split('`');
    let syntax = parts.nth(1)?.to_string();
    let within = parts.nth(1).map(str::to_string);
    let segments: Vec<&str> = syntax.split(" { ").collect();
    let mut path: Vec<String> = within.into_iter().collect();
    for s in &segments[..segments.len().saturating_sub(1)] {
        path.push(s.split([' ', '"']).next()?.to_string());
    }
    let attrs = body
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|row| {
            let cells: Vec<&str> = row.trim_end_matches(" |").split(" | ").collect();
            let [name, ty, required, example, note] = cells[..] else {
                return None;
            };
            Some(AttrDoc {
                name: name.trim_end_matches('`').to_string(),
                ty: ty.to_string(),
                required: required == "yes",
                example: example.trim_matches('`').to_string(),
                note: note.trim().to_string(),
            })
        })
        .collect();
    Some(BlockDoc {
        path,
        syntax,
        what,
        attrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute the resolver's schemas declare has its reference row here, under the
    /// block kind the schema is for.
    #[test]
    fn every_schema_attribute_is_documented() {
        let docs = Docs::new(&Stdlib::default());
        for (kind, names) in cci_core::resolve::block_attributes() {
            let path = [kind.to_string()];
            let block = docs
                .block(&path)
                .unwrap_or_else(|| panic!("no doc for `{kind}`"));
            for n in names {
                let a = block.attrs.iter().find(|a| a.name == n);
                assert!(
                    a.is_some_and(|a| !a.ty.is_empty()),
                    "{kind}.{n}: {:?}",
                    block
                );
            }
        }
        let aws = docs.block(&["site".into(), "aws".into()]).unwrap();
        assert!(aws.what.contains("AWS"), "{aws:?}");
        let tags = docs.block(&["site".into(), "tags".into()]).unwrap();
        assert!(tags.attrs.is_empty());
        let top: Vec<&str> = docs.children(&[]).map(|b| b.path[0].as_str()).collect();
        assert_eq!(top, ["site", "services", "fleet", "external", "actors"]);
        assert!(docs.rules.contains("PROTOCOL"), "{}", docs.rules);
        assert!(docs.instance_types.contains("instance_type"));
    }
}
