//! The argument list a `redis-server` of the launcher gets: where it listens, no persistence, then
//! the caller's own arguments, with ACL user rules made into the tokens Redis expects.

use super::tls::TlsSettings;

/// The arguments for a server on `port`: its listener (plain, or TLS with the plain port off),
/// `--bind 127.0.0.1 --save "" --appendonly no`, then `extra_args`.
///
/// An argument after `--user` may hold a whole ACL rule, `"cache on >secret ~tc:* +get"`: it is
/// split at whitespace. Redis would otherwise quote it whole into its configuration, as a user
/// name with spaces, and refuse to start. (A password with a space cannot be set this way.)
pub(super) fn server_args(
    port: u16,
    tls: Option<&TlsSettings>,
    extra_args: &[String],
) -> Vec<String> {
    let mut args = match tls {
        None => vec!["--port".to_owned(), port.to_string()],
        Some(tls) => tls.listener_args(port),
    };
    args.extend(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"].map(str::to_owned));
    let mut after_user = false;
    for arg in extra_args {
        if after_user {
            args.extend(arg.split_whitespace().map(str::to_owned));
        } else {
            args.push(arg.clone());
        }
        after_user = arg == USER_OPTION;
    }
    args
}

/// The option that defines an ACL user, `--user NAME RULE...`.
const USER_OPTION: &str = "--user";

#[cfg(test)]
mod tests {
    use super::*;

    fn args_of(extra_args: &[&str]) -> Vec<String> {
        let extra_args: Vec<String> = extra_args.iter().map(|&a| a.to_owned()).collect();
        server_args(6379, None, &extra_args)
    }

    #[test]
    fn a_plain_server_listens_on_its_port_without_persistence() {
        assert_eq!(
            args_of(&[]),
            [
                "--port",
                "6379",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no"
            ]
        );
    }

    #[test]
    fn a_user_rule_in_one_argument_becomes_its_tokens() {
        assert_eq!(
            args_of(&[
                "--user",
                "cache on >secret  ~tc:* +get",
                "--requirepass",
                "a b"
            ])[8..],
            [
                "--user",
                "cache",
                "on",
                ">secret",
                "~tc:*",
                "+get",
                "--requirepass",
                "a b"
            ]
        );
    }

    #[test]
    fn a_user_rule_in_tokens_is_kept() {
        assert_eq!(
            args_of(&["--user", "cache", "on", "nopass"])[8..],
            ["--user", "cache", "on", "nopass"]
        );
    }
}
