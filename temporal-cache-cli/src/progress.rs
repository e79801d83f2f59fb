//! The progress of a long scan, for a person watching: a counter on stderr while a terminal is
//! there to show it, and nothing at all otherwise (a script's stderr stays clean).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A running count of keys seen, drawn only on a terminal.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// A counter labelled `what` ("scanning", "purging"...).
    pub(crate) fn start(what: &'static str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner().with_message(what);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg}: {human_pos} keys ({per_sec}, {elapsed})",
            )
            .expect("the template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    /// Counts `keys` more keys.
    pub(crate) fn advance(&self, keys: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(keys as u64);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
