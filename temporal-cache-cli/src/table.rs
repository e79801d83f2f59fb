//! How the commands print for people: aligned columns, byte counts and durations in short human
//! units. (`--json` prints raw numbers instead.)

use std::time::Duration;

/// Rows of cells, printed with every column as wide as its widest cell.
pub(crate) struct Table {
    rows: Vec<Vec<String>>,
    /// Which columns hold numbers, right-aligned.
    numeric: Vec<bool>,
}

impl Table {
    /// A table with these headers; a header starting with `>` is a right-aligned column.
    pub(crate) fn new(headers: &[&str]) -> Self {
        Self {
            numeric: headers.iter().map(|h| h.starts_with('>')).collect(),
            rows: vec![
                headers
                    .iter()
                    .map(|h| h.trim_start_matches('>').to_owned())
                    .collect(),
            ],
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row.
    pub(crate) fn render(&self) -> String {
        let columns = self.numeric.len();
        let widths: Vec<usize> = (0..columns)
            .map(|column| {
                self.rows
                    .iter()
                    .map(|row| row.get(column).map_or(0, |cell| cell.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                let width = widths[column];
                let cell = if self.numeric[column] {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                };
                line.push_str(&cell);
                line.push_str("  ");
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// `bytes` in B, KiB, MiB or GiB, with one decimal above bytes.
pub(crate) fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `duration` as the cache's own TTLs are written (`1h30m`, `59m58s`, `250ms`): at most two
/// units, largest first.
pub(crate) fn duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let seconds = duration.as_secs();
    let units = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let first = units
        .iter()
        .position(|(_, size)| seconds >= *size)
        .unwrap_or(units.len() - 1);
    let (name, size) = units[first];
    let mut text = format!("{}{name}", seconds / size);
    if let Some((next, next_size)) = units.get(first + 1) {
        let more = seconds % size / next_size;
        if more > 0 {
            text.push_str(&format!("{more}{next}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes_and_durations_shortly() {
        assert_eq!(bytes(17), "17 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration(Duration::from_secs(3599)), "59m59s");
        assert_eq!(duration(Duration::from_secs(3600)), "1h");
        assert_eq!(duration(Duration::from_secs(90_061)), "1d1h");
    }

    #[test]
    fn aligns_columns() {
        let mut table = Table::new(&["NAME", ">N"]);
        table.row(vec!["a".to_owned(), "100".to_owned()]);
        assert_eq!(table.render(), "NAME    N\na     100\n");
    }
}
