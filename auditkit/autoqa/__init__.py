"""AutoQA: every conversation scored automatically, offline and explainably, beside (never
instead of) the reviewers. docs/autoqa.md."""
