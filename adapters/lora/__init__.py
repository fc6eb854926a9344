"""LoRA adapters from the repository's own history: mining, training, evaluation, metadata."""
