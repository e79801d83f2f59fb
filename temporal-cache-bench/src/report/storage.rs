//! The stored-forms measurement as markdown: its rows in the summary and its section.

use std::fmt::Write as _;

use super::format::{duration, thousands};
use super::summary::SummaryRow;
use crate::activities::Form;
use crate::scenarios::storage::{FormHits, StorageReport};
use crate::stats::median;
use crate::targets::{self, Verdict};

fn form_name(form: Form) -> &'static str {
    match form {
        Form::Plain => "plain",
        Form::Compressed => "compressed (zstd)",
        Form::Encrypted => "encrypted (AES-256-GCM)",
        Form::Converted => "through a DataConverter",
    }
}

fn size(large: bool) -> &'static str {
    if large { "100 KB" } else { "233 B" }
}

fn figure(hits: &FormHits) -> String {
    format!(
        "{:.2}× (hit {}, bare GET of the plain entry {})",
        hits.ratio(),
        duration(hits.hit_p50()),
        duration(hits.floor_p50())
    )
}

/// What the compressed hit's parts cost alone, and their sum against the floor: no hit of the
/// compressed entry can cost less.
fn compressed_parts(storage: &StorageReport, hits: &FormHits) -> String {
    if storage.compressed_parts.is_empty() {
        return String::new();
    }
    let get = median(&storage.compressed_parts, |parts| parts.get.p50);
    let decompress = median(&storage.compressed_parts, |parts| parts.decompress.p50);
    format!(
        "; its parts alone: a bare GET of the compressed entry {}, zstd decompressing it {}, \
         together {:.2}× the floor before any decoding",
        duration(get),
        duration(decompress),
        (get + decompress).as_secs_f64() / hits.floor_p50().as_secs_f64()
    )
}

pub(super) fn summary_rows(storage: &StorageReport) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    let targeted = [
        (Form::Encrypted, false, targets::ENCRYPTED_HIT_P50_MAX_RATIO),
        (
            Form::Compressed,
            true,
            targets::COMPRESSED_HIT_P50_MAX_RATIO,
        ),
    ];
    for (form, large, target) in targeted {
        if let Some(hits) = storage.of(form, large) {
            let mut shown = figure(hits);
            if form == Form::Compressed {
                shown.push_str(&compressed_parts(storage, hits));
            }
            rows.push(
                SummaryRow::new(
                    format!(
                        "hit p50 ÷ bare GET p50, {}, {}",
                        size(large),
                        form_name(form)
                    ),
                    shown,
                )
                .with_target(format!("≤ {target}×"), Verdict::of(hits.ratio() <= target)),
            );
        }
    }
    for (form, large) in [
        (Form::Converted, false),
        (Form::Encrypted, true),
        (Form::Converted, true),
    ] {
        if let Some(hits) = storage.of(form, large) {
            rows.push(SummaryRow::new(
                format!(
                    "hit p50 ÷ bare GET p50, {}, {}",
                    size(large),
                    form_name(form)
                ),
                figure(hits),
            ));
        }
    }
    if let (Some(plain), Some(compressed)) = (
        storage.of(Form::Plain, true),
        storage.of(Form::Compressed, true),
    ) {
        rows.push(SummaryRow::new(
            "bytes in Redis for the 100 KB result, uncompressed and compressed",
            format!(
                "{} B and {} B ({:.1}× smaller)",
                thousands(plain.entry_bytes),
                thousands(compressed.entry_bytes),
                plain.entry_bytes as f64 / compressed.entry_bytes as f64
            ),
        ));
    }
    rows
}

pub(super) fn section(out: &mut String, storage: &StorageReport) {
    let _ = writeln!(
        out,
        "### Stored forms: compression, encryption, a DataConverter\n"
    );
    let _ = writeln!(
        out,
        "Each result stored in each form on a backend of its own, then hit with the same input, \
         alternating call by call with a bare `GET` of the **plain, uncompressed** entry of the \
         same result ({} calls each per round for 233 B, {} for 100 KB): so each figure is what \
         the form costs over what a cache without it would pay. Compression is zstd level {} \
         from {} bytes (compression is off by default, and off in the other forms); encryption \
         a one-key keyring; the DataConverter Temporal's default (JSON payload converter, \
         no-op codec, the value stored as a protobuf `Payload`).\n",
        storage.small_iterations,
        storage.large_iterations,
        temporal_cache_runtime::Compression::DEFAULT_LEVEL,
        thousands(temporal_cache_runtime::Compression::DEFAULT_THRESHOLD),
    );
    let _ = writeln!(
        out,
        "| result | form | bytes in Redis | bare GET p50 (plain) | hit p50 | ratio | rounds (hit p50) |\n|---|---|---|---|---|---|---|"
    );
    for hits in &storage.forms {
        let rounds: Vec<String> = hits
            .rounds
            .iter()
            .map(|(_, hit)| duration(hit.p50))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2}× | {} |",
            size(hits.large),
            form_name(hits.form),
            thousands(hits.entry_bytes),
            duration(hits.floor_p50()),
            duration(hits.hit_p50()),
            hits.ratio(),
            rounds.join(", ")
        );
    }
    let _ = writeln!(out);
}
