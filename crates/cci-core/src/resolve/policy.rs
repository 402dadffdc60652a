//! The stdlib's IAM policies (iam.cci): each `policy` block and its `statement`s, which the
//! emitter writes as IAM JSON documents.

use super::library::{label, no_labels, Seen};
use super::schema::{opt, read, req, AttrSpec, Ty};
use crate::ast::Block;
use crate::diagnostics::Diagnostics;
use crate::model::{ConditionDef, PolicyDef, StatementDef, Stdlib};

pub(super) fn read_policy(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("file", Ty::Str, "\"installer-policy.json\""),
        req("description", Ty::Str, "\"...\""),
        opt("when", Ty::Condition, "backup"),
    ];
    let Some((name, v, blocks)) =
        seen.named("policy", "installer", b, SCHEMA, &["statement"], lib, diags)
    else {
        return;
    };
    let statements = blocks
        .iter()
        .filter_map(|s| read_statement(lib, s, diags))
        .collect();
    lib.policies.push(PolicyDef {
        name: name.node,
        file: v.str("file").unwrap_or_default(),
        description: v.str("description").unwrap_or_default(),
        when: v.condition("when"),
        statements,
    });
}

fn read_statement(lib: &Stdlib, s: &Block, diags: &mut Diagnostics) -> Option<StatementDef> {
    const SCHEMA: &[AttrSpec] = &[
        opt("effect", Ty::Str, "\"Allow\""),
        req("actions", Ty::Strings, "\"s3:GetObject\""),
        opt("resources", Ty::Strings, "\"*\""),
        opt("principal_service", Ty::Str, "\"ec2.amazonaws.com\""),
        opt(
            "principal_aws",
            Ty::Str,
            "\"arn:{partition}:iam::{caller_account}:root\"",
        ),
        opt("when", Ty::Condition, "vm_service"),
    ];
    const CONDITION: &[AttrSpec] = &[
        req("test", Ty::Str, "\"StringEquals\""),
        req("variable", Ty::Str, "\"aws:ResourceTag/ManagedBy\""),
        req("values", Ty::Strings, "\"circleci\""),
    ];
    let sid = label(s, diags, "Bucket")?;
    let (v, blocks) = read(
        format!("statement `{}`", sid.node),
        s,
        SCHEMA,
        &["condition"],
        lib,
        diags,
    );
    let mut conditions = Vec::new();
    for c in blocks {
        no_labels(c, diags);
        let (cv, _) = read("`condition`", c, CONDITION, &[], lib, diags);
        if let (Some(test), Some(variable), Some(values)) =
            (cv.str("test"), cv.str("variable"), cv.strings("values"))
        {
            conditions.push(ConditionDef {
                test,
                variable,
                values,
            });
        }
    }
    Some(StatementDef {
        sid: sid.node,
        effect: v.str("effect").unwrap_or_else(|| "Allow".into()),
        actions: v.strings("actions").unwrap_or_default(),
        resources: v.strings("resources").unwrap_or_default(),
        principal_service: v.str("principal_service"),
        principal_aws: v.str("principal_aws"),
        conditions,
        when: v.condition("when"),
    })
}
