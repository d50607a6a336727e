"""Question sets and their builders for `rag eval` and the dialogue scorer (tools/eval/dialogues.py)."""
