"""Text frontend: Markdown/plain text -> normalized tokens with spans -> phonemes -> chunks."""
