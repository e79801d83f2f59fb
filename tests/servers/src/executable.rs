//! Finding a server's binary: where its environment variable says, else on `PATH`.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::LaunchError;

/// The binary `$variable` names, else `name` from `PATH`.
///
/// The variable may hold a path or, like a command, a bare name looked up in `PATH`.
///
/// # Errors
///
/// [`LaunchError::NotExecutable`] if the variable names no executable file,
/// [`LaunchError::NotFound`] with `hint` if it is unset and `PATH` has no `name`.
pub fn locate(
    variable: &'static str,
    name: &str,
    hint: &'static str,
) -> Result<PathBuf, LaunchError> {
    resolve(std::env::var_os(variable).as_deref(), variable, name, hint)
}

/// [`locate`], given the variable's value.
fn resolve(
    configured: Option<&OsStr>,
    variable: &'static str,
    name: &str,
    hint: &'static str,
) -> Result<PathBuf, LaunchError> {
    let Some(configured) = configured else {
        return find_in_path(name).ok_or(LaunchError::NotFound { hint });
    };
    let path = PathBuf::from(configured);
    let found = if path.components().count() == 1 && !path.is_absolute() {
        find_in_path(configured)
    } else {
        is_executable(&path).then(|| path.clone())
    };
    found.ok_or(LaunchError::NotExecutable {
        variable,
        path,
        hint,
    })
}

/// Finds an executable named `name` in the directories of `PATH`.
pub fn find_in_path(name: impl AsRef<OsStr>) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name.as_ref()))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file with an execute bit set.
pub fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HINT: &str = "install it";

    #[test]
    fn unset_means_the_name_on_path() {
        let found = resolve(None, "TEST_BINARY", "sh", HINT).unwrap();
        assert!(found.ends_with("sh") && is_executable(&found), "{found:?}");
    }

    #[test]
    fn a_binary_missing_from_path_is_not_found_with_the_hint() {
        let error = resolve(None, "TEST_BINARY", "no-such-server-binary", HINT).unwrap_err();
        assert!(matches!(error, LaunchError::NotFound { .. }), "{error:?}");
        assert_eq!(error.to_string(), HINT);
    }

    #[test]
    fn the_variable_may_be_a_path_or_a_bare_name() {
        let by_path = resolve(Some("/bin/sh".as_ref()), "TEST_BINARY", "x", HINT).unwrap();
        assert_eq!(by_path, Path::new("/bin/sh"));
        let by_name = resolve(Some("sh".as_ref()), "TEST_BINARY", "x", HINT).unwrap();
        assert!(
            by_name.is_absolute() && by_name.ends_with("sh"),
            "{by_name:?}"
        );
    }

    #[test]
    fn a_variable_naming_no_executable_is_an_error() {
        let error = resolve(
            Some("/nonexistent/server-binary".as_ref()),
            "TEST_BINARY",
            "x",
            HINT,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("TEST_BINARY=/nonexistent/server-binary is not an executable file. {HINT}")
        );
    }
}
