//! The labels a series is found by and its instruments are made with: activity type, namespace
//! and task queue. A file of their own because every sink (the in-process tallies' table, the
//! `CoreMeter` binding, the `metrics` facade) names its instruments by them.

/// The labels of a series.
pub(super) struct SeriesKey {
    pub(super) activity_type: Box<str>,
    pub(super) namespace: Box<str>,
    pub(super) task_queue: Box<str>,
}

impl SeriesKey {
    /// Whether these are the labels `activity_type`, `namespace` and `task_queue`.
    pub(super) fn is(&self, activity_type: &str, namespace: &str, task_queue: &str) -> bool {
        &*self.activity_type == activity_type
            && &*self.namespace == namespace
            && &*self.task_queue == task_queue
    }
}
