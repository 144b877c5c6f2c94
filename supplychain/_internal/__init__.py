"""Plumbing shared by every stage: strict JSON, atomic writes, bounded reads, temp dirs."""
