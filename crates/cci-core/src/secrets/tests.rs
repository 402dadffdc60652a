use super::*;
use crate::display::shown_text;

fn shown(text: &str) -> String {
    let s = shown_text(text, &secret_ranges(text));
    assert_eq!(s.len(), text.len(), "offsets kept");
    s
}

fn hides(text: &str, gone: &[&str], kept: &[&str]) {
    let s = shown(text);
    for g in gone {
        assert!(!s.contains(g), "{g} shown:\n{s}");
    }
    for k in kept {
        assert!(s.contains(k), "{k} hidden:\n{s}");
    }
}

#[test]
fn values_of_secret_keys_in_any_layout() {
    hides(
        "site \"a\" {\n  passphrase =\n    \"hunter2\"\n  pasphrase: \"x1y\"\n  ssh_key = \"ops\" db_pw = \"k9z\"\n  pwd = bare word here # c\n  passphrase = secret\n  key = file(\"tls/ci.key\")\n  private_zone = true\n  tokens = [\"t1a\", \"t2b\"]\n}\n",
        &["hunter2", "x1y", "k9z", "bare word here", "t1a", "t2b"],
        &["passphrase = secret", "ssh_key = \"ops\"", "file(\"tls/ci.key\")", "private_zone = true", "# c"],
    );
}

#[test]
fn typos_and_odd_value_shapes() {
    hides(
        "passphrase == \"T1x\"\npasphrase := \"T2x\"\npassword \"T3x\"\npw = = \"T4x\"\npwd =, \"T5x\"\n\
         passphrase = { value = \"S1x\" }\npassword = secret(\"S2x\")\npwd = secret S3x\ndb_pw = \"A\" + \"S4x\"\ntoken = \"A\nS5x\"\nafter = 1\n",
        &["T1x", "T2x", "T3x", "T4x", "T5x", "S1x", "S2x", "S3x", "S4x", "S5x"],
        &["after = 1", "password = secret"],
    );
}

#[test]
fn shapes_anywhere() {
    hides(
        "x = \"AKIAABCDEFGHIJKLMNOP\" # wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nkey = \"-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\"\nafter = 1\nu = \"ops:hunter2@proxy:3128\" v = \"https://tok@ghe.x\"\nt = ghp_abcdefghijklmnopqrstuvwxyz0123\n",
        &["AKIAABCDEFGHIJKLMNOP", "wJalrXUtnFEMI", "MIIabc", "hunter2", "ops:", "tok@", "ghp_abc"],
        &["after = 1", "@proxy:3128"],
    );
}

#[test]
fn comments_hide_what_follows_a_secret_word_and_the_next_comment_line() {
    hides(
        "a = 1 # the admin password is hunter2\n# private key: k1\n# private subnet\n# password below\n  # p4ssw0rd\nb = 2\n",
        &["hunter2", "k1", "p4ssw0rd"],
        &["# private subnet", "the admin password", "b = 2"],
    );
}

#[test]
fn secret_values_are_the_pieces_a_message_could_quote() {
    let v = secret_values("passphrase = \"hunter2 two\" # password: not quoted\n");
    assert_eq!(v, vec!["hunter2".to_string(), "two".to_string()]);
}

#[test]
fn key_names() {
    for k in [
        "passphrase",
        "password",
        "db_pw",
        "pwd",
        "api_key",
        "tls_private_key",
        "passwrd",
        "GITHUB_TOKEN",
    ] {
        assert!(is_secret_key(k), "{k}");
    }
    for k in [
        "ssh_key",
        "private_zone",
        "key",
        "region",
        "bucket",
        "hosts",
    ] {
        assert!(!is_secret_key(k), "{k}");
    }
}

#[test]
fn credential_shapes_are_told_from_addresses() {
    for yes in [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ghp_Abcdefghijklmnopqrstuvwxyz0123456789",
        "via ops:Pw55zz@mon.internal",
        "https://ci@git.internal/x",
        "-----BEGIN PRIVATE KEY-----",
    ] {
        assert!(is_credential_shaped(yes), "{yes}");
    }
    for no in [
        "ops@acme.com",
        "node exporter",
        "0123456789ABCDEF0123456789ABCDEF01234567",
        "http://proxy:3128",
    ] {
        assert!(!is_credential_shaped(no), "{no}");
    }
}

#[test]
fn hostile_shapes_stay_linear() {
    let ats = format!("bogus = {}\n", "@".repeat(200_000));
    let brackets = "pw = [\n".repeat(20_000);
    for text in [ats, brackets] {
        let t = std::time::Instant::now();
        let _ = secret_ranges(&text);
        let _ = secret_values(&text);
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    }
}
