//! `iam/*.json`: the stdlib's policy documents with the site's names filled in.

use super::{EmitError, Input, Outputs};
use serde_json::{json, Map, Value};

/// The largest managed policy AWS accepts, in characters without whitespace.
pub const POLICY_SIZE_LIMIT: usize = 6144;

pub fn emit(input: &Input, out: &mut Outputs) -> Result<(), EmitError> {
    let site = input.site;
    let names = super::terraform::site_names(site);
    let account = site.account.clone().unwrap_or_else(|| "*".into());
    let vars: [(&str, &str); 9] = [
        ("partition", &site.partition),
        ("region", &site.region),
        ("account", &account),
        ("bucket", &site.bucket),
        ("queue", &names.queue),
        ("services_role", &names.role),
        ("hook_role", &names.hook_role),
        ("ssm_prefix", &names.ssm_prefix),
        ("site", &site.name),
    ];
    for p in &input.lib.policies {
        let mut statements = Vec::new();
        for s in &p.statements {
            let mut st = Map::new();
            st.insert("Sid".into(), json!(s.sid));
            st.insert("Effect".into(), json!(s.effect));
            if let Some(svc) = &s.principal_service {
                st.insert("Principal".into(), json!({ "Service": svc }));
            }
            st.insert("Action".into(), json!(s.actions));
            if !s.resources.is_empty() {
                let r: Result<Vec<String>, EmitError> = s
                    .resources
                    .iter()
                    .map(|r| fill(r, &vars, &p.name))
                    .collect();
                st.insert("Resource".into(), json!(r?));
            }
            if !s.conditions.is_empty() {
                let mut c = Map::new();
                for cond in &s.conditions {
                    let entry = c.entry(cond.test.clone()).or_insert_with(|| json!({}));
                    if let Value::Object(m) = entry {
                        m.insert(cond.variable.clone(), json!(cond.values));
                    }
                }
                st.insert("Condition".into(), Value::Object(c));
            }
            statements.push(Value::Object(st));
        }
        let doc = json!({ "Version": "2012-10-17", "Statement": statements });
        // AWS counts a policy's characters without whitespace; over the limit, apply fails.
        let size = serde_json::to_string(&doc)
            .map_err(|e| EmitError(e.to_string()))?
            .len();
        if size > POLICY_SIZE_LIMIT {
            return Err(EmitError(format!(
                "IAM policy `{}` has {size} characters; AWS accepts at most {POLICY_SIZE_LIMIT} (shorten the site name, or split the policy in the stdlib)",
                p.name
            )));
        }
        let mut text = serde_json::to_string_pretty(&doc).map_err(|e| EmitError(e.to_string()))?;
        text.push('\n');
        out.files.insert(format!("iam/{}", p.file), text);
    }
    Ok(())
}

/// Replaces `{name}` placeholders; an unknown one is an error in the stdlib.
fn fill(template: &str, vars: &[(&str, &str)], policy: &str) -> Result<String, EmitError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| EmitError(format!("policy {policy}: unclosed `{{` in `{template}`")))?;
        let name = &after[..close];
        let value = vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                EmitError(format!(
                    "policy {policy}: unknown placeholder `{{{name}}}` in `{template}`"
                ))
            })?;
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
