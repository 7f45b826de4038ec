"""The complainants' portal: filing drafts, the adapters to other parts, page helpers."""
