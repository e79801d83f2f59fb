//! Charts the report draws as SVG: one row per series, every sample a dot, the median a bar and
//! the 90th percentile a tick, on a shared time axis from zero. What a reader takes in at a
//! glance ("the lookup hit sits on the no-activity row, the plain hit twice as far") without
//! reading the table.
//!
//! Written by hand rather than with `plotters`: its text needs a font backend (system fonts
//! through fontconfig, or a font file bundled with the bench), while an SVG `<text>` element
//! needs none, and a strip chart is a few rectangles, circles and lines.

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::percentile;

/// One row of a chart.
pub(super) struct Row<'a> {
    pub(super) label: &'a str,
    pub(super) samples: &'a [Duration],
}

const WIDTH: f64 = 760.0;
const LABEL_WIDTH: f64 = 250.0;
const ROW_HEIGHT: f64 = 36.0;
const TOP: f64 = 40.0;
const AXIS_HEIGHT: f64 = 40.0;
const RIGHT_MARGIN: f64 = 30.0;

/// The chart of `rows` titled `title`, as an SVG document; `dots` says what a dot is.
pub(super) fn strip_chart(title: &str, dots: &str, rows: &[Row<'_>]) -> String {
    let max = rows
        .iter()
        .flat_map(|row| row.samples.iter())
        .max()
        .copied()
        .unwrap_or(Duration::from_millis(1));
    let (step, unit, scale) = axis(max);
    let ticks = (max.as_secs_f64() / step).ceil().max(1.0);
    let span = ticks * step;
    let plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
    let x = |value: f64| LABEL_WIDTH + value / span * plot_width;
    let height = TOP + ROW_HEIGHT * rows.len() as f64 + AXIS_HEIGHT;

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
        LABEL_WIDTH,
        escape(title)
    );
    let axis_y = TOP + ROW_HEIGHT * rows.len() as f64;
    for tick in 0..=(ticks as usize) {
        let value = tick as f64 * step;
        let tick_x = x(value);
        let _ = write!(
            svg,
            "<line x1=\"{tick_x:.1}\" y1=\"{TOP}\" x2=\"{tick_x:.1}\" y2=\"{axis_y}\" \
             stroke=\"#e4e4e4\"/>\n\
             <text x=\"{tick_x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
            axis_y + 18.0,
            format_tick(value * scale, unit)
        );
    }
    for (index, row) in rows.iter().enumerate() {
        let middle = TOP + ROW_HEIGHT * (index as f64 + 0.5);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL_WIDTH - 10.0,
            middle + 4.0,
            escape(row.label)
        );
        let mut sorted = row.samples.to_vec();
        sorted.sort_unstable();
        for sample in &sorted {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{middle:.1}\" r=\"3\" fill=\"#4878d0\" \
                 fill-opacity=\"0.45\"/>",
                x(sample.as_secs_f64())
            );
        }
        if !sorted.is_empty() {
            let median = x(percentile(&sorted, 50.0).as_secs_f64());
            let p90 = x(percentile(&sorted, 90.0).as_secs_f64());
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"22\" fill=\"#d62728\"/>\n\
                 <line x1=\"{p90:.1}\" y1=\"{:.1}\" x2=\"{p90:.1}\" y2=\"{:.1}\" \
                 stroke=\"#333\" stroke-width=\"2\"/>\n",
                median - 1.5,
                middle - 11.0,
                middle - 7.0,
                middle + 7.0
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#555\">dots: {} · red bar: median · black \
         tick: 90th percentile</text>\n</svg>\n",
        LABEL_WIDTH,
        axis_y + 36.0,
        escape(dots)
    );
    svg
}

/// A tick step (in seconds) of 1, 2 or 5 times a power of ten that gives the axis 4 to 10
/// ticks, with the unit its labels read in and the factor from seconds to that unit.
fn axis(max: Duration) -> (f64, &'static str, f64) {
    let max = max.as_secs_f64().max(1e-6);
    let mut step = 10f64.powf((max / 5.0).log10().floor());
    for factor in [1.0, 2.0, 5.0, 10.0] {
        if max / (step * factor) <= 8.0 {
            step *= factor;
            break;
        }
    }
    let (unit, scale) = if max >= 1.0 {
        ("s", 1.0)
    } else if max >= 1e-3 {
        ("ms", 1e3)
    } else {
        ("µs", 1e6)
    };
    (step, unit, scale)
}

fn format_tick(value: f64, unit: &str) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_sample_and_labels_the_axis_in_a_readable_unit() {
        let fast: Vec<Duration> = (0..10).map(|i| Duration::from_millis(50 + i)).collect();
        let slow: Vec<Duration> = (0..10).map(|i| Duration::from_millis(100 + i)).collect();
        let svg = strip_chart(
            "wall time",
            "every run",
            &[
                Row {
                    label: "(a) <fast>",
                    samples: &fast,
                },
                Row {
                    label: "(b) slow",
                    samples: &slow,
                },
            ],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(svg.contains("(a) &lt;fast&gt;"));
        assert!(svg.contains(" ms</text>"), "{svg}");
        assert_eq!(
            svg.matches("fill=\"#d62728\"").count(),
            2,
            "one median bar a row"
        );
    }

    #[test]
    fn a_tick_step_gives_a_handful_of_ticks() {
        for max_ms in [3, 48, 109, 950, 4_000] {
            let max = Duration::from_millis(max_ms);
            let (step, _, _) = axis(max);
            let ticks = max.as_secs_f64() / step;
            assert!(
                (2.0..=10.0).contains(&ticks.ceil()),
                "{max_ms} ms: {ticks} ticks"
            );
        }
    }
}
