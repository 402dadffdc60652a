//! `iam/*.json`: the stdlib's policy documents with the site's names filled in.

use super::{EmitError, Input, Outputs};
use crate::model::StatementDef;
use crate::names::{Names, ACCOUNT_ID_PLACEHOLDER};
use serde_json::{json, Map, Value};

/// The largest managed policy AWS accepts, in characters without whitespace.
pub const POLICY_SIZE_LIMIT: usize = 6144;

pub fn emit(input: &Input, out: &mut Outputs) -> Result<(), EmitError> {
    let site = input.site;
    let names = Names::new(site);
    let account = site.account.clone().unwrap_or_else(|| "*".into());
    // Where a wildcard is not allowed (a principal), Terraform fills in the account it applies
    // to (templatefile in the role's `assume_role_policy`) unless the site gives it.
    let caller_account = site
        .account
        .clone()
        .unwrap_or_else(|| ACCOUNT_ID_PLACEHOLDER.into());
    let (bucket, queue, services_role, nomad_role, ssm_prefix) = (
        names.bucket_pattern(site),
        names.shutdown_queue(),
        names.services_role(),
        names.nomad_role(),
        names.ssm_prefix(),
    );
    let state = site.state.as_ref();
    let text = |f: fn(&crate::model::StateBackend) -> &str| state.map_or("", f).to_string();
    let (state_bucket, state_key, state_region, lock_table) = (
        text(|s| &s.bucket),
        text(|s| &s.key),
        text(|s| &s.region),
        text(|s| s.lock_table.as_deref().unwrap_or_default()),
    );
    let vars: [(&str, &str); 14] = [
        ("partition", &site.partition),
        ("region", &site.region),
        ("account", &account),
        ("caller_account", &caller_account),
        ("bucket", &bucket),
        ("queue", &queue),
        ("services_role", &services_role),
        ("nomad_role", &nomad_role),
        ("ssm_prefix", &ssm_prefix),
        ("site", &site.name),
        ("state_bucket", &state_bucket),
        ("state_key", &state_key),
        ("state_region", &state_region),
        ("lock_table", &lock_table),
    ];
    for p in input.lib.policies.iter().filter(|p| site.holds(&p.when)) {
        let statements = p
            .statements
            .iter()
            .filter(|s| site.holds(&s.when))
            .map(|s| statement(s, &vars, &p.name))
            .collect::<Result<Vec<Value>, EmitError>>()?;
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

/// One statement with the site's names filled in.
fn statement(s: &StatementDef, vars: &[(&str, &str)], policy: &str) -> Result<Value, EmitError> {
    let fill_all = |items: &[String]| -> Result<Vec<String>, EmitError> {
        items.iter().map(|i| fill(i, vars, policy)).collect()
    };
    let mut st = Map::new();
    st.insert("Sid".into(), json!(s.sid));
    st.insert("Effect".into(), json!(s.effect));
    if let Some(svc) = &s.principal_service {
        st.insert("Principal".into(), json!({ "Service": svc }));
    }
    if let Some(aws) = &s.principal_aws {
        st.insert(
            "Principal".into(),
            json!({ "AWS": fill(aws, vars, policy)? }),
        );
    }
    st.insert("Action".into(), json!(s.actions));
    if !s.resources.is_empty() {
        st.insert("Resource".into(), json!(fill_all(&s.resources)?));
    }
    if !s.conditions.is_empty() {
        let mut c = Map::new();
        for cond in &s.conditions {
            let entry = c.entry(cond.test.clone()).or_insert_with(|| json!({}));
            if let Value::Object(m) = entry {
                m.insert(cond.variable.clone(), json!(fill_all(&cond.values)?));
            }
        }
        st.insert("Condition".into(), Value::Object(c));
    }
    Ok(Value::Object(st))
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
